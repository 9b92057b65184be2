//! Calls of the system contracts built from their typed method descriptors
//! ([`catena_schema::Method`]): the contract's id, the method's name and the argument's encoding
//! all come from the descriptor, so a call cannot pair a name with the wrong types.

use catena_primitives::{system_contract_id, Call, Hash};
use catena_schema::Method;
use parity_scale_codec::Encode;

/// The transaction call of `method` with `argument`.
pub fn system_call<A: Encode, O>(method: Method<A, O>, argument: A) -> Call {
    Call::CallContract {
        contract: system_contract_id(method.contract),
        method: method.name.into(),
        input: method.input(&argument),
    }
}

/// The id of the system contract `method` belongs to.
pub fn contract_of<A, O>(method: Method<A, O>) -> Hash {
    system_contract_id(method.contract)
}

#[cfg(test)]
mod tests {
    use super::*;
    use catena_schema::voucher::{method, Split};

    #[test]
    fn a_system_call_names_the_descriptors_contract_method_and_encoding() {
        let split = Split {
            voucher: 7,
            amounts: vec![1, 2],
        };
        let Call::CallContract {
            contract,
            method: name,
            input,
        } = system_call(method::SPLIT, split.clone())
        else {
            panic!("a contract call");
        };
        assert_eq!(contract, system_contract_id("voucher"));
        assert_eq!(contract, contract_of(method::SPLIT));
        assert_eq!((name.as_str(), input), ("split", split.encode()));
    }
}
