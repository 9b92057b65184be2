//! The stack-unit limit: where it stops a recursion follows from the formula alone, and the
//! native stack limit, kept as a backstop, is never reached first, with a wide margin, even by
//! frames that keep many values alive across their call.

use super::engine::deterministic_config;
use super::*;

/// A world for contracts that touch no storage.
struct Empty;

impl World for Empty {
    fn get(&self, _: &Hash, _: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }
    fn next(&self, _: &Hash, _: &[u8], _: Option<&[u8]>) -> Result<Option<Entry>, String> {
        Ok(None)
    }
    fn set(&mut self, _: &Hash, _: &[u8], _: &[u8]) {}
    fn remove(&mut self, _: &Hash, _: &[u8]) {}
    fn code_hash_of(&self, contract: &Hash) -> Result<Hash, String> {
        Err(format!("no contract {contract}"))
    }
    fn code(&self, hash: &Hash) -> Result<Vec<u8>, String> {
        Err(format!("no code {hash}"))
    }
    fn next_schedule_id(&mut self) -> Result<u64, String> {
        Ok(0)
    }
    fn schedule(&mut self, _: ScheduledCall) {}
}

/// Recursions whose frames differ: `$down` calls itself `n` more times, where `n` is what
/// `call` passes; each frame keeps distinct values alive across the call and adds them to the
/// result after it, so they must sit in the native frame.
fn recursion(kind: &str, n: u32) -> Vec<u8> {
    // Read from memory before the call, which might change it: kept, not computed again.
    let value = |i: usize| format!("(i64.load (i32.const {}))", i * 8);
    let (locals, before, after) = match kind {
        // One parameter.
        "plain" => (String::new(), String::new(), String::new()),
        // 48 i64 locals.
        "locals" => (
            "(local i64)".repeat(48),
            (1..=48)
                .map(|i| format!("(local.set {i} {})", value(i)))
                .collect(),
            (1..=48)
                .map(|i| format!("(i32.add (i32.wrap_i64 (local.get {i})))"))
                .collect(),
        ),
        // 32 v128 locals (16 bytes each).
        "vectors" => (
            "(local v128)".repeat(32),
            (1..=32)
                .map(|i| format!("(local.set {i} (v128.load (i32.const {})))", i * 16))
                .collect(),
            (1..=32)
                .map(|i| format!("(i32.add (i32x4.extract_lane 1 (local.get {i})))"))
                .collect(),
        ),
        // 64 values on the operand stack under the call.
        "operands" => (
            String::new(),
            (1..=64).map(value).collect(),
            format!(
                "(i64.extend_i32_u) {} (i32.wrap_i64)",
                "(i64.add)".repeat(64)
            ),
        ),
        other => panic!("no recursion {other}"),
    };
    let wat = format!(
        r#"(module
          (memory (export "memory") 1)
          (func $down (param i32) (result i32) {locals}
            {before}
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (call $down (i32.sub (local.get 0) (i32.const 1)))))
            {after})
          (func (export "call") (drop (call $down (i32.const {n})))))"#
    );
    wat::parse_str(wat).expect("valid text")
}

fn run(engine: &ContractEngine, code: &[u8]) -> Result<Vec<u8>, ContractError> {
    let context = CallContext {
        origin: AccountId([1; 32]),
        caller: AccountId([1; 32]),
        block_height: 1,
        block_time_ms: 0,
        invoice_key: None,
    };
    engine
        .call(
            Hash([2; 32]),
            code,
            "call",
            b"",
            context,
            &mut Empty,
            1 << 32,
        )
        .result
}

/// The most `$down` frames the budget holds: `call`'s frame, then each `$down`'s.
fn deepest(kind: &str) -> u32 {
    let plan = super::depth::plan_costs(&recursion(kind, 0)).expect("valid");
    let (down, call) = (plan[0], plan[1]);
    (MAX_STACK_UNITS - call) / down
}

#[test]
fn recursion_stops_where_the_formula_says_on_every_host() {
    let engine = ContractEngine::new().expect("engine");
    for kind in ["plain", "locals", "vectors", "operands"] {
        let frames = deepest(kind);
        // `$down` with argument n runs in n + 1 frames.
        assert_eq!(
            run(&engine, &recursion(kind, frames - 1)),
            Ok(Vec::new()),
            "{kind}"
        );
        assert_eq!(
            run(&engine, &recursion(kind, frames)),
            Err(ContractError::StackOverflow),
            "{kind}"
        );
    }
    // The cost of a frame: 8, one per parameter and local, one per operand at the highest.
    assert_eq!(
        super::depth::plan_costs(&recursion("plain", 0)).unwrap()[0],
        8 + 1 + 2
    );
    assert_eq!(
        super::depth::plan_costs(&recursion("locals", 0)).unwrap()[0],
        8 + 49 + 2
    );
}

/// The most `$down` frames of `kind` the native stack limit alone lets run (the module not
/// rewritten), by bisection.
fn native_frames(kind: &str) -> u32 {
    let engine = Engine::new(&deterministic_config()).expect("engine");
    let fits = |n: u32| {
        let module = Module::from_binary(&engine, &recursion(kind, n)).expect("compiles");
        let mut store = Store::new(&engine, ());
        store.set_fuel(u64::MAX / 2).expect("fuel");
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).expect("instance");
        let call = instance
            .get_typed_func::<(), ()>(&mut store, "call")
            .expect("exported");
        call.call(&mut store, ()).is_ok()
    };
    let (mut fitting, mut failing) = (1u32, 1_000_000u32);
    while fitting + 1 < failing {
        let middle = (fitting + failing) / 2;
        if fits(middle) {
            fitting = middle;
        } else {
            failing = middle;
        }
    }
    fitting + 1
}

#[test]
fn the_native_limit_is_never_reached_first() {
    // For every kind of frame the native stack holds at least four times the deepest
    // recursion the budget allows (measured on this host; ADR 0037 records the figures).
    for kind in ["plain", "locals", "vectors", "operands"] {
        let native = native_frames(kind);
        let cost = super::depth::plan_costs(&recursion(kind, 0)).expect("valid")[0];
        let bytes_per_unit = MAX_WASM_STACK_BYTES as f64 / f64::from(native) / f64::from(cost);
        println!(
            "{kind}: {cost} units a frame; the native limit holds {native} frames \
             ({bytes_per_unit:.1} bytes per unit), the budget {}",
            deepest(kind)
        );
        assert!(
            native >= 4 * deepest(kind),
            "{kind}: {native} native frames"
        );
    }
}

#[test]
fn what_the_runtime_keeps_for_itself_cannot_be_exported_and_nothing_past_wasm_2_is_taken() {
    let engine = ContractEngine::new().expect("engine");
    let squatter = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (global (export "__catena_stack_units") (mut i32) (i32.const 0)))"#,
    )
    .expect("valid text");
    let refused = engine.validate(&squatter).expect_err("refused");
    assert!(
        refused.to_string().contains("keeps for itself"),
        "{refused}"
    );
    let tail_call = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func $f (return_call $f)) (func (export "call") (call $f)))"#,
    )
    .expect("valid text");
    let refused = engine.validate(&tail_call).expect_err("refused");
    assert!(
        matches!(refused, ContractError::InvalidCode(_)),
        "{refused}"
    );
}

#[test]
fn functions_with_several_results_and_early_returns_keep_the_count_balanced() {
    // `$pair` returns two values, by `return` from inside a loop and by a branch to its own
    // label; called 10,000 times in a row (never nested) it never exhausts the budget.
    let code = wat::parse_str(
        r#"(module (memory (export "memory") 1)
          (func $pair (param i32) (result i32 i64)
            (loop $again
              (if (i32.eq (local.get 0) (i32.const 1))
                (then (return (i32.const 1) (i64.const 2))))
              (if (i32.eq (local.get 0) (i32.const 2))
                (then (br 2 (i32.const 3) (i64.const 4))))
              (br_if $again (i32.const 0)))
            (i32.const 5) (i64.const 6))
          (func (export "call") (local $i i32)
            (loop $more
              (call $pair (i32.rem_u (local.get $i) (i32.const 3)))
              (drop) (drop)
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $more (i32.lt_u (local.get $i) (i32.const 10000))))))"#,
    )
    .expect("valid text");
    let engine = ContractEngine::new().expect("engine");
    assert_eq!(run(&engine, &code), Ok(Vec::new()));
}
