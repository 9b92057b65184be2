//! Typed method descriptors: a system contract's method as a value that names its contract, its
//! method string, its argument type and its output type, so that a caller cannot pair a name with
//! the wrong types and a rename or a type change fails to compile wherever the method is used.

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use parity_scale_codec::{Decode, DecodeLimit, Encode};

/// How deeply nested a decoded output may be.
const MAX_DECODE_DEPTH: u32 = 32;

/// Method `name` of system contract `contract` (one of [`crate::names`]): it takes the SCALE
/// encoding of `A` and returns the SCALE encoding of `O`.
pub struct Method<A, O> {
    pub contract: &'static str,
    pub name: &'static str,
    types: PhantomData<fn(A) -> O>,
}

impl<A, O> Method<A, O> {
    pub const fn new(contract: &'static str, name: &'static str) -> Self {
        Method {
            contract,
            name,
            types: PhantomData,
        }
    }
}

impl<A: Encode, O> Method<A, O> {
    /// The call's input: the argument's SCALE encoding.
    pub fn input(&self, argument: &A) -> Vec<u8> {
        argument.encode()
    }
}

impl<A, O: Decode> Method<A, O> {
    /// The call's output decoded: all of it, with a depth limit.
    pub fn output(&self, bytes: &[u8]) -> Result<O, parity_scale_codec::Error> {
        O::decode_all_with_depth_limit(MAX_DECODE_DEPTH, &mut &bytes[..])
    }
}

impl<A, O> Clone for Method<A, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, O> Copy for Method<A, O> {}

impl<A, O> fmt::Debug for Method<A, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.contract, self.name)
    }
}

impl<A, O> fmt::Display for Method<A, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Whether two names are equal, at compile time: the SDK's `methods!` checks with it that each
/// exported function is named as its descriptor.
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a contract's method descriptors: `NAME = "name": Argument => Output;`. With std,
/// also `metadata`: each method with its argument's and output's types in a registry.
macro_rules! methods {
    ($contract:expr; $($(#[$doc:meta])* $konst:ident = $name:literal: $arg:ty => $out:ty;)+) => {
        $($(#[$doc])* pub const $konst: $crate::Method<$arg, $out> = $crate::Method::new($contract, $name);)+

        /// Each method, its argument's and its output's types registered in `registry`.
        #[cfg(feature = "std")]
        pub fn metadata(
            registry: &mut scale_info::Registry,
        ) -> alloc::vec::Vec<$crate::metadata::MethodMeta> {
            alloc::vec![$($crate::metadata::MethodMeta::of::<$arg, $out>($name, registry)),+]
        }
    };
}
pub(crate) use methods;

/// Declares a contract's event topics: `NAME = "topic": Data;` (the type of the event's data).
/// With std, also `metadata`: each topic with its data's type in a registry.
macro_rules! events {
    ($($(#[$doc:meta])* $konst:ident = $topic:literal: $data:ty;)+) => {
        $($(#[$doc])* pub const $konst: &str = $topic;)+

        /// Each topic, its data's type registered in `registry`.
        #[cfg(feature = "std")]
        pub fn metadata(
            registry: &mut scale_info::Registry,
        ) -> alloc::vec::Vec<$crate::metadata::EventMeta> {
            alloc::vec![$($crate::metadata::EventMeta::of::<$data>($topic, registry)),+]
        }
    };
}
pub(crate) use events;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_encodes_its_argument_and_decodes_its_output() {
        let method: Method<(u64, bool), Option<u32>> = Method::new("voucher", "example");
        assert_eq!(method.input(&(7, true)), (7u64, true).encode());
        assert_eq!(method.output(&Some(5u32).encode()), Ok(Some(5)));
        assert!(method.output(&[1, 5]).is_err(), "a short output is refused");
        assert!(
            method.output(&[0, 0]).is_err(),
            "trailing bytes are refused"
        );
        assert_eq!(alloc::format!("{method:?}"), "voucher.example");
        assert!(same_name("split", "split"));
        assert!(!same_name("split", "splits"));
        assert!(!same_name("split", "spilt"));
    }
}
