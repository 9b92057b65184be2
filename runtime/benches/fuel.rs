//! What a unit of fuel costs in time, for wasm instructions and for each host function, and what
//! compiling a contract costs per byte of code (ADR 0038: the fuel schedule is derived from
//! these figures). Each host function is called `K` times in a wasm loop; the same loop without
//! the call is subtracted, so what remains is the call's own time and fuel.
//!
//! `cargo bench -p catena-runtime --bench fuel` prints the table (use a release build: the
//! figures of a debug build mean nothing). `cargo test --benches` runs each case once.

// A benchmark measures time; the code it measures never reads the clock.
#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use catena_primitives::{AccountId, Hash, SecretKey};
use catena_runtime::wasm::{CallContext, ContractEngine, ScheduledCall, World};
use catena_runtime::Entry;

const THIS: Hash = Hash([5; 32]);
const CALLEE: Hash = Hash([6; 32]);

/// Storage and code in memory: what is measured is the sandbox and its host functions; the
/// node's RocksDB reads are measured by node/service's `runtime/voucher_transfer`.
#[derive(Clone, Default)]
struct MapWorld {
    entries: BTreeMap<(Hash, Vec<u8>), Vec<u8>>,
    code: BTreeMap<Hash, Vec<u8>>,
    scheduled: u64,
}

impl World for MapWorld {
    fn get(&self, contract: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Ok(self.entries.get(&(*contract, key.to_vec())).cloned())
    }
    fn next(
        &self,
        contract: &Hash,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<Entry>, String> {
        let start = after.map_or(prefix.to_vec(), |a| {
            let mut next = a.to_vec();
            next.push(0);
            next
        });
        Ok(self
            .entries
            .range((*contract, start)..)
            .take_while(|((c, k), _)| c == contract && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .next())
    }
    fn set(&mut self, contract: &Hash, key: &[u8], value: &[u8]) {
        self.entries
            .insert((*contract, key.to_vec()), value.to_vec());
    }
    fn remove(&mut self, contract: &Hash, key: &[u8]) {
        self.entries.remove(&(*contract, key.to_vec()));
    }
    fn code_hash_of(&self, contract: &Hash) -> Result<Hash, String> {
        self.code
            .get(contract)
            .map(|code| Hash::digest(code))
            .ok_or_else(|| format!("no contract {contract}"))
    }
    fn code(&self, hash: &Hash) -> Result<Vec<u8>, String> {
        self.code
            .values()
            .find(|code| Hash::digest(code) == *hash)
            .cloned()
            .ok_or_else(|| format!("no code {hash}"))
    }
    fn next_schedule_id(&mut self) -> Result<u64, String> {
        self.scheduled += 1;
        Ok(self.scheduled)
    }
    fn schedule(&mut self, _: ScheduledCall) {}
}

/// Memory: 0 a key, 64 a prefix, 1,024 data (16 KiB), 32,768 a public key, a signature and its
/// message, 40,000 output.
const IMPORTS: &str = r#"
  (import "catena_v1" "input_len" (func $input_len (result i32)))
  (import "catena_v1" "sha256" (func $sha256 (param i32 i32 i32)))
  (import "catena_v1" "storage_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "catena_v1" "storage_write" (func $write (param i32 i32 i32 i32)))
  (import "catena_v1" "storage_next" (func $next (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "catena_v1" "emit_event" (func $emit (param i32 i32 i32 i32)))
  (import "catena_v1" "ed25519_verify" (func $verify (param i32 i32 i32 i32) (result i32)))
  (import "catena_v1" "call_contract" (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "catena_v1" "schedule_call" (func $schedule (param i64 i32 i32 i32 i32) (result i64)))
"#;

/// A contract whose `call` runs `body` `times` times in a loop.
fn looping(body: &str, times: u32, data: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module {IMPORTS}
          (memory (export "memory") 2)
          (data (i32.const 0) "key00000")
          (data (i32.const 64) "p")
          (data (i32.const 200) "call")
          {data}
          (global $sum (mut i64) (i64.const 0))
          (func (export "call") (local $i i32)
            (loop $again
              {body}
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))))"#
    ))
    .unwrap()
}

fn escaped(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

struct Case {
    name: &'static str,
    body: String,
    /// Calls in one contract call (the ABI caps events and schedules per call).
    times: u32,
}

fn case(name: &'static str, body: &str, times: u32) -> Case {
    Case {
        name,
        body: body.to_string(),
        times,
    }
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

/// The fastest of `runs` runs of `repeat` calls of `code`: time and fuel of one call.
fn measure(
    engine: &ContractEngine,
    code: &[u8],
    world: &MapWorld,
    repeat: u32,
    runs: u32,
) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut fuel = 0;
    for _ in 0..runs {
        let mut world = world.clone();
        let started = Instant::now();
        for _ in 0..repeat {
            let outcome = engine.call(THIS, code, "call", b"", context(), &mut world, 1 << 40);
            assert!(outcome.result.is_ok(), "{:?}", outcome.result);
            fuel = outcome.fuel_used;
        }
        best = best.min(started.elapsed() / repeat);
    }
    (best, fuel)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let (repeat, runs) = if quick { (1, 1) } else { (20, 5) };
    let engine = ContractEngine::new().unwrap();

    let mut world = MapWorld::default();
    world
        .entries
        .insert((THIS, b"key00000".to_vec()), vec![7; 32]);
    for i in 0..1_000u32 {
        world
            .entries
            .insert((THIS, format!("p{i:05}").into_bytes()), vec![1; 32]);
    }
    let noop =
        wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "call")))"#).unwrap();
    world.code.insert(CALLEE, noop);

    let key = SecretKey::from_seed([9; 32]);
    let message = [3u8; 32];
    let signature = key.sign(&message);
    let data = format!(
        r#"(data (i32.const 32768) "{}{}{}") (data (i32.const 300) "{}")"#,
        escaped(&key.account().0),
        escaped(&signature.0),
        escaped(&message),
        escaped(&CALLEE.0),
    );

    let n = if quick { 10 } else { 2_000 };
    let cases = [
        case("loop of wasm instructions", "", n),
        case(
            "wasm arithmetic",
            "(global.set $sum (i64.add (global.get $sum) (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 3))))",
            n,
        ),
        case("input_len", "(drop (call $input_len))", n),
        case("sha256 of 32 bytes", "(call $sha256 (i32.const 1024) (i32.const 32) (i32.const 40000))", n),
        case("sha256 of 16 KiB", "(call $sha256 (i32.const 1024) (i32.const 16384) (i32.const 40000))", n / 10),
        case("storage_read of 32 bytes", "(drop (call $read (i32.const 0) (i32.const 8) (i32.const 40000) (i32.const 1024)))", n),
        case("storage_read of an absent key", "(drop (call $read (i32.const 0) (i32.const 7) (i32.const 40000) (i32.const 1024)))", n),
        case("storage_write of 32 bytes", "(call $write (i32.const 0) (i32.const 8) (i32.const 1024) (i32.const 32))", n),
        case("storage_write of 4 KiB", "(call $write (i32.const 0) (i32.const 8) (i32.const 1024) (i32.const 4096))", n / 10),
        case("storage_next, first of 1,000", "(drop (call $next (i32.const 64) (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 40000) (i32.const 1024)))", n),
        case("emit_event of 1 KiB", "(call $emit (i32.const 0) (i32.const 8) (i32.const 1024) (i32.const 1024))", 200),
        case("ed25519_verify", "(drop (call $verify (i32.const 32768) (i32.const 32864) (i32.const 32) (i32.const 32800)))", n / 20),
        case("call_contract of an empty contract", "(drop (call $call (i32.const 300) (i32.const 200) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 40000) (i32.const 0)))", n / 10),
        case("schedule_call", "(drop (call $schedule (i64.const 0) (i32.const 200) (i32.const 4) (i32.const 0) (i32.const 32)))", 16),
    ];

    // The loop alone, for each count of iterations used.
    let mut baselines = BTreeMap::new();
    for times in cases.iter().map(|c| c.times) {
        baselines
            .entry(times)
            .or_insert_with(|| measure(&engine, &looping("", times, &data), &world, repeat, runs));
    }
    let (loop_time, loop_fuel) = baselines[&n];
    let instruction_ns = loop_time.as_nanos() as f64 / loop_fuel as f64;

    println!("| what | fuel | time | ns per fuel | fuel at the wasm rate |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for case in &cases {
        let code = looping(&case.body, case.times, &data);
        let (time, fuel) = measure(&engine, &code, &world, repeat, runs);
        let (base_time, base_fuel) = baselines[&case.times];
        let (time, fuel, what) = if case.body.is_empty() {
            (time.as_nanos() as f64, fuel as f64, "per call".to_string())
        } else {
            let per = f64::from(case.times);
            (
                time.as_nanos().saturating_sub(base_time.as_nanos()) as f64 / per,
                (fuel - base_fuel) as f64 / per,
                "each".to_string(),
            )
        };
        println!(
            "| {} ({what}) | {fuel:.0} | {:.0} ns | {:.2} | {:.0} |",
            case.name,
            time,
            time / fuel,
            time / instruction_ns
        );
    }

    // Compiling: the system contracts, each compiled afresh (a cache that keeps only the module
    // compiled last, alternating between two).
    let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/artifacts");
    let mut codes = Vec::new();
    for name in [
        "counter", "cash", "records", "registry", "voucher", "receipts", "lending",
    ] {
        codes.push((
            name,
            std::fs::read(format!("{artifacts}/{name}.wasm")).unwrap(),
        ));
    }
    let compiler = ContractEngine::with_cache_bytes(0).unwrap();
    println!();
    println!("| contract | bytes | compile | ns per byte | fuel per byte at the wasm rate |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (i, (name, code)) in codes.iter().enumerate() {
        let other = &codes[(i + 1) % codes.len()].1;
        let mut best = Duration::MAX;
        for _ in 0..runs.max(2) {
            compiler.validate(other).unwrap();
            let started = Instant::now();
            compiler.validate(code).unwrap();
            best = best.min(started.elapsed());
        }
        let per_byte = best.as_nanos() as f64 / code.len() as f64;
        println!(
            "| {name} | {} | {:.1} ms | {per_byte:.0} | {:.0} |",
            code.len(),
            best.as_secs_f64() * 1e3,
            per_byte / instruction_ns
        );
    }
    println!();
    println!("wasm instructions: {instruction_ns:.3} ns per fuel");
}
