//! Helpers for tests that run the real `catena` binary: the harness (`catena-testing`) —
//! `TestNetwork::builder()`, node handles, polling waits with generous timeouts — and a few
//! helpers of these tests' own.
#![allow(dead_code)]

#[allow(unused_imports)]
pub use catena_testing::load;
#[allow(unused_imports)]
pub use catena_testing::node::*;
pub use catena_testing::TestNetwork;

pub const BIN: &str = env!("CARGO_BIN_EXE_catena");

/// A network of `catena` validators for a test, run by this test's own binary.
pub fn network() -> catena_testing::network::Builder {
    TestNetwork::builder().binary(BIN)
}

/// A file of this checkout, found from the package directory cargo gives the test when it runs
/// it (not the one compiled in, which names wherever the binary was built).
pub fn source_path(relative: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/{relative}")
}

/// The first `count` validators of a chain spec (as JSON) as (peer id, address), parsed into
/// the caller's types (libp2p's `PeerId` and `Multiaddr`).
pub fn validator_peers<P, A>(spec: &serde_json::Value, count: usize) -> Vec<(P, A)>
where
    P: std::str::FromStr,
    A: std::str::FromStr,
    P::Err: std::fmt::Debug,
    A::Err: std::fmt::Debug,
{
    (0..count)
        .map(|i| {
            let v = &spec["validators"][i];
            let text = |field: &str| v[field].as_str().expect("a validator field").to_string();
            (
                text("peer_id").parse().expect("peer id"),
                text("address").parse().expect("multiaddr"),
            )
        })
        .collect()
}
