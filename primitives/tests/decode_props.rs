//! Decoders of untrusted bytes: random input never panics and never decodes to something that
//! re-encodes differently; every value survives encode then decode.

use catena_primitives::block::{Block, CommitCertificate, Header};
use catena_primitives::{decode_limited, AccountId, Call, Hash, Signature, Transaction};
use parity_scale_codec::Encode;
use proptest::prelude::*;

fn any_tx() -> impl Strategy<Value = Transaction> {
    (
        "[a-z0-9-]{1,64}",
        any::<u64>(),
        any::<[u8; 32]>(),
        proptest::collection::vec(any::<u8>(), 0..512),
        proptest::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(chain_id, nonce, signer, data, sig)| {
            let mut signature = [0u8; 64];
            signature.copy_from_slice(&sig);
            Transaction {
                chain_id,
                nonce,
                signer: AccountId(signer),
                call: Call::Remark(data),
                signature: Signature(signature),
            }
        })
}

fn any_header() -> impl Strategy<Value = Header> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
    )
        .prop_map(|(height, time_ms, a, b)| Header {
            chain_id: "catena-dev".into(),
            height,
            parent_hash: Hash(a),
            time_ms,
            proposer: AccountId(b),
            tx_root: Hash(a),
            state_root: Hash(b),
            receipts_root: Hash(a),
            validator_set_hash: Hash(b),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn transaction_roundtrip(tx in any_tx()) {
        let bytes = tx.encode();
        prop_assert_eq!(Transaction::decode_untrusted(&bytes), Ok(tx));
    }

    #[test]
    fn block_roundtrip(header in any_header(), txs in proptest::collection::vec(any_tx(), 0..4)) {
        let block = Block { header, transactions: txs };
        prop_assert_eq!(Block::decode_untrusted(&block.encode(), 1 << 20), Ok(block));
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(tx) = Transaction::decode_untrusted(&bytes) {
            prop_assert_eq!(tx.encode(), bytes.clone());
        }
        let _ = decode_limited::<Block>(&bytes, 1 << 20);
        let _ = decode_limited::<CommitCertificate>(&bytes, 1 << 20);
    }

    #[test]
    fn mutated_transactions_never_panic(tx in any_tx(), position in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = tx.encode();
        let i = position % bytes.len();
        bytes[i] = byte;
        if let Ok(decoded) = Transaction::decode_untrusted(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
        }
    }
}
