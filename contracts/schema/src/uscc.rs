//! The unified social credit code (统一社会信用代码, GB 32100-2015) that identifies a member.

use alloc::format;
use alloc::string::String;

/// The 31 characters a USCC may use: digits and capitals without I, O, S, V, Z.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The check character for the first 17 characters of a code, or `None` if one of them is
/// outside the USCC alphabet.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (byte, weight) in first17.bytes().zip(WEIGHTS) {
        let value = ALPHABET.iter().position(|&c| c == byte)? as u32;
        sum += value * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Checks a full 18-character code; the error says what is wrong.
pub fn validate(code: &str) -> Result<(), String> {
    if code.len() != 18 || !code.is_ascii() {
        return Err(format!(
            "must be 18 characters, found {}",
            code.chars().count()
        ));
    }
    if let Some(bad) = code.chars().find(|c| !ALPHABET.contains(&(*c as u8))) {
        return Err(format!(
            "'{bad}' is not allowed (digits and capital letters except I, O, S, V, Z)"
        ));
    }
    let expected = check_char(&code[..17]).expect("alphabet checked above");
    let found = code.as_bytes()[17] as char;
    if found != expected {
        return Err(format!(
            "check character is '{found}', expected '{expected}'"
        ));
    }
    Ok(())
}

/// Completes 17 characters with their check character.
pub fn with_check(first17: &str) -> String {
    let check = check_char(first17).expect("17 characters of the USCC alphabet");
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_validate() {
        // Published codes of well-known companies.
        assert_eq!(validate("91350100M000100Y43"), Ok(()));
        assert_eq!(validate("91110000100006485K"), Ok(()));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(validate("91350100M000100Y4")
            .unwrap_err()
            .contains("18 characters"));
        assert!(validate("91350100M000100Y4I").unwrap_err().contains("'I'"));
        assert!(validate("91350100M000100Y44")
            .unwrap_err()
            .contains("expected '3'"));
        assert_eq!(validate(&with_check("91310000MA1FL0000")), Ok(()));
    }
}
