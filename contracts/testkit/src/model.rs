//! What the contracts' model-based tests share: the number of sequences (`PROPTEST_CASES`,
//! 10,000 by default), a seeded runner (the same sequences every run unless `PROPTEST_SEED` asks
//! for others, so a failure reproduces and the counts do not vary), and per-method counts of the
//! steps that succeeded and were refused, printed to show a run is not vacuous.

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Below this many sequences a run checks the rules, not that every path ran.
pub const COVERAGE_FROM: u32 = 5_000;

pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000)
}

std::thread_local! {
    /// Per method: (succeeded, refused) steps over the whole run.
    static COUNTS: RefCell<BTreeMap<&'static str, (u64, u64)>> = Default::default();
}

/// Counts one step of `what`.
pub fn count(what: &'static str, ok: bool) {
    COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let entry = c.entry(what).or_default();
        if ok {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    });
}

/// The counts so far: (succeeded, refused) per method.
pub fn counts() -> BTreeMap<&'static str, (u64, u64)> {
    COUNTS.with(|c| c.borrow().clone())
}

/// Runs [`cases`] sequences drawn from `strategy` through `test`, seeded by `PROPTEST_SEED` or
/// `seed`; panics with the shrunk failing sequence; prints the counts. Whether the run was long
/// enough to require every path ([`COVERAGE_FROM`]).
pub fn run_sequences<S: Strategy>(
    strategy: S,
    seed: u64,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> bool {
    let config = Config {
        cases: cases(),
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let seed: u64 = std::env::var("PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(seed);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
    println!(
        "{} random sequences; steps per method (succeeded, refused):",
        cases()
    );
    for (what, (ok, refused)) in counts() {
        println!("  {what:<20} {ok:>8} {refused:>8}");
    }
    if cases() < COVERAGE_FROM {
        println!("(fewer than {COVERAGE_FROM} sequences: not required to reach every path)");
        return false;
    }
    true
}
