//! The schema as data (std only): every system contract's methods and events with the shapes of
//! their arguments, outputs and event data, in a `scale-info` type registry. The node serves it
//! (`GET /schema`), the explorer and the CLI decode calls and events with it, and the Python and
//! TypeScript clients encode and decode from its JSON (ADR 0043).

use alloc::vec::Vec;

use scale_info::{PortableRegistry, Registry, TypeInfo};
use serde::Serialize;

/// A method: its name and the registry ids of its argument's and output's types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MethodMeta {
    pub name: &'static str,
    pub argument: u32,
    pub output: u32,
}

impl MethodMeta {
    pub fn of<A: TypeInfo + 'static, O: TypeInfo + 'static>(
        name: &'static str,
        registry: &mut Registry,
    ) -> MethodMeta {
        MethodMeta {
            name,
            argument: registry.register_type(&scale_info::meta_type::<A>()).id,
            output: registry.register_type(&scale_info::meta_type::<O>()).id,
        }
    }
}

/// An event: its topic and the registry id of its data's type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventMeta {
    pub topic: &'static str,
    pub data: u32,
}

impl EventMeta {
    pub fn of<D: TypeInfo + 'static>(topic: &'static str, registry: &mut Registry) -> EventMeta {
        EventMeta {
            topic,
            data: registry.register_type(&scale_info::meta_type::<D>()).id,
        }
    }
}

/// A system contract: its name (its id is `system_contract_id(name)`), methods and events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContractMeta {
    pub name: &'static str,
    pub methods: Vec<MethodMeta>,
    pub events: Vec<EventMeta>,
}

/// The whole schema: the contracts, and the types their ids point into.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metadata {
    pub contracts: Vec<ContractMeta>,
    pub types: PortableRegistry,
}

impl Metadata {
    /// Contract `name`'s entry, if it is a system contract.
    pub fn contract(&self, name: &str) -> Option<&ContractMeta> {
        self.contracts.iter().find(|c| c.name == name)
    }

    /// System contract `contract`'s method `method`, if the schema knows it.
    pub fn method(&self, contract: &str, method: &str) -> Option<&MethodMeta> {
        self.contract(contract)?
            .methods
            .iter()
            .find(|m| m.name == method)
    }
}

/// The schema of every system contract, in [`crate::names::SYSTEM`] order.
pub fn metadata() -> Metadata {
    let mut registry = Registry::new();
    let mut contract =
        |name,
         methods: fn(&mut Registry) -> Vec<MethodMeta>,
         events: fn(&mut Registry) -> Vec<EventMeta>| ContractMeta {
            name,
            methods: methods(&mut registry),
            events: events(&mut registry),
        };
    let contracts = alloc::vec![
        contract(
            crate::names::REGISTRY,
            crate::registry::method::metadata,
            crate::registry::events::metadata
        ),
        contract(
            crate::names::RECORDS,
            crate::records::method::metadata,
            crate::records::events::metadata
        ),
        contract(
            crate::names::CASH,
            crate::cash::method::metadata,
            crate::cash::events::metadata
        ),
        contract(
            crate::names::VOUCHER,
            crate::voucher::method::metadata,
            crate::voucher::events::metadata
        ),
        contract(
            crate::names::RECEIPTS,
            crate::receipts::method::metadata,
            crate::receipts::events::metadata
        ),
        contract(
            crate::names::LENDING,
            crate::lending::method::metadata,
            crate::lending::events::metadata
        ),
    ];
    Metadata {
        contracts,
        types: registry.into(),
    }
}
