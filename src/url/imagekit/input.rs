//! Layer input given as base64 (`ie-…`, spec §7.1): percent-decoding, then URL-safe (or
//! standard) base64, padding optional, truncated at 2500 characters as documented.
//!
//! Owns: [`base64_text`]. May import `error`; outside: base64.
//!
//! # Format
//! ```text
//! ie-aGVsbG8%3D   ie-aGVsbG8   (both "hello")
//! ```

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};

use super::number::decode_text;
use crate::error::{Error, Result};

/// Base64 input longer than this is truncated (spec §7.1).
const MAX_B64_CHARS: usize = 2500;

/// Decode `ie-`: percent-decoding, then URL-safe (or standard) base64, padding optional.
pub(super) fn base64_text(raw: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid("ie", raw, why);
    let s = decode_text("ie", raw)?;
    let truncated = s.len() > MAX_B64_CHARS;
    let s = s.get(..MAX_B64_CHARS).unwrap_or(&s);
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let bytes = GeneralPurpose::new(&alphabet::URL_SAFE, cfg)
        .decode(s)
        .or_else(|_| GeneralPurpose::new(&alphabet::STANDARD, cfg).decode(s))
        .map_err(|_| bad("not valid base64"))?;
    match String::from_utf8(bytes) {
        Ok(t) => Ok(t),
        Err(e) if truncated => {
            let n = e.utf8_error().valid_up_to();
            Ok(String::from_utf8_lossy(&e.into_bytes()[..n]).into_owned())
        }
        Err(_) => Err(bad("base64 text is not UTF-8")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_inputs() {
        let table: &[(&str, &str)] = &[("aGVsbG8%3D", "hello"), ("aGVsbG8", "hello"), ("wqk", "©"), ("w6k_", "é?")];
        for &(raw, want) in table {
            assert_eq!(base64_text(raw).unwrap(), want, "{raw}");
        }
        for raw in ["!!!", "%FF", "_w"] {
            assert_eq!(base64_text(raw).unwrap_err().key(), Some("ie"), "{raw}");
        }
    }
}
