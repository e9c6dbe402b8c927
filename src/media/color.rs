//! Colour management: embedded ICC profiles converted to sRGB with `moxcms` (the CMS that
//! `image` itself depends on; `image` 0.25.10 only converts between CICP spaces, not from
//! an arbitrary ICC profile).
//!
//! Owns: [`to_srgb`]. May import `error`; `moxcms` outside.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Convert straight RGBA8 pixels described by `icc` to sRGB in place. Alpha is untouched.
/// Returns `false` (pixels unchanged) when the profile is not an RGB profile moxcms can
/// build a transform for, or already is sRGB: a broken profile must not fail the request,
/// browsers also fall back to showing the samples as sRGB.
pub(crate) fn to_srgb(rgba: &mut [u8], icc: &[u8]) -> bool {
    let Ok(src) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    if src.color_space != DataColorSpace::Rgb || is_srgb(&src) {
        return false;
    }
    let dst = ColorProfile::new_srgb();
    let Ok(t) = src.create_transform_8bit(Layout::Rgba, &dst, Layout::Rgba, TransformOptions::default()) else {
        return false;
    };
    // Row-sized chunks keep the scratch buffer small; the transform is per pixel.
    let mut out = vec![0u8; 4096 * 4];
    for chunk in rgba.chunks_mut(4096 * 4) {
        let dst = &mut out[..chunk.len()];
        if t.transform(chunk, dst).is_err() {
            return false;
        }
        for (d, s) in chunk.chunks_exact_mut(4).zip(dst.chunks_exact(4)) {
            d[..3].copy_from_slice(&s[..3]);
        }
    }
    true
}

/// True when `p` has sRGB's primaries and white point, so converting would only add
/// rounding noise (the common "sRGB IEC61966-2.1" profile from cameras).
fn is_srgb(p: &ColorProfile) -> bool {
    let s = ColorProfile::new_srgb();
    let close = |a: moxcms::Xyzd, b: moxcms::Xyzd| {
        (a.x - b.x).abs() < 2e-3 && (a.y - b.y).abs() < 2e-3 && (a.z - b.z).abs() < 2e-3
    };
    let trc_same = matches!((&p.red_trc, &s.red_trc), (Some(a), Some(b)) if format!("{a:?}") == format!("{b:?}"));
    close(p.red_colorant, s.red_colorant)
        && close(p.green_colorant, s.green_colorant)
        && close(p.blue_colorant, s.blue_colorant)
        && trc_same
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_profile_leaves_pixels_alone() {
        let mut px = vec![10, 20, 30, 255];
        assert!(!to_srgb(&mut px, b"not a profile"));
        assert_eq!(px, [10, 20, 30, 255]);
    }

    #[test]
    fn display_p3_red_becomes_more_saturated_than_srgb_can_show() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let mut px = vec![200, 60, 60, 128];
        assert!(to_srgb(&mut px, &p3));
        // P3 red is outside sRGB: converted red grows, green/blue shrink; alpha untouched.
        assert!(px[0] >= 200 && px[1] < 60, "{px:?}");
        assert_eq!(px[3], 128);
    }
}
