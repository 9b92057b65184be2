//! The voucher contract: issuing.

use super::*;

/// Checks the terms of a voucher `issuer` would issue to `holder`, and allocates its amount over
/// the backing invoices and, when `creating` (an issue or a confirmation, not a request), over
/// the issuer's credit lines, checking the invoices' claims where a parachain keeps them.
pub(crate) fn check_terms(
    issuer: &str,
    holder: &str,
    terms: &Terms,
    creating: bool,
) -> Result<Allocation, Error> {
    let config = config();
    if terms.amount == 0 {
        return Err(Error::ZeroAmount);
    }
    if terms.currency != config.currency {
        return Err(Error::Currency {
            found: terms.currency.clone(),
            expected: config.currency,
        });
    }
    if terms.maturity_ms <= block_time_ms() {
        return Err(Error::MaturityNotInFuture);
    }
    invalid_if(
        terms.maturity_ms > MAX_TIME_MS,
        "the maturity date is after the year 9999",
    )?;
    check_role(issuer, Role::Core)?;
    check_holder(holder)?;
    invalid_if(issuer == holder, "a voucher's issuer cannot be its holder")?;
    invalid_if(
        terms.invoices.is_empty(),
        "a voucher rests on at least one recorded invoice",
    )?;
    if terms.invoices.len() > MAX_BACKING || terms.records.len() > MAX_BACKING {
        return Err(Error::Invalid(format!(
            "a voucher rests on at most {MAX_BACKING} invoices and {MAX_BACKING} other records"
        )));
    }
    let mut backing = Vec::new();
    let mut claimed = Vec::new();
    let mut invoice_links: Vec<RecordId> = Vec::new();
    let mut left = terms.amount;
    for (i, id) in terms.invoices.iter().enumerate() {
        invalid_if(
            terms.invoices[..i].contains(id),
            "an invoice is listed twice",
        )?;
        let record: Option<Record> = call_method(&config.records, records_method::GET, id);
        let record = record.ok_or(Error::NotRecorded(*id))?;
        invoice_links.extend(record.links.iter().copied());
        let invoice = match (&record.invoice, record.kind) {
            (Some(invoice), Kind::Invoice) => invoice,
            _ => return Err(Error::NotAnInvoice(*id)),
        };
        if invoice.buyer != issuer || invoice.seller != holder {
            return Err(Error::InvoiceParties {
                number: invoice.number.clone(),
                buyer: invoice.buyer.clone(),
                seller: invoice.seller.clone(),
            });
        }
        if record.currency != terms.currency {
            return Err(Error::Currency {
                found: record.currency,
                expected: terms.currency.clone(),
            });
        }
        let free = record.amount.saturating_sub(used(id));
        if free == 0 {
            return Err(Error::InvoiceUsedUp {
                number: invoice.number.clone(),
                amount: record.amount,
            });
        }
        let claim = if creating {
            claims::check(invoice)?
        } else {
            None
        };
        let take = free.min(left);
        if take > 0 {
            backing.push(Backing {
                invoice: *id,
                amount: take,
            });
            claimed.extend(claim);
        }
        left -= take;
    }
    if left > 0 {
        return Err(Error::OverFinanced {
            needed: terms.amount,
            available: terms.amount - left,
        });
    }
    // Backing that belongs: each other record is of this trade.
    for id in &terms.records {
        let record: Option<Record> = call_method(&config.records, records_method::GET, id);
        let record = record.ok_or(Error::NotRecorded(*id))?;
        let names_both = record.parties.iter().any(|p| p == issuer)
            && record.parties.iter().any(|p| p == holder);
        let linked =
            invoice_links.contains(id) || record.links.iter().any(|l| terms.invoices.contains(l));
        if !names_both && !linked {
            return Err(Error::UnrelatedRecord {
                id: *id,
                issuer: issuer.into(),
                holder: holder.into(),
            });
        }
    }
    let draws = if creating {
        plan_draws(issuer, terms.amount, terms.line.as_deref())?
    } else {
        Vec::new()
    };
    Ok(Allocation {
        backing,
        draws,
        claimed,
    })
}

/// How a voucher's amount is allocated: over its invoices and credit lines, and the invoice
/// claims it will hold (where claims are kept).
pub(crate) struct Allocation {
    backing: Vec<Backing>,
    draws: Vec<Draw>,
    claimed: Vec<[u8; 32]>,
}

/// Creates an original voucher (after [`check_terms`]) and schedules its settlement.
pub(crate) fn create(
    issuer: &str,
    holder: &str,
    terms: Terms,
    Allocation {
        backing,
        draws,
        claimed,
    }: Allocation,
) -> VoucherId {
    let id = next_id(keys::NEXT_VOUCHER, 1);
    for fingerprint in &claimed {
        claims::mark(fingerprint, catena_schema::voucher::ClaimState::InUse);
    }
    for part in &backing {
        set_used(&part.invoice, used(&part.invoice) + part.amount);
    }
    for draw in &draws {
        change_outstanding(issuer, &draw.financier, draw.amount, 0);
    }
    storage::save(&keys::draws_key(id), &draws);
    let mut voucher = Voucher {
        id,
        root: id,
        parent: None,
        children: Vec::new(),
        issuer: issuer.into(),
        holder: holder.into(),
        amount: terms.amount,
        paid: 0,
        currency: terms.currency,
        issued_ms: block_time_ms(),
        maturity_ms: terms.maturity_ms,
        backing,
        records: terms.records,
        status: Status::Active,
        pledge: None,
        factoring: None,
        transferred: false,
        cancel_consent: Vec::new(),
        history_len: 0,
    };
    record(
        &mut voucher,
        Action::Issued {
            holder: holder.into(),
            amount: terms.amount,
        },
    );
    save(&voucher);
    hold(&voucher);
    storage::set(&keys::by_issuer_key(issuer, id), &[]);
    catena_sdk::schedule_method(voucher.maturity_ms, method::SETTLE, &id);
    emit_encoded(events::ISSUED, &voucher);
    id
}

/// A financier grants, changes or closes (limit 0) its own credit line (授信额度) to a core
/// enterprise; never below what the line backs, never to itself.
pub(crate) fn set_credit_line(args: SetCreditLine) -> Result<(), Error> {
    let financier = signer_with(Role::Financier)?;
    if financier == args.issuer {
        return Err(Error::SelfGrant(financier));
    }
    check_role(&args.issuer, Role::Core)?;
    let mut line = line_of(&args.issuer, &financier).unwrap_or(CreditLine {
        financier: financier.clone(),
        ..CreditLine::default()
    });
    if line.revoked {
        return Err(revoked(&args.issuer, &financier));
    }
    if args.limit < line.outstanding {
        return Err(Error::Invalid(format!(
            "the credit line cannot go below what it backs of the issuer's outstanding vouchers ({})",
            format_amount(line.outstanding)
        )));
    }
    line.limit = args.limit;
    save_line(&args.issuer, &line);
    emit_encoded(events::CREDIT_LINE, &(args.issuer, line));
    Ok(())
}

/// A financier sets its own line to a core enterprise to what the quality of the core's records
/// suggests now (the records contract's `suggest_line`), in one transaction.
pub(crate) fn grant_suggested_line(
    issuer: Uscc,
) -> Result<catena_schema::records::Suggestion, Error> {
    let suggestion: catena_schema::records::Suggestion =
        call_method(&config().records, records_method::SUGGEST_LINE, &issuer);
    set_credit_line(SetCreditLine {
        issuer,
        limit: suggestion.amount,
    })?;
    Ok(suggestion)
}

/// A supplier asks the core enterprise `terms.counterparty` to confirm a payable (申请确权).
pub(crate) fn request(terms: Terms) -> Result<u64, Error> {
    let supplier = signer_with(Role::Supplier)?;
    check_terms(&terms.counterparty, &supplier, &terms, false)?;
    let id = next_id(keys::NEXT_REQUEST, 1);
    let request = Request {
        id,
        supplier,
        issuer: terms.counterparty.clone(),
        terms,
        status: RequestStatus::Pending,
    };
    storage::save(&keys::request_key(id), &request);
    emit_encoded(events::REQUESTED, &request);
    Ok(id)
}

/// A request as queries show it: a pending one whose maturity has come is expired.
pub(crate) fn request_now(id: u64) -> Result<Request, Error> {
    let mut request: Request = storage::load(&keys::request_key(id)).ok_or(Error::NoRequest(id))?;
    if request.status == RequestStatus::Pending && block_time_ms() >= request.terms.maturity_ms {
        request.status = RequestStatus::Expired;
    }
    Ok(request)
}

pub(crate) fn pending(request: Request) -> Result<Request, Error> {
    match request.status {
        RequestStatus::Pending => Ok(request),
        RequestStatus::Expired => Err(Error::RequestExpired(request.id)),
        other => Err(Error::RequestClosed {
            id: request.id,
            status: match other {
                RequestStatus::Confirmed(_) => "confirmed",
                RequestStatus::Rejected => "rejected",
                _ => "withdrawn",
            },
        }),
    }
}

pub(crate) fn pending_request_for_issuer(id: u64) -> Result<Request, Error> {
    let request = request_now(id)?;
    signer_is(&request.issuer, "request")?;
    pending(request)
}

/// The supplier withdraws its pending request.
pub(crate) fn withdraw_request(id: u64) -> Result<(), Error> {
    let request = request_now(id)?;
    signer_is(&request.supplier, "request")?;
    close_request(
        id,
        pending(request)?,
        RequestStatus::Withdrawn,
        events::REQUEST_WITHDRAWN,
    )
}

/// Closes request `id` (still pending) with `status`, announced as `topic`.
fn close_request(
    id: u64,
    mut request: Request,
    status: RequestStatus,
    topic: &str,
) -> Result<(), Error> {
    request.status = status;
    storage::save(&keys::request_key(id), &request);
    emit_encoded(topic, &request);
    Ok(())
}

/// The core enterprise confirms a request (确权), which issues the voucher to the supplier.
pub(crate) fn confirm(id: u64) -> Result<VoucherId, Error> {
    let mut request = pending_request_for_issuer(id)?;
    signer_with(Role::Core)?;
    let allocation = check_terms(&request.issuer, &request.supplier, &request.terms, true)?;
    let voucher = create(
        &request.issuer,
        &request.supplier,
        request.terms.clone(),
        allocation,
    );
    request.status = RequestStatus::Confirmed(voucher);
    storage::save(&keys::request_key(id), &request);
    Ok(voucher)
}

pub(crate) fn reject(id: u64) -> Result<(), Error> {
    let request = pending_request_for_issuer(id)?;
    close_request(id, request, RequestStatus::Rejected, events::REJECTED)
}

/// A core enterprise issues a voucher directly to a supplier it owes.
pub(crate) fn issue(terms: Terms) -> Result<VoucherId, Error> {
    let issuer = signer_with(Role::Core)?;
    let allocation = check_terms(&issuer, &terms.counterparty, &terms, true)?;
    let holder = terms.counterparty.clone();
    Ok(create(&issuer, &holder, terms, allocation))
}
