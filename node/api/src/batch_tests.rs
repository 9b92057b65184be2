//! `POST /transactions/batch`: each transaction's outcome in order, and the batch's own refusals.

use super::*;

#[tokio::test]
async fn a_batch_answers_each_transaction_in_order() {
    let key = catena_primitives::SecretKey::from_seed([4; 32]);
    let tx = Transaction::signed(
        "c",
        0,
        catena_primitives::Call::Remark(b"one".to_vec()),
        &key,
    );
    let hex_tx = format!("0x{}", hex::encode(parity_scale_codec::Encode::encode(&tx)));
    let body = serde_json::json!({ "transactions": [hex_tx, "0x00", "00"] }).to_string();
    let (status, value) = call("POST", "/transactions/batch", &body).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    assert_eq!(value["admitted"], 1);
    let results = value["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["status"], 202);
    assert_eq!(results[0]["hash"], tx.hash().to_string());
    assert_eq!(results[1]["status"], 422);
    assert_eq!(results[1]["error"]["code"], "malformed_transaction");
    assert_eq!(results[2]["error"]["code"], "malformed_transaction");
    // An item that is not hex of whole bytes: the batch's form is wrong, nothing is submitted.
    let body = serde_json::json!({ "transactions": [hex_tx, "0xzz"] }).to_string();
    let (status, value) = call("POST", "/transactions/batch", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
    assert_eq!(value["error"]["code"], "invalid_hex");
    assert!(value["error"]["message"]
        .as_str()
        .expect("a message")
        .contains("transaction 1"));

    let (status, value) = call("POST", "/transactions/batch", r#"{"transactions": []}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(value["error"]["code"], "empty_batch");
    let many: Vec<&str> = vec!["0x00"; MAX_BATCH_TXS + 1];
    let body = serde_json::json!({ "transactions": many }).to_string();
    let (status, value) = call("POST", "/transactions/batch", &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(value["error"]["code"], "batch_too_large");
    let (status, value) = call("POST", "/transactions/batch", r#"{"transaction": "0x00"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(value["error"]["code"], "invalid_json");
}
