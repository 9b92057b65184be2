//! Every decoder of untrusted bytes against its saved corpus and mutants of it (issue 19,
//! item 5): no panic, no input holding more memory than the cap or taking more than a second,
//! and everything accepted encodes back to the bytes it came from — mutants are made until
//! 10,000 of them were accepted and round-tripped, per target. Accepted mutants join the pool
//! mutants are made from, so the inputs go deeper than one mutation of a seed.
//!
//! `CATENA_FUZZ_ROUND_TRIPS` sets the round trips per target (10,000 by default),
//! `CATENA_FUZZ_SEED` which mutants.

// A test measures how long an input takes: the code under test never reads the clock.
#![allow(clippy::disallowed_methods)]

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use catena_fuzz::{mutate, seeds, targets, Outcome, Rng, Target};
use peak_alloc::PeakAlloc;

/// The system allocator, recording the peak of memory in use since it was last reset.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// No decoder may hold more memory at its peak than this many times its input (decoded values
/// take more room than their bytes), plus a fixed allowance: a length prefix claiming a
/// gigabyte must not buy one.
const CAP_PER_INPUT_BYTE: usize = 64;
const CAP_FIXED: usize = 1 << 20;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir(target))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("a corpus file"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    inputs.sort();
    inputs
}

/// Runs one input; what went wrong, if anything.
fn check(target: &Target, input: &[u8]) -> Result<bool, String> {
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)))
        .map_err(|_| "panicked".to_string())?;
    let took = started.elapsed();
    let peak = ALLOCATOR.peak_usage().saturating_sub(before);
    let cap = CAP_FIXED + CAP_PER_INPUT_BYTE * input.len();
    if peak > cap {
        return Err(format!(
            "held {peak} bytes at its peak, over the cap of {cap}"
        ));
    }
    if took > Duration::from_secs(1) {
        return Err(format!("took {took:?}"));
    }
    match outcome {
        Outcome::Accepted(Some(encoded)) if encoded != input => {
            Err("accepted, but encodes back to other bytes".to_string())
        }
        Outcome::Accepted(_) => Ok(true),
        Outcome::Refused(_) => Ok(false),
    }
}

#[test]
fn every_decoder_survives_its_corpus_and_ten_thousand_round_trips() {
    let wanted: usize = std::env::var("CATENA_FUZZ_ROUND_TRIPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let seed: u64 = std::env::var("CATENA_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut failures = Vec::new();
    for target in targets() {
        let saved = corpus(target.name);
        assert!(
            !saved.is_empty(),
            "no corpus for {} (run `cargo run -p catena-fuzz -- seed`)",
            target.name
        );
        let mut accepted = 0;
        for (name, input) in &saved {
            match check(&target, input) {
                Ok(true) => accepted += 1,
                Ok(false) => {}
                Err(e) => failures.push(format!("{} corpus/{name}: {e}", target.name)),
            }
        }
        // The valid seeds (made now, by the code as it is) must still decode and round-trip.
        for (i, input) in seeds(target.name).iter().enumerate() {
            if check(&target, input) != Ok(true) {
                failures.push(format!("{}: seed {i} no longer decodes", target.name));
            }
        }
        let mut rng = Rng::new(seed);
        let mut pool: Vec<Vec<u8>> = saved.iter().map(|(_, input)| input.clone()).collect();
        let (mut mutants, mut round_trips) = (0, 0);
        while round_trips < wanted && mutants < 100 * wanted {
            let input = &pool[rng.below(pool.len())];
            let other = &pool[rng.below(pool.len())];
            let mutant = mutate(input, other, &mut rng);
            mutants += 1;
            match check(&target, &mutant) {
                Ok(true) => {
                    round_trips += 1;
                    if pool.len() < 1_000 {
                        pool.push(mutant);
                    } else {
                        let at = rng.below(pool.len());
                        pool[at] = mutant;
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    let path =
                        corpus_dir(target.name).join(format!("failing-{:016x}", fnv(&mutant)));
                    let _ = std::fs::write(&path, &mutant);
                    failures.push(format!(
                        "{}: {e} (saved as {})",
                        target.name,
                        path.display()
                    ));
                }
            }
        }
        if round_trips < wanted {
            failures.push(format!(
                "{}: only {round_trips} of {mutants} mutants were accepted",
                target.name
            ));
        }
        println!(
            "{}: {} corpus inputs ({accepted} accepted); {mutants} mutants, {round_trips} accepted and round-tripped",
            target.name,
            saved.len()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A stable name for a failing input.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}
