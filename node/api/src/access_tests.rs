//! Signed reads against the fake host: chain "para" answers only requests signed by an account
//! of one of its members; "main" is open.

use super::*;
use catena_primitives::{read, SecretKey};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
}

/// A request whose headers are `key`'s signature over `signed` = (chain, method, path and
/// query, timestamp, body); it is sent as `method uri` with `body`.
struct Signed<'a> {
    key: [u8; 32],
    chain: &'a str,
    path_and_query: &'a str,
    timestamp_ms: u64,
    body: &'a str,
}

impl Signed<'_> {
    fn headers(&self, method: &str) -> [String; 3] {
        let (path, query) = self
            .path_and_query
            .split_once('?')
            .unwrap_or((self.path_and_query, ""));
        read::Request {
            chain_id: self.chain,
            method,
            path,
            query,
            timestamp_ms: self.timestamp_ms,
            body: self.body.as_bytes(),
        }
        .sign(&SecretKey::from_seed(self.key))
    }
}

/// Sends `method uri` with `body` and the headers, answering status and JSON.
async fn send_with(
    app: &Router,
    method: &str,
    uri: &str,
    body: &str,
    headers: Option<&[String; 3]>,
) -> (StatusCode, serde_json::Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some([account, timestamp, signature]) = headers {
        request = request
            .header(read::ACCOUNT_HEADER, account)
            .header(read::TIMESTAMP_HEADER, timestamp)
            .header(read::SIGNATURE_HEADER, signature);
    }
    let request = request.body(Body::from(body.to_string())).expect("request");
    let (status, bytes) = send(app.clone(), request).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("(no error)")
}

/// Unsigned, badly signed, stale, replayed and other-chain requests are 401; a non-member's
/// and a grantless auditor's 403; a member's 200; the open main chain needs no signature.
#[tokio::test]
async fn a_members_only_chain_answers_only_its_members_signed_requests() {
    let app = host_router(fake_host(), Limits::node(2_000));
    let uri = "/chains/para/blocks?limit=2";
    let (status, body) = send_with(&app, "GET", uri, "", None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unsigned")
    );
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("x-catena-signature"));

    let member = Signed {
        key: MEMBER_SEED,
        chain: "para",
        path_and_query: uri,
        timestamp_ms: now_ms(),
        body: "",
    };
    let headers = member.headers("GET");
    let (status, body) = send_with(&app, "GET", uri, "", Some(&headers)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // the same request again: a replay
    let (status, body) = send_with(&app, "GET", uri, "", Some(&headers)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "replayed")
    );

    let refused = [
        // signed for another path, query, chain; a signature by another key
        (
            Signed {
                path_and_query: "/chains/para/blocks?limit=3",
                ..member
            },
            "bad_signature",
        ),
        (
            Signed {
                chain: "main",
                ..member
            },
            "bad_signature",
        ),
        (
            Signed {
                timestamp_ms: now_ms() - 61_000,
                ..member
            },
            "stale",
        ),
        (
            Signed {
                timestamp_ms: now_ms() + 61_000,
                ..member
            },
            "stale",
        ),
    ];
    for (signed, expected) in refused {
        let (status, body) = send_with(&app, "GET", uri, "", Some(&signed.headers("GET"))).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, expected),
            "{body}"
        );
    }
    let mut forged = Signed {
        timestamp_ms: now_ms() + 1,
        ..member
    }
    .headers("GET");
    forged[0] = SecretKey::from_seed(IDLE_AUDITOR_SEED)
        .account()
        .to_string();
    let (status, body) = send_with(&app, "GET", uri, "", Some(&forged)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );
    forged[2] = "0xzz".into();
    let (status, body) = send_with(&app, "GET", uri, "", Some(&forged)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "bad_signature_headers")
    );

    let outsider = Signed {
        key: [9; 32],
        timestamp_ms: now_ms() + 2,
        ..member
    };
    let (status, body) = send_with(&app, "GET", uri, "", Some(&outsider.headers("GET"))).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "not_a_member")
    );
    assert_eq!(
        body["error"]["message"],
        format!(
            "account {} is not an account of a member of chain 'para'",
            SecretKey::from_seed([9; 32]).account()
        )
    );
    let idle = Signed {
        key: IDLE_AUDITOR_SEED,
        timestamp_ms: now_ms() + 3,
        ..member
    };
    let (status, body) = send_with(&app, "GET", uri, "", Some(&idle.headers("GET"))).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "no_grant"),
        "{body}"
    );

    // a POST signs its body: the body changed fails
    let tx_uri = "/chains/para/transactions";
    let tx = catena_primitives::Transaction::signed(
        "para",
        0,
        catena_primitives::Call::Remark(b"hi".to_vec()),
        &SecretKey::from_seed(MEMBER_SEED),
    );
    let body = format!(
        "{{\"transaction\":\"0x{}\"}}",
        hex::encode(parity_scale_codec::Encode::encode(&tx))
    );
    let post = Signed {
        path_and_query: tx_uri,
        timestamp_ms: now_ms() + 4,
        body: &body,
        ..member
    };
    let (status, answer) =
        send_with(&app, "POST", tx_uri, &body, Some(&post.headers("POST"))).await;
    assert!(status.is_success(), "{status} {answer}");
    let post = Signed {
        timestamp_ms: now_ms() + 5,
        ..post
    };
    let (status, answer) = send_with(&app, "POST", tx_uri, "{}", Some(&post.headers("POST"))).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );

    // the open main chain, at / and under its id, needs no signature
    for uri in ["/status", "/chains/main/status"] {
        let (status, _) = send_with(&app, "GET", uri, "", None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
}

/// An auditor granted one member's data reads the chain's status, not its event log or raw
/// state (which show every member's data).
#[tokio::test]
async fn an_auditor_of_some_members_reads_only_what_shows_them() {
    let app = host_router(fake_host(), Limits::node(2_000));
    let signed = |path: &'static str, offset: u64| Signed {
        key: AUDITOR_SEED,
        chain: "para",
        path_and_query: path,
        timestamp_ms: now_ms() + offset,
        body: "",
    };
    let get = |path: &'static str, offset: u64| {
        let headers = signed(path, offset).headers("GET");
        let app = app.clone();
        async move { send_with(&app, "GET", path, "", Some(&headers)).await }
    };
    let (status, body) = get("/chains/para/status", 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (offset, path) in [(1, "/chains/para/events"), (2, "/chains/para/state/00")] {
        let (status, body) = get(path, offset).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "not_granted"),
            "{path}"
        );
    }
}
