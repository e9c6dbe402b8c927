//! Effects `e_<name>[:<args>]` (spec §4.2 rows 11–17, AMB-14, AMB-26, AMB-27).
//!
//! Owns: the supported effect list (blur, grayscale, contrast, sharpen, unsharp_mask, trim),
//! the strength grammar and its exact arithmetic (blur rounded half up with a minimum of 1,
//! sharpen and unsharp mask divided by 100 exactly), and the effects that give a layer
//! another role than an overlay (AMB-21). Imports only sibling modules.

use super::decimal::{push_u32, push_uint_div100, sint_at_most, uint_at_most};
use super::sink::Sink;
use super::DropReason;

/// Cloudinary's default strength of blur, sharpen and unsharp mask (C3).
const DEFAULT_STRENGTH: u32 = 100;

/// Translates one `e_` value; unknown effects are unsupported, bad arguments invalid.
pub(super) fn effect(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    let (name, args) = match value.split_once(':') {
        Some((name, args)) => (name, Some(args)),
        None => (value, None),
    };
    match name {
        "blur" => {
            let s = strength(args)?;
            // round(s / 100) half up, at least 1 (AMB-14): e_blur:250 ⇒ bl-3, e_blur:49 ⇒ bl-1.
            let bl = ((s + 50) / 100).max(1);
            push_u32(sink.token("bl"), bl);
        }
        "grayscale" => {
            if args.is_some() {
                return Err(DropReason::Invalid);
            }
            sink.put("e", "grayscale");
        }
        "contrast" => {
            // The level is checked, then discarded: ImageKit's contrast has no level (row 13).
            if let Some(level) = args {
                sint_at_most(level, 100).ok_or(DropReason::Invalid)?;
            }
            sink.put("e", "contrast");
        }
        "sharpen" => {
            let s = strength(args)?;
            let out = sink.token("e");
            out.push_str("sharpen-");
            push_uint_div100(out, s);
        }
        "unsharp_mask" => {
            let s = strength(args)?;
            let out = sink.token("e");
            out.push_str("usm-0-");
            push_uint_div100(out, s);
            out.push_str("-1-0.05");
        }
        "trim" => trim(args, sink)?,
        _ => return Err(DropReason::Unsupported),
    }
    Ok(())
}

/// One optional integer 1–2000; absent means Cloudinary's default (AMB-14).
fn strength(args: Option<&str>) -> Result<u32, DropReason> {
    match args {
        None => Ok(DEFAULT_STRENGTH),
        Some(s) => uint_at_most(s, 2000).filter(|&v| v >= 1).ok_or(DropReason::Invalid),
    }
}

/// `e_trim[:<tolerance>[:<colour>]]` ⇒ `t-true` or `t-<tolerance>` (row 16, AMB-27). An
/// empty tolerance is the default; the colour is never checked; a fourth part is invalid.
fn trim(args: Option<&str>, sink: &mut Sink) -> Result<(), DropReason> {
    let tolerance = match args {
        None => "",
        Some(args) => {
            let mut parts = args.splitn(3, ':');
            let tolerance = parts.next().unwrap_or("");
            let _colour = parts.next();
            if parts.next().is_some() {
                return Err(DropReason::Invalid);
            }
            tolerance
        }
    };
    if tolerance.is_empty() {
        sink.put("t", "true");
    } else {
        uint_at_most(tolerance, 99).filter(|&t| t >= 1).ok_or(DropReason::Invalid)?;
        sink.put("t", tolerance);
    }
    Ok(())
}

/// True for the effects that make a layer something other than an overlay: `e_mask`,
/// `e_cut_out`, `e_displace` (AMB-21).
pub(super) fn is_layer_role(value: &str) -> bool {
    let name = value.split_once(':').map_or(value, |(name, _)| name);
    matches!(name, "mask" | "cut_out" | "displace")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        effect(v, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn blur() {
        assert_eq!(run("blur").as_deref(), Ok("bl-1"));
        assert_eq!(run("blur:500").as_deref(), Ok("bl-5"));
        assert_eq!(run("blur:2000").as_deref(), Ok("bl-20"));
        assert_eq!(run("blur:250").as_deref(), Ok("bl-3"));
        assert_eq!(run("blur:249").as_deref(), Ok("bl-2"));
        assert_eq!(run("blur:49").as_deref(), Ok("bl-1"));
        assert_eq!(run("blur:1").as_deref(), Ok("bl-1"));
        assert_eq!(run("blur:0300").as_deref(), Ok("bl-3"));
        for bad in ["blur:", "blur:0", "blur:2001", "blur:1.5", "blur:100:5", "blur:-5"] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn grayscale_and_contrast() {
        assert_eq!(run("grayscale").as_deref(), Ok("e-grayscale"));
        assert_eq!(run("grayscale:50"), Err(DropReason::Invalid));
        assert_eq!(run("grayscale:"), Err(DropReason::Invalid));
        assert_eq!(run("contrast").as_deref(), Ok("e-contrast"));
        assert_eq!(run("contrast:100").as_deref(), Ok("e-contrast"));
        assert_eq!(run("contrast:-100").as_deref(), Ok("e-contrast"));
        assert_eq!(run("contrast:101"), Err(DropReason::Invalid));
        assert_eq!(run("contrast:level_50"), Err(DropReason::Invalid));
    }

    #[test]
    fn sharpen_and_unsharp_mask() {
        assert_eq!(run("sharpen").as_deref(), Ok("e-sharpen-1"));
        assert_eq!(run("sharpen:500").as_deref(), Ok("e-sharpen-5"));
        assert_eq!(run("sharpen:250").as_deref(), Ok("e-sharpen-2.5"));
        assert_eq!(run("sharpen:100:2"), Err(DropReason::Invalid));
        assert_eq!(run("unsharp_mask").as_deref(), Ok("e-usm-0-1-1-0.05"));
        assert_eq!(run("unsharp_mask:500").as_deref(), Ok("e-usm-0-5-1-0.05"));
        assert_eq!(run("unsharp_mask:250").as_deref(), Ok("e-usm-0-2.5-1-0.05"));
        assert_eq!(run("unsharp_mask:5").as_deref(), Ok("e-usm-0-0.05-1-0.05"));
    }

    #[test]
    fn trim_forms() {
        assert_eq!(run("trim").as_deref(), Ok("t-true"));
        assert_eq!(run("trim:20").as_deref(), Ok("t-20"));
        assert_eq!(run("trim:20:red").as_deref(), Ok("t-20"));
        assert_eq!(run("trim::white").as_deref(), Ok("t-true"));
        assert_eq!(run("trim:").as_deref(), Ok("t-true"));
        assert_eq!(run("trim:20:notacolour").as_deref(), Ok("t-20"));
        for bad in ["trim:10:red:x", "trim:0", "trim:100", "trim:1.5", "trim:a"] {
            assert_eq!(run(bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn others_unsupported() {
        for v in ["sepia", "multiply", "blur_faces", "Blur", "", "mask"] {
            assert_eq!(run(v), Err(DropReason::Unsupported), "{v}");
        }
        assert!(is_layer_role("mask") && is_layer_role("cut_out") && is_layer_role("displace"));
        assert!(!is_layer_role("multiply"));
    }
}
