//! The user commands of supply-chain finance: `catena member`, `record`, `voucher`, `cash`,
//! `loan`, `receipt`, `order`. Each is thin over the API: transactions call the system contracts (signed
//! with `--as NAME` or `--key FILE`), queries use `POST /contracts/{id}/query`. Amounts are
//! written and shown as decimal currency units (`1000000.00`); members are named by USCC, by full
//! name, or by a demo identity's name (`tier2-parts`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use catena_node::now_ms;
use catena_primitives::Hash;
use catena_runtime::{contract_of, system_call};
use catena_schema::cash::method as cash_method;
use catena_schema::cash::{Mint, Transfer as CashTransfer};
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord, Record, Suggestion};
use catena_schema::registry::method as registry_method;
use catena_schema::registry::MemberRecord;
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{
    Accept, CreditLines, FinanceKind, HistoryEntry, Offer, Price, Quote, Quoted, SetCreditLine,
    Split, Terms, Transfer, Voucher, VoucherId,
};
use catena_schema::Method;
use catena_schema::{format_amount, format_total, parse_amount, uscc, Amount, Uscc};
use clap::{Args, Subcommand};
use parity_scale_codec::{Decode, Encode};
use serde_json::{json, Value};

use crate::{send_call, Output, QueryArgs, SendArgs};
use catena_client::ApiClient;

mod audit;
mod cash;
mod invoice;
mod loan;
mod member;
mod order;
mod receipt;
mod record;
mod voucher;
pub use audit::*;
pub use cash::*;
pub use invoice::*;
pub use loan::*;
pub use member::*;
pub use order::*;
pub use receipt::*;
pub use record::*;
pub use voucher::*;

/// Talks to one node about the system contracts.
pub(crate) struct Finance<'a> {
    home: Option<&'a Path>,
    client: ApiClient,
    /// The members, read once: a command resolves several names against the same list.
    members: std::cell::OnceCell<Vec<MemberRecord>>,
}

impl<'a> Finance<'a> {
    pub(crate) fn new(home: Option<&'a Path>, query: &QueryArgs) -> anyhow::Result<Finance<'a>> {
        Ok(Finance {
            home,
            client: query.client(home)?,
            members: std::cell::OnceCell::new(),
        })
    }

    /// The client this talks through.
    pub(crate) fn client(&self) -> &ApiClient {
        &self.client
    }

    /// Calls `method` read-only with `argument` and decodes its answer.
    pub(crate) fn query<A: Encode, O: Decode>(
        &self,
        method: Method<A, O>,
        argument: A,
    ) -> anyhow::Result<O> {
        let id = contract_of(method);
        let output = self
            .client
            .query(&id, method.name, &method.input(&argument))
            .map_err(|e| named_contract(e, &id, method.contract))?;
        method
            .output(&output)
            .with_context(|| format!("the node's answer to '{method}' does not decode"))
    }

    /// The chain's members (read from the registry on first use).
    pub(crate) fn members(&self) -> anyhow::Result<Vec<MemberRecord>> {
        if let Some(members) = self.members.get() {
            return Ok(members.clone());
        }
        let members: Vec<MemberRecord> = self.query(registry_method::MEMBERS, ())?;
        Ok(self.members.get_or_init(|| members).clone())
    }

    /// The member `account` belongs to, if any.
    fn member_by_account(
        &self,
        account: &catena_primitives::AccountId,
    ) -> anyhow::Result<Option<MemberRecord>> {
        Ok(self
            .members()?
            .into_iter()
            .find(|m| m.accounts.contains(&account.0)))
    }

    /// A member named by USCC, full name (any case), or demo identity.
    fn member(&self, name: &str) -> anyhow::Result<MemberRecord> {
        if let Some(m) = self
            .members()?
            .into_iter()
            .find(|m| m.uscc == name || m.name.eq_ignore_ascii_case(name))
        {
            return Ok(m);
        }
        if let Some(key) = crate::demo_identity(self.home, name) {
            if let Some(m) = self.member_by_account(&key.account())? {
                return Ok(m);
            }
        }
        if uscc::validate(name).is_ok() {
            bail!("{name} is not a member of this chain");
        }
        bail!("'{name}' is not a member: give a USCC, a member's name, or a demo identity (see `catena member list`)")
    }

    pub(crate) fn uscc(&self, name: &str) -> anyhow::Result<Uscc> {
        self.member(name).map(|m| m.uscc)
    }

    fn names(&self) -> anyhow::Result<std::collections::BTreeMap<Uscc, String>> {
        Ok(self
            .members()?
            .into_iter()
            .map(|m| (m.uscc, m.name))
            .collect())
    }

    pub(crate) fn voucher(&self, id: VoucherId) -> anyhow::Result<Voucher> {
        self.query(voucher_method::GET, id)?
            .with_context(|| format!("there is no voucher {id}"))
    }
}

/// `error` with contract `id` named as the system contract `name` is: people know contracts by
/// name. The error's kind (what the exit code says) is kept.
pub(crate) fn named_contract(error: anyhow::Error, id: &Hash, name: &str) -> anyhow::Error {
    let from = format!("contract {id}: ");
    let to = format!("the {name} contract refused: ");
    match error.downcast::<crate::Refused>() {
        Ok(crate::Refused(text)) => crate::Refused(text.replace(&from, &to)).into(),
        Err(error) => match error.downcast::<catena_client::NodeError>() {
            Ok(catena_client::NodeError::Answered {
                status,
                code,
                message,
            }) => catena_client::NodeError::Answered {
                status,
                code,
                message: message.replace(&from, &to),
            }
            .into(),
            Ok(other) => other.into(),
            Err(error) => error,
        },
    }
}

/// A system contract's call sent: the transaction, and its decoded output once committed
/// (`None` with --no-wait).
pub(crate) struct Written<O> {
    pub(crate) sent: crate::Sent,
    pub(crate) output: Option<O>,
}

impl<O> Written<O> {
    /// Tells what the call did (see [`crate::Sent::report`]): `done` as a table once committed,
    /// one JSON object with the ids it `created`.
    pub(crate) fn report(&self, send: &SendArgs, done: &str, created: Value) -> anyhow::Result<()> {
        self.sent.report(send, done, created)
    }
}

/// Sends a call of a system contract's `method`: the transaction and its decoded output.
/// A refusal names the contract rather than its id.
pub(crate) fn call<A: Encode, O: Decode>(
    home: Option<&Path>,
    send: &SendArgs,
    method: Method<A, O>,
    argument: A,
) -> anyhow::Result<Written<O>> {
    let id = contract_of(method);
    let contract = method.contract;
    let sent = send_call(home, send, system_call(method, argument))
        .map_err(|e| named_contract(e, &id, contract))?;
    let Some(receipt) = sent.view.as_ref().and_then(|v| v.receipt.as_ref()) else {
        return Ok(Written { sent, output: None });
    };
    let output = hex::decode(receipt.output.trim_start_matches("0x"))
        .context("the receipt's output is not hex")?;
    let output = method
        .output(&output)
        .with_context(|| format!("the output of '{method}' does not decode"))?;
    Ok(Written {
        sent,
        output: Some(output),
    })
}

fn amount(text: &str) -> anyhow::Result<Amount> {
    parse_amount(text).map_err(anyhow::Error::msg)
}

/// A percentage such as `3.65` (or `3.65%`) in basis points.
fn rate_bps(text: &str) -> anyhow::Result<u32> {
    catena_schema::parse_rate(text).map_err(anyhow::Error::msg)
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    crate::print_value(value, crate::Output::Json)
}

/// Milliseconds since 1970 as `YYYY-MM-DD HH:MM:SS +08:00`, Beijing time.
pub(crate) fn time_text(ms: u64) -> String {
    use time::macros::{format_description, offset};
    let form = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    let utc = i64::try_from(ms / 1000)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok());
    // The last 8 hours of 9999 (UTC) are in the year 10000 in Beijing, past what `time`
    // writes: those are written in UTC.
    match utc.map(|t| t.checked_to_offset(offset!(+8)).unwrap_or(t)) {
        Some(t) => t
            .format(form)
            .expect("a time of the years 1970 to 9999 formats"),
        None => format!("{ms} ms after 1970"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_beijing_midnight() {
        // 2027-01-01 00:00 +08:00 = 2026-12-31 16:00 UTC.
        assert_eq!(date_ms("2027-01-01").expect("a date"), 1_798_732_800_000);
        assert_eq!(time_text(1_798_732_800_000), "2027-01-01 00:00:00 +08:00");
        assert!(date_ms("2027-13-01").is_err());
        assert!(date_ms("tomorrow").is_err());
        assert!(maturity_ms("+3x").is_err());
        assert!(maturity_ms("+2d").expect("relative") > now_ms());
    }

    #[test]
    fn impossible_dates_are_refused() {
        let refusal = |text: &str| date_ms(text).expect_err(text).to_string();
        assert_eq!(
            refusal("2027-02-30"),
            "'2027-02-30' is not a date: February 2027 has 28 days; write YYYY-MM-DD, \
             YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SS (Beijing time)"
        );
        assert!(refusal("2026-02-29").contains(": February 2026 has 28 days; write YYYY-MM-DD"));
        assert!(refusal("2100-02-29").contains(": February 2100 has 28 days;"));
        assert!(refusal("2027-04-31").contains(": April 2027 has 30 days;"));
        assert!(refusal("2027-13-01").contains(": the month must be two digits, 01 to 12; write"));
        assert!(refusal("2027-01-00").contains(": the day must be two digits, 01 to 31;"));
        assert!(refusal("2027-01-01 24:00").contains(": the hour must be two digits, 00 to 23;"));
        assert!(
            refusal("2027-01-01T12:00:60").contains(": the second must be two digits, 00 to 59;")
        );
        assert!(refusal("2027-1-01").contains(": the month must be two digits"));
        assert!(refusal("27-01-01").contains(": the year must be four digits;"));
        assert!(refusal("").contains(": the year must be four digits;"));
        for text in [
            "2027/01/01",
            "2027-01-01x",
            "2027-01-01 12",
            "2027-01-01T12:00",
        ] {
            assert!(
                refusal(text).contains("is not a date: write YYYY-MM-DD"),
                "{text}"
            );
        }
        assert_eq!(
            refusal("1970-01-01"),
            "'1970-01-01' is before 1970-01-01 08:00 Beijing time: write a later date"
        );
        // Leap days: every 4 years, not every 100, yet every 400.
        assert_eq!(
            date_ms("2028-02-29").expect("a leap day"),
            1_835_366_400_000
        );
        assert!(date_ms("2000-02-29").is_ok());
    }

    #[test]
    fn times_of_day_round_trip() {
        let ms = |text: &str| date_ms(text).expect(text);
        assert_eq!(ms("2027-01-01 09:30"), 1_798_732_800_000 + 34_200_000);
        assert_eq!(ms("2027-01-01T09:30:15"), 1_798_732_800_000 + 34_215_000);
        for text in [
            "1970-01-01 08:00:00",
            "2028-02-29 00:00:00",
            "2026-12-31 23:59:59",
            "9999-12-31 23:59:59",
        ] {
            let written = time_text(ms(&text.replace(' ', "T")));
            assert_eq!(written, format!("{text} +08:00"));
        }
        assert_eq!(time_text(0), "1970-01-01 08:00:00 +08:00");
        assert_eq!(time_text(1_798_732_800_999), "2027-01-01 00:00:00 +08:00");
        // Past 9999-12-31 16:00 UTC, Beijing is in the year 10000: written in UTC.
        assert_eq!(
            time_text(catena_schema::voucher::MAX_TIME_MS),
            "9999-12-31 23:59:59 +00:00"
        );
        assert_eq!(time_text(u64::MAX), "18446744073709551615 ms after 1970");
    }

    #[test]
    fn relative_maturities_are_checked() {
        let refusal = |text: &str| maturity_ms(text).expect_err(text).to_string();
        let later = maturity_ms("+90s").expect("relative");
        assert!(later >= now_ms() + 89_000 && later <= now_ms() + 90_000);
        assert_eq!(
            refusal("+99999999999999d"),
            "'+99999999999999d' is too far ahead: a maturity must be no later than \
             9999-12-31 23:59:59 UTC"
        );
        assert!(refusal("+99999999999999999999s").contains("is too far ahead"));
        assert!(refusal("+3000000d").contains("is too far ahead"));
        assert!(maturity_ms("+2000000d").is_ok());
        for text in ["+d", "+", "+-3d", "+3é", "+1.5h"] {
            assert!(refusal(text).contains("is not a maturity"), "{text}");
        }
        assert!(refusal("2027-02-30").contains("February 2027 has 28 days"));
    }
}
