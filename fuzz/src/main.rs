//! `catena-fuzz seed` writes each target's valid seeds to `fuzz/corpus/<target>/`;
//! `catena-fuzz run [TARGET] [--mutants N] [--seed S]` runs a longer campaign (the test suite
//! runs 10,000 mutants of each: `cargo test -p catena-fuzz`), saving any failing input to the
//! corpus, where the test suite replays it from then on.

// A campaign reports how long it ran.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::path::PathBuf;

use catena_fuzz::{mutate, seeds, targets, Outcome, Rng};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    match args.first().map(String::as_str) {
        Some("seed") => {
            for target in targets() {
                let dir = corpus_dir(target.name);
                std::fs::create_dir_all(&dir).expect("corpus directory");
                for (i, input) in seeds(target.name).iter().enumerate() {
                    std::fs::write(dir.join(format!("seed-{i}")), input).expect("write a seed");
                }
                println!("{}: {} seeds", target.name, seeds(target.name).len());
            }
        }
        Some("run") => {
            let only = args.get(1).filter(|a| !a.starts_with("--")).cloned();
            let mutants = flag("--mutants").unwrap_or(1_000_000);
            let mut rng = Rng::new(flag("--seed").unwrap_or(1));
            let started = std::time::Instant::now();
            let mut failing = 0;
            for target in targets()
                .into_iter()
                .filter(|t| only.as_deref().is_none_or(|o| o == t.name))
            {
                let inputs: Vec<Vec<u8>> = std::fs::read_dir(corpus_dir(target.name))
                    .expect("a corpus (run `catena-fuzz seed` first)")
                    .filter_map(Result::ok)
                    .map(|e| std::fs::read(e.path()).expect("a corpus file"))
                    .collect();
                for n in 0..mutants {
                    let input = &inputs[rng.below(inputs.len())];
                    let other = &inputs[rng.below(inputs.len())];
                    let mutant = mutate(input, other, &mut rng);
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        (target.run)(&mutant)
                    }));
                    let wrong = match outcome {
                        Err(_) => true,
                        Ok(Outcome::Accepted(Some(encoded))) => encoded != mutant,
                        Ok(_) => false,
                    };
                    if wrong {
                        failing += 1;
                        let path = corpus_dir(target.name).join(format!("failing-{n}"));
                        std::fs::write(&path, &mutant).expect("save the input");
                        println!("{}: failing input saved as {}", target.name, path.display());
                    }
                }
                println!("{}: {mutants} mutants", target.name);
            }
            println!(
                "{failing} failing inputs in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            if failing > 0 {
                std::process::exit(1);
            }
        }
        _ => {
            eprintln!(
                "usage: catena-fuzz seed | catena-fuzz run [TARGET] [--mutants N] [--seed S]"
            );
            std::process::exit(2);
        }
    }
}
