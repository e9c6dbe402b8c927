//! ImageKit's generative-AI transformations, which need cloud models this engine does not
//! run: recognised by name and refused with `unsupported` (HTTP 400), the key, and a message
//! that says why, instead of "unknown parameter".
//!
//! Owns: [`GENERATIVE_EFFECTS`], [`GENERATIVE_BACKGROUNDS`], [`refuse`]. May import `error`.
//! README.md ("Generative-AI transformations") lists the same names.

use crate::error::{Error, ErrorKind};

/// `e-<name>` values that are generative: background removal (`bgremove` is ImageKit's own,
/// `removedotbg` remove.bg's), AI drop shadow, upscaling, retouching, variations, and the
/// prompt-driven background change and edit (`e-changebg-prompt-…`, `e-edit-prompt-…`).
pub(super) const GENERATIVE_EFFECTS: [&str; 8] =
    ["bgremove", "removedotbg", "dropshadow", "upscale", "retouch", "genvar", "changebg", "edit"];

/// `bg-<value>` prefixes that are generative: generative fill (`bg-genfill[-prompt-…]`).
pub(super) const GENERATIVE_BACKGROUNDS: [&str; 1] = ["genfill"];

/// The refusal for generative `key` (`e-bgremove`, `bg`) with its raw `value`.
pub(super) fn refuse(key: &str, value: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!(
            "'{key}' needs a generative AI model (an ImageKit AI add-on), which this server does not run; \
             remove it or pre-render the image elsewhere"
        ),
    )
    .with_param(key, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_unsupported_and_names_the_key() {
        let e = refuse("e-bgremove", "bgremove");
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains("e-bgremove") && e.to_string().contains("generative"), "{e}");
    }
}
