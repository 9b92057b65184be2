//! Decoding untrusted bytes with limits on size and nesting depth.

use parity_scale_codec::{Decode, DecodeLimit};

/// The deepest nesting accepted in any decoded value. Our types nest a handful of levels;
/// the limit stops stack exhaustion from hostile recursive encodings.
pub const MAX_DECODE_DEPTH: u32 = 32;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("input is {len} bytes, over the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("malformed encoding: {0}")]
    Malformed(alloc::string::String),
}

/// Decodes exactly one `T` from `bytes`, refusing input longer than `max_len`, nesting deeper
/// than [`MAX_DECODE_DEPTH`], and trailing bytes. Length prefixes inside the input cannot make
/// the decoder allocate more than the input holds.
pub fn decode_limited<T: Decode>(bytes: &[u8], max_len: usize) -> Result<T, DecodeError> {
    if bytes.len() > max_len {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            limit: max_len,
        });
    }
    T::decode_all_with_depth_limit(MAX_DECODE_DEPTH, &mut &bytes[..])
        .map_err(|e| DecodeError::Malformed(alloc::format!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use parity_scale_codec::Encode;

    #[test]
    fn refuses_oversized_trailing_and_lying_length() {
        let v: Vec<u8> = alloc::vec![1, 2, 3];
        let bytes = v.encode();
        assert_eq!(decode_limited::<Vec<u8>>(&bytes, 16), Ok(v));
        assert!(matches!(
            decode_limited::<Vec<u8>>(&bytes, 2),
            Err(DecodeError::TooLarge { len: 4, limit: 2 })
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_limited::<Vec<u8>>(&trailing, 16).is_err());
        // A compact length prefix claiming 2^30 bytes with only 3 behind it.
        let lying = [0xfeu8, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(decode_limited::<Vec<u8>>(&lying, 16).is_err());
    }
}
