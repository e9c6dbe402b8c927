//! Named transformations `t_<name>[.<name>…]` ⇒ `n-<name>` (spec §4.2 row 26, §8, D8, AMB-24).
//!
//! Owns: the name normalisation. ImageKit names may only hold `[A-Za-z0-9_]` (S11), so each
//! `%XX` escape is decoded to its byte and every run of other bytes becomes one `_`; a
//! dotted list gives one token per name. Imports only sibling modules.

use super::sink::Sink;
use super::DropReason;

/// Translates one `t_` value into one `n-` token per name, at the item's position.
pub(super) fn named(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    // Validate the whole list before writing anything.
    if value.split('.').any(|name| name.is_empty() || name.starts_with('$')) {
        return Err(DropReason::Invalid);
    }
    for name in value.split('.') {
        push_normalised(sink.token("n"), name.as_bytes());
    }
    Ok(())
}

/// Appends `name` with `%XX` decoded and each run of bytes outside `[A-Za-z0-9_]` as `_`.
fn push_normalised(out: &mut String, name: &[u8]) {
    let mut in_run = false;
    let mut i = 0;
    while i < name.len() {
        let (byte, len) = match (name[i], name.get(i + 1), name.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => (hex(h) * 16 + hex(l), 3),
            (b, _, _) => (b, 1),
        };
        i += len;
        if byte.is_ascii_alphanumeric() || byte == b'_' {
            out.push(char::from(byte));
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
}

/// Value of one hex digit (already checked).
fn hex(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        named(v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn normalisation() {
        assert_eq!(run("thumbnail").as_deref(), Ok("n-thumbnail"));
        assert_eq!(run("insta-crop").as_deref(), Ok("n-insta_crop"));
        assert_eq!(run("my%20thumb").as_deref(), Ok("n-my_thumb"));
        assert_eq!(run("a%2D-b").as_deref(), Ok("n-a_b"));
        assert_eq!(run("Up_Case9").as_deref(), Ok("n-Up_Case9"));
        assert_eq!(run("%41bc").as_deref(), Ok("n-Abc"));
        assert_eq!(run("caf%C3%A9").as_deref(), Ok("n-caf_"));
        assert_eq!(run("caf\u{e9}s").as_deref(), Ok("n-caf_s"));
        assert_eq!(run("50%").as_deref(), Ok("n-50_"));
        assert_eq!(run("%zz").as_deref(), Ok("n-_zz"));
        assert_eq!(run("-").as_deref(), Ok("n-_"));
    }

    #[test]
    fn lists_and_invalid_names() {
        assert_eq!(run("thumb.watermark").as_deref(), Ok("n-thumb,n-watermark"));
        for bad in ["", "a..b", ".a", "a.", "$x", "a.$y"] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }
}
