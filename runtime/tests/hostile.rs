//! Hostile contracts (`tests/fixtures/*.wat`) against the real wasmtime sandbox: each stops with
//! the same error and the same fuel used on every run, and leaves storage untouched. A
//! well-behaved contract reads and writes storage, emits an event and returns a value.

use std::collections::BTreeMap;

use catena_primitives::{AccountId, Hash};
use catena_runtime::wasm::{
    CallContext, CallOutcome, ContractEngine, ContractError, ScheduledCall, World, MAX_MEMORY_BYTES,
};
use catena_runtime::Entry;

/// The contract under test.
const THIS: Hash = Hash([5; 32]);

/// In-memory storage: `.0` is the contract under test's, `others` every other contract's, and
/// `code` what each contract runs, `.3` the calls scheduled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct MapStorage(
    BTreeMap<Vec<u8>, Vec<u8>>,
    BTreeMap<(Hash, Vec<u8>), Vec<u8>>,
    BTreeMap<Hash, Vec<u8>>,
    Vec<ScheduledCall>,
);

impl MapStorage {
    fn set(&mut self, key: &[u8], value: &[u8]) {
        World::set(self, &THIS, key, value);
    }
    fn of(&self, contract: &Hash) -> BTreeMap<Vec<u8>, Vec<u8>> {
        if *contract == THIS {
            return self.0.clone();
        }
        self.1
            .iter()
            .filter(|((c, _), _)| c == contract)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl World for MapStorage {
    fn get(&self, contract: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Ok(self.of(contract).get(key).cloned())
    }
    fn next(
        &self,
        contract: &Hash,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<Entry>, String> {
        Ok(self
            .of(contract)
            .range(
                after.map_or(prefix.to_vec(), |a| {
                    let mut next = a.to_vec();
                    next.push(0);
                    next
                })..,
            )
            .find(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone())))
    }
    fn set(&mut self, contract: &Hash, key: &[u8], value: &[u8]) {
        if *contract == THIS {
            self.0.insert(key.to_vec(), value.to_vec());
        } else {
            self.1.insert((*contract, key.to_vec()), value.to_vec());
        }
    }
    fn remove(&mut self, contract: &Hash, key: &[u8]) {
        if *contract == THIS {
            self.0.remove(key);
        } else {
            self.1.remove(&(*contract, key.to_vec()));
        }
    }
    fn next_schedule_id(&mut self) -> Result<u64, String> {
        Ok(self.3.len() as u64)
    }
    fn schedule(&mut self, call: ScheduledCall) {
        self.3.push(call);
    }
    fn code_hash_of(&self, contract: &Hash) -> Result<Hash, String> {
        self.code_of(contract).map(|code| Hash::digest(&code))
    }
    fn code(&self, hash: &Hash) -> Result<Vec<u8>, String> {
        self.2
            .values()
            .find(|code| Hash::digest(code) == *hash)
            .cloned()
            .ok_or_else(|| format!("no code {hash}"))
    }
}

impl MapStorage {
    fn code_of(&self, contract: &Hash) -> Result<Vec<u8>, String> {
        self.2
            .get(contract)
            .cloned()
            .ok_or_else(|| format!("no contract {contract}"))
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = source_path(&format!("tests/fixtures/{name}.wat"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn context() -> CallContext {
    CallContext {
        origin: AccountId([7; 32]),
        caller: AccountId([7; 32]),
        block_height: 10,
        block_time_ms: 1_767_225_600_000,
        invoice_key: None,
    }
}

const FUEL: u64 = 5_000_000;

/// Runs `name` twice, each time on a fresh engine (no cache shared) over the same storage.
fn run_twice(name: &str, input: &[u8], storage: &MapStorage) -> (CallOutcome, MapStorage) {
    let code = fixture(name);
    let mut outcomes = Vec::new();
    let mut after = Vec::new();
    for _ in 0..2 {
        let engine = ContractEngine::new().expect("engine");
        let mut storage = storage.clone();
        outcomes.push(engine.call(THIS, &code, "call", input, context(), &mut storage, FUEL));
        after.push(storage);
    }
    assert_eq!(
        outcomes[0], outcomes[1],
        "{name}: the same outcome on every run"
    );
    assert_eq!(after[0], after[1]);
    (outcomes.remove(0), after.remove(0))
}

fn seeded() -> MapStorage {
    let mut s = MapStorage::default();
    s.set(b"n", &5u64.to_le_bytes());
    s
}

#[test]
fn hostile_contracts_stop_deterministically_and_change_nothing() {
    let cases: [(&str, ContractError); 4] = [
        ("infinite_loop", ContractError::OutOfFuel),
        ("memory_bomb", ContractError::MemoryLimit),
        ("deep_recursion", ContractError::StackOverflow),
        (
            "huge_return",
            ContractError::Abi("return data of 100000 bytes exceeds the limit of 65536".into()),
        ),
    ];
    for (name, expected) in cases {
        let (outcome, after) = run_twice(name, b"", &seeded());
        assert_eq!(outcome.result, Err(expected), "{name}");
        assert_eq!(after, seeded(), "{name} left storage untouched");
        assert!(outcome.events.is_empty());
        if matches!(outcome.result, Err(ContractError::Abi(_))) {
            assert!(
                outcome.fuel_used < FUEL,
                "{name}: a refused host call costs what was used"
            );
        } else {
            assert_eq!(
                outcome.fuel_used, FUEL,
                "{name}: a trap burns the whole budget"
            );
        }
        println!(
            "{name}: {:?} after {} fuel",
            outcome.result, outcome.fuel_used
        );
    }
    assert_eq!(MAX_MEMORY_BYTES, 16 << 20);
}

#[test]
fn nan_arithmetic_gives_canonical_nans() {
    let (outcome, _) = run_twice("nan_arithmetic", b"", &MapStorage::default());
    let bytes = outcome.result.expect("runs");
    assert_eq!(&bytes[0..4], &0x7fc0_0000u32.to_le_bytes(), "f32 0/0");
    assert_eq!(
        &bytes[4..12],
        &0x7ff8_0000_0000_0000u64.to_le_bytes(),
        "f64 sqrt(-1)"
    );
    assert_eq!(
        &bytes[12..16],
        &0x7fc0_0000u32.to_le_bytes(),
        "a NaN payload is canonicalised"
    );
}

#[test]
fn a_contract_reads_writes_emits_and_returns() {
    let (outcome, after) = run_twice("counter", &3u64.to_le_bytes(), &seeded());
    assert_eq!(outcome.result, Ok(8u64.to_le_bytes().to_vec()));
    assert_eq!(after.0.get(&b"n"[..]), Some(&8u64.to_le_bytes().to_vec()));
    assert_eq!(outcome.events.len(), 1);
    assert_eq!(outcome.events[0].topic, b"counted");
    // Its own abort: the message, nothing written.
    let (outcome, after) = run_twice("counter", b"short", &seeded());
    assert_eq!(
        outcome.result,
        Err(ContractError::Aborted("input must be 8 bytes".into()))
    );
    assert_eq!(after, seeded());
    // Too little fuel for the same call: out of fuel, nothing written.
    let engine = ContractEngine::new().expect("engine");
    let mut storage = seeded();
    let starved = engine.call(
        THIS,
        &fixture("counter"),
        "call",
        &3u64.to_le_bytes(),
        context(),
        &mut storage,
        150,
    );
    assert_eq!(starved.result, Err(ContractError::OutOfFuel));
    assert_eq!(storage, seeded());
    // An unknown method.
    let missing = engine.call(
        THIS,
        &fixture("counter"),
        "nope",
        b"",
        context(),
        &mut storage,
        FUEL,
    );
    assert_eq!(
        missing.result,
        Err(ContractError::Abi(
            "the contract has no method 'nope'".into()
        ))
    );
}

#[test]
fn code_outside_the_abi_is_refused() {
    let engine = ContractEngine::new().expect("engine");
    let refused = engine
        .validate(&fixture("bad_import"))
        .expect_err("refused");
    assert!(
        refused.to_string().contains("imports 'env.clock'"),
        "{refused}"
    );
    let garbage = engine
        .validate(b"\0asm\x01\0\0\0garbage")
        .expect_err("refused");
    assert!(
        matches!(garbage, ContractError::InvalidCode(_)),
        "{garbage}"
    );
    assert!(engine.validate(&fixture("counter")).is_ok());
}

#[test]
fn contracts_verify_ed25519_signatures() {
    let key = catena_primitives::SecretKey::from_seed([9; 32]);
    let message = b"pay 100 to tier 2";
    let signature = key.sign(message);
    let input = |msg: &[u8]| {
        let mut input = key.account().0.to_vec();
        input.extend_from_slice(&signature.0);
        input.extend_from_slice(msg);
        input
    };
    let (good, _) = run_twice("verify", &input(message), &MapStorage::default());
    assert_eq!(good.result, Ok(vec![1]));
    let (bad, _) = run_twice(
        "verify",
        &input(b"pay 900 to tier 2"),
        &MapStorage::default(),
    );
    assert_eq!(bad.result, Ok(vec![0]));
}

#[test]
fn storage_is_listed_by_prefix_with_the_calls_own_changes_merged() {
    let mut base = MapStorage::default();
    for key in [&b"a/0"[..], b"a/3", b"a/9", b"c/1"] {
        base.set(key, b"stored");
    }
    let (outcome, after) = run_twice("iterate", b"", &base);
    assert_eq!(outcome.result, Ok(b"a/0a/1a/9".to_vec()));
    let keys: Vec<&[u8]> = after.0.keys().map(Vec::as_slice).collect();
    assert_eq!(keys, vec![&b"a/0"[..], b"a/1", b"a/9", b"b/1", b"c/1"]);
}

#[test]
fn contracts_call_contracts_and_a_failure_anywhere_changes_nothing() {
    let counter = Hash([6; 32]);
    let mut world = MapStorage::default();
    world.2.insert(THIS, fixture("proxy"));
    world.2.insert(counter, fixture("counter"));
    World::set(&mut world, &counter, b"n", &5u64.to_le_bytes());
    let call = |input: Vec<u8>, world: &MapStorage| {
        let engine = ContractEngine::new().expect("engine");
        let mut world = world.clone();
        let outcome = engine.call(
            THIS,
            &fixture("proxy"),
            "call",
            &input,
            context(),
            &mut world,
            FUEL,
        );
        (outcome, world)
    };
    let with_input = |target: Hash, rest: &[u8]| {
        let mut input = target.0.to_vec();
        input.extend_from_slice(rest);
        input
    };

    let (outcome, after) = call(with_input(counter, &3u64.to_le_bytes()), &world);
    assert_eq!(outcome.result, Ok(8u64.to_le_bytes().to_vec()));
    assert_eq!(
        after.of(&counter).get(&b"n"[..]),
        Some(&8u64.to_le_bytes().to_vec())
    );
    assert_eq!(after.0.get(&b"p"[..]), Some(&b"p".to_vec()));
    assert_eq!(outcome.events.len(), 1);
    assert_eq!(
        outcome.events[0].contract, counter,
        "the callee's event is its own"
    );

    // The callee fails: the whole call fails, and neither contract's storage changes.
    let (outcome, after) = call(with_input(counter, b"bad"), &world);
    let error = outcome.result.expect_err("fails").to_string();
    assert!(error.contains("failed: input must be 8 bytes"), "{error}");
    assert_eq!(after, world);

    // A contract cannot call back into one already on the call stack.
    let (outcome, after) = call(with_input(THIS, &with_input(counter, b"")), &world);
    let error = outcome.result.expect_err("refused").to_string();
    assert!(error.contains("re-entrant call"), "{error}");
    assert_eq!(after, world);

    // An unknown contract.
    let (outcome, _) = call(with_input(Hash([9; 32]), b""), &world);
    assert!(outcome
        .result
        .expect_err("refused")
        .to_string()
        .contains("no contract"));
}

/// A file of this checkout, found from the package directory cargo gives the test when it runs
/// it (not the one compiled in, which names wherever the binary was built).
fn source_path(relative: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/{relative}")
}

#[test]
fn the_module_cache_stays_within_its_budget_and_evicted_modules_run_the_same() {
    let source = std::fs::read_to_string(source_path("tests/fixtures/counter.wat")).expect("wat");
    let variant = |n: usize| {
        let marked = source.replace(
            r#"(data (i32.const 0) "n")"#,
            &format!(r#"(data (i32.const 0) "n") (data (i32.const 200) "variant {n}")"#),
        );
        wat::parse_str(marked).expect("wat")
    };
    // Measure one module's weight, then allow about two and a half of them.
    let probe = ContractEngine::new().expect("engine");
    probe.validate(&variant(0)).expect("valid");
    let one = probe.cache_usage().bytes;
    assert_eq!(probe.cache_usage().modules, 1);
    let engine = ContractEngine::with_cache_bytes(one * 5 / 2).expect("engine");
    let run = |engine: &ContractEngine, n: usize| {
        let mut storage = seeded();
        let outcome = engine.call(
            THIS,
            &variant(n),
            "call",
            &3u64.to_le_bytes(),
            context(),
            &mut storage,
            FUEL,
        );
        assert_eq!(outcome.result, Ok(8u64.to_le_bytes().to_vec()), "{n}");
        outcome.fuel_used
    };
    let first = run(&engine, 0);
    for n in 1..8 {
        run(&engine, n);
        let usage = engine.cache_usage();
        assert!(usage.modules <= 2, "{usage:?}");
        assert!(usage.bytes <= usage.capacity_bytes, "{usage:?}");
    }
    // Module 0 was evicted long ago: compiled again, same outcome, same fuel.
    assert_eq!(run(&engine, 0), first);
}
