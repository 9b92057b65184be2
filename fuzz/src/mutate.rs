//! Breaking valid inputs the way hostile peers do, from a seed: the same seed, the same inputs.

/// A small deterministic generator (xorshift64*): reproducible campaigns need no crate.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// SCALE compact prefixes that claim huge lengths, and boundary values.
const INTERESTING: [&[u8]; 8] = [
    &[0xff, 0xff, 0xff, 0xff],
    &[0xfe, 0xff, 0xff, 0xff],
    &[0x03, 0xff, 0xff, 0xff, 0xff],
    &[0x13, 0, 0, 0, 0, 0, 0, 0, 0x80],
    &[0xfc],
    &[0x00],
    &[0x80, 0x00, 0x00, 0x00],
    &[0x01, 0x00],
];

/// `input` changed by one to eight mutations; `other` is another input to splice from.
pub fn mutate(input: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let len = out.len();
        match rng.below(8) {
            // Flip a bit.
            0 if len > 0 => {
                let at = rng.below(len);
                out[at] ^= 1 << rng.below(8);
            }
            // Set a byte.
            1 if len > 0 => {
                let at = rng.below(len);
                out[at] = rng.next_u64() as u8;
            }
            // Overwrite with a length prefix claiming a lot, or a boundary value.
            2 => {
                let value = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len + 1);
                let end = (at + value.len()).min(len);
                out.splice(at..end, value.iter().copied());
            }
            // Cut a range.
            3 if len > 0 => {
                let at = rng.below(len);
                let end = at + rng.below(len - at) + 1;
                out.drain(at..end);
            }
            // Repeat a range.
            4 if len > 0 => {
                let at = rng.below(len);
                let end = (at + rng.below(64) + 1).min(len);
                let copy = out[at..end].to_vec();
                let to = rng.below(len + 1);
                out.splice(to..to, copy);
            }
            // Truncate.
            5 => out.truncate(rng.below(len + 1)),
            // Splice in part of another input.
            6 if !other.is_empty() => {
                let at = rng.below(other.len());
                let end = (at + rng.below(other.len() - at) + 1).min(other.len());
                let to = rng.below(len + 1);
                out.splice(to..to, other[at..end].iter().copied());
            }
            // Insert random bytes.
            _ => {
                let to = rng.below(len + 1);
                let bytes: Vec<u8> = (0..1 + rng.below(16))
                    .map(|_| rng.next_u64() as u8)
                    .collect();
                out.splice(to..to, bytes);
            }
        }
    }
    out
}
