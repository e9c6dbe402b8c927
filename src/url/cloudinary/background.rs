//! Background `b_` ⇒ `bg-` (spec §4.2 rows 19–20, D1, AMB-28).
//!
//! Owns: colour backgrounds, Cloudinary's content-aware padding `b_auto` (⇒ `bg-dominant`
//! only next to `c_pad`) and the blurred background with its exact integer scaling
//! `trunc(I / 20)` and `trunc(B × 255 / 100)` clamped to ±255. Imports only sibling modules.

use super::color;
use super::decimal::{push_u32, sint_at_most, uint_at_most};
use super::sink::Sink;
use super::DropReason;

/// Translates one `b_` value; `pad` tells whether the same component's crop mode is `c_pad`.
pub(super) fn background(value: &str, pad: bool, sink: &mut Sink) -> Result<(), DropReason> {
    if value == "blurred" || value.starts_with("blurred:") {
        return blurred(value.strip_prefix("blurred").unwrap_or(""), sink);
    }
    if value == "auto" || value.starts_with("auto:") {
        // Content-aware padding only colours padding in Cloudinary (D1); other modes
        // (contrast, gradients, palettes) have no counterpart.
        if pad && matches!(value, "auto" | "auto:border" | "auto:predominant") {
            sink.put("bg", "dominant");
            return Ok(());
        }
        return Err(DropReason::Unsupported);
    }
    let c = color::parse(value).ok_or(DropReason::Invalid)?;
    c.push_to(sink.token("bg"));
    Ok(())
}

/// `blurred[:I[:B]]` with `rest` = the text after `blurred` (empty or `:…`).
fn blurred(rest: &str, sink: &mut Sink) -> Result<(), DropReason> {
    let Some(args) = rest.strip_prefix(':') else {
        sink.put("bg", "blurred");
        return Ok(());
    };
    let mut parts = args.split(':');
    let intensity = parts.next().unwrap_or("");
    let brightness = parts.next();
    if parts.next().is_some() {
        return Err(DropReason::Invalid);
    }
    // Cloudinary ranges: intensity 0–2000, brightness −300…100 (S2).
    let i = uint_at_most(intensity, 2000).ok_or(DropReason::Invalid)?;
    let b = match brightness {
        None => None,
        Some(b) => Some(sint_at_most(b, 300).filter(|&b| b <= 100).ok_or(DropReason::Invalid)?),
    };
    let out = sink.token("bg");
    out.push_str("blurred_");
    push_u32(out, i / 20);
    if let Some(b) = b {
        // Integer division truncates toward zero, as the documented 10 ⇒ 25 requires.
        let scaled = (b * 255 / 100).clamp(-255, 255);
        out.push('_');
        if scaled < 0 {
            out.push('N');
        }
        push_u32(out, u32::try_from(scaled.unsigned_abs()).unwrap_or(255));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str, pad: bool) -> Result<String, DropReason> {
        let mut s = Sink::new();
        background(v, pad, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn colours() {
        assert_eq!(run("red", false).as_deref(), Ok("bg-red"));
        assert_eq!(run("BLUE", false).as_deref(), Ok("bg-blue"));
        assert_eq!(run("rgb:AAAA54A9", false).as_deref(), Ok("bg-AAAA5466"));
        assert_eq!(run("rgb:B4F9", true).as_deref(), Ok("bg-BB44FF60"));
        for bad in ["notacolour", "transparent", "RGB:FF0000", "gen_fill", ""] {
            assert_eq!(run(bad, true), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn auto_only_with_pad() {
        assert_eq!(run("auto", true).as_deref(), Ok("bg-dominant"));
        assert_eq!(run("auto:border", true).as_deref(), Ok("bg-dominant"));
        assert_eq!(run("auto:predominant", true).as_deref(), Ok("bg-dominant"));
        assert_eq!(run("auto", false), Err(DropReason::Unsupported));
        assert_eq!(run("auto:predominant_gradient:4", true), Err(DropReason::Unsupported));
        assert_eq!(run("auto:border_contrast", true), Err(DropReason::Unsupported));
    }

    #[test]
    fn blurred_scaling() {
        assert_eq!(run("blurred", false).as_deref(), Ok("bg-blurred"));
        assert_eq!(run("blurred:100", true).as_deref(), Ok("bg-blurred_5"));
        assert_eq!(run("blurred:100:10", true).as_deref(), Ok("bg-blurred_5_25"));
        assert_eq!(run("blurred:100:-10", true).as_deref(), Ok("bg-blurred_5_N25"));
        assert_eq!(run("blurred:100:100", true).as_deref(), Ok("bg-blurred_5_255"));
        assert_eq!(run("blurred:400:-100", true).as_deref(), Ok("bg-blurred_20_N255"));
        assert_eq!(run("blurred:19:-1", true).as_deref(), Ok("bg-blurred_0_N2"));
        assert_eq!(run("blurred:2000:-300", true).as_deref(), Ok("bg-blurred_100_N255"));
        assert_eq!(run("blurred:0:0", true).as_deref(), Ok("bg-blurred_0_0"));
        for bad in [
            "blurred:",
            "blurred::10",
            "blurred:1:2:3",
            "blurred:2001",
            "blurred:10:101",
            "blurred:10:-301",
            "blurred:1.5",
            "blurred:10:",
            "blurredx",
        ] {
            assert!(run(bad, true).is_err(), "{bad}");
        }
    }
}
