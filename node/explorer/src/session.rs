//! Signing in to a chain whose data is for its members (a parachain): the explorer gives a
//! one-use challenge, the member's key signs it (in the browser, from the member's key file, or
//! with `catena key sign-in`), and a good signature by an account of a member opens a session
//! held in a cookie. Every page then reads as that member would through the API, checked anew
//! on each request (a member removed since loses its pages at once).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Form, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use catena_api::Reader;
use catena_primitives::{read, AccountId, Signature};
use serde::Deserialize;

use crate::pages::{self, Page};
use crate::Explorer;

/// How long a challenge may wait for its signature.
const CHALLENGE_MS: u64 = 5 * 60_000;
/// How long a session lasts.
const SESSION_MS: u64 = 60 * 60_000;
/// Challenges waiting and sessions open at most, per chain: past it, expired ones are dropped,
/// and when none has expired the sign-in is refused as busy.
const MOST: usize = 10_000;
/// The session cookie's name (its path is the chain's explorer).
const COOKIE: &str = "catena_explorer";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Challenges given and sessions open, by their random tokens, with when each expires.
#[derive(Default)]
pub struct Sessions {
    challenges: Mutex<HashMap<String, u64>>,
    open: Mutex<HashMap<String, (AccountId, u64)>>,
}

/// Adds `key` to `map` until `expires`, dropping expired entries when full; `false` when full
/// of live ones.
fn remember<V>(map: &Mutex<HashMap<String, V>>, key: String, value: V, now: u64) -> bool
where
    V: Expires,
{
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MOST {
        map.retain(|_, v| v.expires() > now);
    }
    if map.len() >= MOST {
        return false;
    }
    map.insert(key, value);
    true
}

trait Expires {
    fn expires(&self) -> u64;
}

impl Expires for u64 {
    fn expires(&self) -> u64 {
        *self
    }
}

impl Expires for (AccountId, u64) {
    fn expires(&self) -> u64 {
        self.1
    }
}

impl Sessions {
    /// A new challenge for chain `chain_id`: `CHAIN:RANDOM`, good once for [`CHALLENGE_MS`].
    fn challenge(&self, chain_id: &str, now: u64) -> Option<String> {
        let challenge = format!("{chain_id}:{}", random_hex());
        remember(&self.challenges, challenge.clone(), now + CHALLENGE_MS, now).then_some(challenge)
    }

    /// Whether `challenge` was given and has not expired; it is used up either way.
    fn take_challenge(&self, challenge: &str, now: u64) -> bool {
        let mut challenges = self.challenges.lock().unwrap_or_else(|e| e.into_inner());
        challenges
            .remove(challenge)
            .is_some_and(|expires| expires > now)
    }

    fn open(&self, account: AccountId, now: u64) -> Option<String> {
        let token = random_hex();
        remember(&self.open, token.clone(), (account, now + SESSION_MS), now).then_some(token)
    }

    fn account(&self, token: &str, now: u64) -> Option<AccountId> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(token)
            .filter(|(_, expires)| *expires > now)
            .map(|(account, _)| *account)
    }

    fn close(&self, token: &str) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.remove(token);
    }
}

/// The session token in the request's cookie, if any.
fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// Where to go after signing in: a page of this explorer, never elsewhere.
fn then_or_base(explorer: &Explorer, then: &str) -> String {
    let within = then.starts_with(&format!("{}/", explorer.base)) || then == explorer.base;
    if within && !then.contains("//") && !then.contains('\\') {
        then.to_string()
    } else {
        explorer.base.clone()
    }
}

/// The middleware of a chain's pages: on an open chain everyone reads; on a members' chain a
/// request with a session reads as its member, one without is sent to sign in (the sign-in
/// pages and the assets need none).
pub async fn admit(State(explorer): State<Explorer>, mut request: Request, next: Next) -> Response {
    if !explorer.chain.signed_reads() {
        request.extensions_mut().insert(Reader::Anyone);
        return next.run(request).await;
    }
    let path = request.uri().path();
    if path.starts_with("/sign-") || path.starts_with("/assets/") {
        return next.run(request).await;
    }
    let now = now_ms();
    let Some(account) = token(request.headers()).and_then(|t| explorer.sessions.account(&t, now))
    else {
        let here = request
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .map(|uri| uri.0.to_string())
            .unwrap_or_default();
        let query = serde_urlencoded::to_string([("then", here)]).unwrap_or_default();
        return Redirect::to(&format!("{}/sign-in?{query}", explorer.base)).into_response();
    };
    let chain = std::sync::Arc::clone(&explorer.chain);
    match tokio::task::spawn_blocking(move || chain.reader(&account, now)).await {
        Ok(Ok(reader)) => {
            request.extensions_mut().insert(reader);
            next.run(request).await
        }
        Ok(Err(e)) => explorer.api_problem(e),
        Err(e) => explorer.problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The node failed",
            &format!("checking the member failed: {e}"),
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInQuery {
    pub then: String,
}

#[derive(askama::Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub page: Page,
    pub challenge: String,
    pub domain: &'static str,
    pub then: String,
}

/// `sign-in`: a fresh challenge, and the ways to sign it.
pub async fn sign_in_page(
    State(explorer): State<Explorer>,
    query: Result<Query<SignInQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Response> {
    let query = crate::form(&explorer, query).await?;
    if !explorer.chain.signed_reads() {
        return Ok(Redirect::to(&explorer.base).into_response());
    }
    let Some(challenge) = explorer
        .sessions
        .challenge(&explorer.chain.chain_id(), now_ms())
    else {
        return Err(busy(&explorer));
    };
    Ok(pages::render(&SignInPage {
        page: Page::new(&explorer, "Sign in"),
        challenge,
        domain: read::SIGN_IN_DOMAIN,
        then: then_or_base(&explorer, &query.then),
    }))
}

fn busy(explorer: &Explorer) -> Response {
    explorer.problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "Busy",
        "Too many sign-ins are waiting; try again in a few minutes.",
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub challenge: String,
    pub account: String,
    pub signature: String,
    #[serde(default)]
    pub then: String,
}

/// `POST sign-in`: a signed challenge opens a session for a member's account.
pub async fn sign_in(
    State(explorer): State<Explorer>,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Response> {
    let Ok(Form(form)) = form else {
        return Err(explorer.bad_input(
            "Sign in with the form: the challenge, an account (0x and 64 hex digits) and its \
             signature (0x and 128 hex digits).",
        ));
    };
    let (Ok(account), Ok(signature)) = (
        form.account.trim().parse::<AccountId>(),
        form.signature.trim().parse::<Signature>(),
    ) else {
        return Err(explorer.bad_input(
            "The account must be 0x and 64 hex digits, the signature 0x and 128 hex digits.",
        ));
    };
    let now = now_ms();
    let unauthorized =
        |message: &str| explorer.problem(StatusCode::UNAUTHORIZED, "Not signed in", message);
    if !explorer.sessions.take_challenge(&form.challenge, now) {
        return Err(unauthorized(
            "That challenge is not one this node gave in the last five minutes, or it was used \
             already: sign in again with a new one.",
        ));
    }
    if !account.verify(&read::sign_in_message(&form.challenge), &signature) {
        return Err(unauthorized(
            "The signature is not this account's over the challenge.",
        ));
    }
    let chain = std::sync::Arc::clone(&explorer.chain);
    match tokio::task::spawn_blocking(move || chain.reader(&account, now)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(explorer.api_problem(e)),
        Err(e) => return Err(explorer.bad_input(&format!("checking the member failed: {e}"))),
    }
    let Some(token) = explorer.sessions.open(account, now) else {
        return Err(busy(&explorer));
    };
    let cookie = session_cookie(&explorer.base, &token, explorer.https);
    let mut response = Redirect::to(&then_or_base(&explorer, &form.then)).into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The session cookie: for the chain's explorer only, never read by scripts, never sent from
/// another site, and over HTTPS only when the node serves HTTPS.
fn session_cookie(base: &str, token: &str, https: bool) -> String {
    format!(
        "{COOKIE}={token}; Path={base}; Max-Age={}; HttpOnly; SameSite=Strict{}",
        SESSION_MS / 1_000,
        if https { "; Secure" } else { "" }
    )
}

/// `POST sign-out`: ends the session.
pub async fn sign_out(State(explorer): State<Explorer>, headers: HeaderMap) -> Response {
    if let Some(token) = token(&headers) {
        explorer.sessions.close(&token);
    }
    let mut response = Redirect::to(&format!("{}/sign-in", explorer.base)).into_response();
    let cookie = format!(
        "{COOKIE}=; Path={}; Max-Age=0; HttpOnly; SameSite=Strict",
        explorer.base
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cookie_is_the_explorers_alone_and_secure_over_https() {
        let plain = session_cookie("/chains/para-a/explorer", "ab", false);
        assert_eq!(
            plain,
            "catena_explorer=ab; Path=/chains/para-a/explorer; Max-Age=3600; HttpOnly; SameSite=Strict"
        );
        assert!(session_cookie("/explorer", "ab", true).ends_with("; Secure"));
        let sessions = Sessions::default();
        let challenge = sessions.challenge("para-a", 1_000).expect("room");
        assert!(challenge.starts_with("para-a:") && challenge.len() == "para-a:".len() + 64);
        assert!(
            !sessions.take_challenge(&challenge, 1_000 + CHALLENGE_MS),
            "expired"
        );
        let again = sessions.challenge("para-a", 1_000).expect("room");
        assert!(sessions.take_challenge(&again, 2_000));
        assert!(!sessions.take_challenge(&again, 2_000), "used once");
        let token = sessions
            .open(catena_primitives::AccountId([1; 32]), 0)
            .expect("room");
        assert!(sessions.account(&token, SESSION_MS - 1).is_some());
        assert!(
            sessions.account(&token, SESSION_MS).is_none(),
            "an hour, no more"
        );
    }
}
