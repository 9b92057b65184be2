//! A limit on how deep wasm calls nest that is the same on every host (ADR 0037).
//!
//! wasmtime's own limit counts native stack bytes, and how many bytes a wasm frame takes depends
//! on the machine code the compiler emits for this CPU: a contract recursing 3,000 deep might
//! succeed on one validator and trap on another. So every contract is rewritten before it is
//! compiled: each function, on entry, adds its cost in *stack units* to a counter and traps if
//! the counter passes [`MAX_STACK_UNITS`]; on exit it takes them back. A function's cost is
//! what its native frame can hold: [`FRAME_STACK_UNITS`] for the frame itself, one per
//! parameter and local, one per value of its operand stack at its highest (found by
//! validating it). The counter is a global the module exports as [`STACK_EXPORT`]; a nested
//! contract's counter starts where its caller's stands, so the budget is one for the whole
//! call. The native limit ([`super::MAX_WASM_STACK_BYTES`]) stays as a backstop that the
//! counter reaches first on every host (runtime/tests/hostile.rs measures the margin).
//!
//! Contracts are WebAssembly 2.0 modules (no tail calls, exceptions or GC: a `return_call`
//! would leave without taking its units back).

use wasm_encoder::reencode::{utils, Error, Reencode};
use wasm_encoder::{BlockType, ConstExpr, ExportKind, GlobalType, Instruction, SectionId, ValType};
use wasmparser::{
    CompositeInnerType, FuncValidatorAllocations, Operator, Parser, Payload, TypeRef, ValidPayload,
    Validator, WasmFeatures,
};

pub use catena_abi::{FRAME_STACK_UNITS, MAX_STACK_UNITS};

/// The export naming the counter of stack units; a contract may not use the name itself.
pub const STACK_EXPORT: &str = "__catena_stack_units";

/// The WebAssembly features contracts may use: the 2.0 specification's.
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2
}

/// What rewriting a module needs to know of it, from validating it.
#[derive(Default)]
struct Plan {
    /// Per type index, a function type's results (`None` for other types).
    results: Vec<Option<Vec<wasmparser::ValType>>>,
    /// Per defined function, its type index and its cost in stack units.
    functions: Vec<(u32, u32)>,
    /// Globals imported and defined: the counter's index is this.
    globals: u32,
    exports: bool,
    /// Result lists of more than one value, each needing a type `[] -> results` for the block
    /// that wraps a function's body; its index is `results.len()` + its position here.
    block_types: Vec<Vec<wasmparser::ValType>>,
}

fn invalid(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn plan(code: &[u8]) -> Result<Plan, String> {
    let mut validator = Validator::new_with_features(features());
    let mut allocations = FuncValidatorAllocations::default();
    let mut plan = Plan::default();
    let mut bodies = 0;
    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::TypeSection(reader) => {
                for group in reader.clone() {
                    for ty in group.map_err(invalid)?.types() {
                        plan.results.push(match &ty.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(f.results().to_vec()),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone() {
                    if let TypeRef::Global(_) = import.map_err(invalid)?.ty {
                        plan.globals += 1;
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader.clone() {
                    plan.functions.push((ty.map_err(invalid)?, 0));
                }
            }
            Payload::GlobalSection(reader) => plan.globals += reader.count(),
            Payload::ExportSection(reader) => {
                plan.exports = true;
                for export in reader.clone() {
                    if export.map_err(invalid)?.name == STACK_EXPORT {
                        return Err(format!(
                            "exports '{STACK_EXPORT}', a name the runtime keeps for itself"
                        ));
                    }
                }
            }
            _ => {}
        }
        if let ValidPayload::Func(to_validate, body) =
            validator.payload(&payload).map_err(invalid)?
        {
            let mut func = to_validate.into_validator(std::mem::take(&mut allocations));
            func.read_locals(&mut body.get_binary_reader())
                .map_err(invalid)?;
            let mut ops = body.get_operators_reader().map_err(invalid)?;
            let mut highest = 0;
            while !ops.eof() {
                let offset = ops.original_position();
                let op = ops.read().map_err(invalid)?;
                func.op(offset, &op).map_err(invalid)?;
                highest = highest.max(func.operand_stack_height());
            }
            ops.finish().map_err(invalid)?;
            let cost = FRAME_STACK_UNITS
                .saturating_add(func.len_locals())
                .saturating_add(highest);
            allocations = func.into_allocations();
            // Bodies come in the order of the declared functions.
            let declared = plan
                .functions
                .get_mut(bodies)
                .ok_or("a function body without a declared function")?;
            declared.1 = cost;
            bodies += 1;
        }
    }
    for (ty, _) in &plan.functions {
        let results = plan
            .results
            .get(*ty as usize)
            .cloned()
            .flatten()
            .ok_or("a function of a type that is not a function type")?;
        if results.len() > 1 && !plan.block_types.contains(&results) {
            plan.block_types.push(results);
        }
    }
    if !plan.exports {
        return Err("exports no memory named 'memory'".into());
    }
    Ok(plan)
}

/// Each defined function's cost in stack units.
#[cfg(test)]
pub(super) fn plan_costs(code: &[u8]) -> Result<Vec<u32>, String> {
    Ok(plan(code)?
        .functions
        .iter()
        .map(|(_, cost)| *cost)
        .collect())
}

/// Where a section stands in a module's order (custom sections aside).
fn rank(section: SectionId) -> u8 {
    match section {
        SectionId::Custom => 0,
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
    }
}

struct Instrument {
    plan: Plan,
    /// The next defined function whose body comes.
    body: usize,
    counter_added: bool,
}

impl Instrument {
    fn counter(&self) -> u32 {
        self.plan.globals
    }

    fn add_counter(&mut self, globals: &mut wasm_encoder::GlobalSection) {
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(0),
        );
        self.counter_added = true;
    }

    fn body_block(&mut self, ty: u32) -> Result<BlockType, Error<String>> {
        let results = self
            .plan
            .results
            .get(ty as usize)
            .cloned()
            .flatten()
            .unwrap_or_default();
        Ok(match results.as_slice() {
            [] => BlockType::Empty,
            [one] => BlockType::Result(self.val_type(*one)?),
            many => {
                let extra = self
                    .plan
                    .block_types
                    .iter()
                    .position(|r| r.as_slice() == many)
                    .expect("planned");
                BlockType::FunctionType((self.plan.results.len() + extra) as u32)
            }
        })
    }
}

impl Reencode for Instrument {
    type Error = String;

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        utils::parse_type_section(self, types, section)?;
        for results in self.plan.block_types.clone() {
            let results = results
                .into_iter()
                .map(|t| self.val_type(t))
                .collect::<Result<Vec<_>, _>>()?;
            types.ty().function([], results);
        }
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        utils::parse_global_section(self, globals, section)?;
        self.add_counter(globals);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<String>> {
        // A module without globals gets a section holding the counter where it belongs.
        let past_globals = before.is_none_or(|b| rank(b) > rank(SectionId::Global));
        let came_before = after.is_none_or(|a| rank(a) < rank(SectionId::Global));
        if !self.counter_added && past_globals && came_before {
            let mut globals = wasm_encoder::GlobalSection::new();
            self.add_counter(&mut globals);
            module.section(&globals);
        }
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        utils::parse_export_section(self, exports, section)?;
        exports.export(STACK_EXPORT, ExportKind::Global, self.counter());
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error<String>> {
        let (ty, cost) = self.plan.functions[self.body];
        self.body += 1;
        let counter = self.counter();
        let cost = cost as i32;
        let mut f = self.new_function_with_parsed_locals(&func)?;
        // Entry: add the cost; past the budget, trap.
        f.instruction(&Instruction::GlobalGet(counter))
            .instruction(&Instruction::I32Const(cost))
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::GlobalSet(counter))
            .instruction(&Instruction::GlobalGet(counter))
            .instruction(&Instruction::I32Const(MAX_STACK_UNITS as i32))
            .instruction(&Instruction::I32GtU)
            .instruction(&Instruction::If(BlockType::Empty))
            .instruction(&Instruction::Unreachable)
            .instruction(&Instruction::End);
        // The body runs in a block with the function's results: a branch to the function's
        // label now ends the block, and `return` becomes such a branch, so every way out
        // passes the exit, which takes the cost back.
        f.instruction(&Instruction::Block(self.body_block(ty)?));
        let mut reader = func.get_operators_reader()?;
        let mut depth: u32 = 0;
        while !reader.eof() {
            match reader.read()? {
                op @ (Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. }) => {
                    depth += 1;
                    f.instruction(&self.instruction(op)?);
                }
                Operator::End if depth == 0 => {
                    f.instruction(&Instruction::End)
                        .instruction(&Instruction::GlobalGet(counter))
                        .instruction(&Instruction::I32Const(cost))
                        .instruction(&Instruction::I32Sub)
                        .instruction(&Instruction::GlobalSet(counter))
                        .instruction(&Instruction::End);
                }
                Operator::End => {
                    depth -= 1;
                    f.instruction(&Instruction::End);
                }
                Operator::Return => {
                    f.instruction(&Instruction::Br(depth));
                }
                op => {
                    f.instruction(&self.instruction(op)?);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}

/// `code` rewritten to count stack units (see the module's documentation), after validating
/// it as a WebAssembly 2.0 module.
pub fn instrument(code: &[u8]) -> Result<Vec<u8>, String> {
    let plan = plan(code)?;
    let mut instrument = Instrument {
        plan,
        body: 0,
        counter_added: false,
    };
    let mut module = wasm_encoder::Module::new();
    instrument
        .parse_core_module(&mut module, Parser::new(0), code)
        .map_err(|e| match e {
            Error::UserError(message) => message,
            other => other.to_string(),
        })?;
    Ok(module.finish())
}
