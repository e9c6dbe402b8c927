//! Border `bo_<w>px_solid_<colour>` ⇒ `b-<w>-<colour>` (spec §4.2 row 18).
//!
//! Owns: the border grammar. The width is a positive integer copied verbatim, the style
//! must be `solid`, the colour follows §4.3. The documented `b-<w>-<colour>` separator is
//! emitted (the engine accepts `_` too). Imports only sibling modules.

use super::color;
use super::decimal::{is_uint, is_zero};
use super::sink::Sink;
use super::DropReason;

/// Translates one `bo_` value.
pub(super) fn border(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    let mut parts = value.splitn(3, '_');
    let width = parts.next().unwrap_or("").strip_suffix("px").ok_or(DropReason::Invalid)?;
    let style = parts.next().ok_or(DropReason::Invalid)?;
    let colour = parts.next().ok_or(DropReason::Invalid)?;
    if !is_uint(width) || is_zero(width) || style != "solid" {
        return Err(DropReason::Invalid);
    }
    let c = color::parse(colour).ok_or(DropReason::Invalid)?;
    let out = sink.token("b");
    out.push_str(width);
    out.push('-');
    c.push_to(out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        border(v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn documented_examples() {
        assert_eq!(run("5px_solid_red").as_deref(), Ok("b-5-red"));
        assert_eq!(run("5px_solid_BLUE").as_deref(), Ok("b-5-blue"));
        assert_eq!(run("5px_solid_rgb:AAAA54").as_deref(), Ok("b-5-AAAA54"));
        assert_eq!(run("5px_solid_rgb:AAAA54A9").as_deref(), Ok("b-5-AAAA5466"));
        assert_eq!(run("5px_solid_rgb:B4F").as_deref(), Ok("b-5-BB44FF"));
        assert_eq!(run("5px_solid_rgb:B4F9").as_deref(), Ok("b-5-BB44FF60"));
        assert_eq!(run("3px_solid_DarkSlateGray").as_deref(), Ok("b-3-darkslategray"));
    }

    #[test]
    fn invalid_borders() {
        for bad in [
            "5px_dotted_red",
            "0px_solid_red",
            "5_solid_red",
            "px_solid_red",
            "5px_solid",
            "5px_solid_notacolour",
            "5px_solid_red_x",
            "-5px_solid_red",
            "",
            "5.5px_solid_red",
            "5px_SOLID_red",
        ] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }
}
