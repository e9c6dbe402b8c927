//! Colour management: embedded ICC profiles (RGB and CMYK) and PNG's `gAMA`/`cHRM` chunks
//! converted to sRGB with `moxcms` (the CMS that `image` itself depends on; `image` 0.25.10
//! only converts between CICP spaces, not from an arbitrary ICC profile).
//!
//! Owns: [`convertible`], [`ToSrgb`], [`to_srgb`], [`to_srgb16`], [`cmyk_to_srgb`],
//! [`png_gamma_profile`]. May import `error`;
//! `moxcms` outside.

use std::sync::Arc;

use moxcms::{
    Chromaticity, ColorPrimaries, ColorProfile, DataColorSpace, Layout, ToneReprCurve, TransformExecutor,
    TransformOptions, XyY,
};

/// Pixels per transform call: the scratch buffer stays small; the transform is per pixel.
const CHUNK: usize = 4096;

/// How every conversion here is made. The profile's own curves are used, never a CICP
/// transfer function it also names: an HLG or PQ profile from a phone carries both, and the
/// curves are what libvips (lcms2) and browsers without HDR output apply; the CICP path
/// scales to absolute luminance and comes out far darker.
fn options() -> TransformOptions {
    TransformOptions { allow_use_cicp_transfer: false, ..TransformOptions::default() }
}

/// The profile of `icc` when there is something to convert: an RGB profile moxcms reads that
/// is not already sRGB. `None` otherwise: a broken profile must not fail the request, browsers
/// also fall back to showing the samples as sRGB.
pub(crate) fn convertible(icc: &[u8]) -> Option<ColorProfile> {
    let src = ColorProfile::new_from_slice(icc).ok()?;
    (src.color_space == DataColorSpace::Rgb && !is_srgb(&src)).then_some(src)
}

/// A built conversion from one source profile to sRGB, for straight RGBA8 pixels (alpha
/// untouched). Building it costs far more than applying it, so an animation builds it once
/// for all its frames.
pub(crate) struct ToSrgb {
    t8: Arc<dyn TransformExecutor<u8> + Send + Sync>,
}

impl ToSrgb {
    /// The conversion for `icc`; `None` when [`convertible`] says there is none to make.
    pub(crate) fn new(icc: &[u8]) -> Option<Self> {
        Self::from_profile(&convertible(icc)?)
    }

    /// The conversion from `src` (see [`convertible`]); `None` when moxcms cannot build it.
    pub(crate) fn from_profile(src: &ColorProfile) -> Option<Self> {
        let t8 = src.create_transform_8bit(Layout::Rgba, &ColorProfile::new_srgb(), Layout::Rgba, options()).ok()?;
        Some(ToSrgb { t8 })
    }

    /// Convert `rgba` in place; `false` (pixels unchanged or partly changed) when the
    /// transform refused the buffer.
    pub(crate) fn apply(&self, rgba: &mut [u8]) -> bool {
        let mut out = vec![0u8; CHUNK * 4];
        for chunk in rgba.chunks_mut(CHUNK * 4) {
            let dst = &mut out[..chunk.len()];
            if self.t8.transform(chunk, dst).is_err() {
                return false;
            }
            for (d, s) in chunk.chunks_exact_mut(4).zip(dst.chunks_exact(4)) {
                d[..3].copy_from_slice(&s[..3]);
            }
        }
        true
    }
}

/// Convert straight RGBA16 samples described by `src` (see [`convertible`]) to sRGB RGBA8: a
/// 16-bit source keeps its precision through the profile's curves (an HLG curve in 8 bits
/// bands the shadows). `None` when moxcms cannot build or run the 16-bit transform.
pub(crate) fn to_srgb16(src: &ColorProfile, rgba16: &[u16]) -> Option<Vec<u8>> {
    let t16 = src.create_transform_16bit(Layout::Rgba, &ColorProfile::new_srgb(), Layout::Rgba, options()).ok()?;
    let mut out = vec![0u8; rgba16.len()];
    let mut scratch = vec![0u16; CHUNK * 4];
    for (src, dst8) in rgba16.chunks(CHUNK * 4).zip(out.chunks_mut(CHUNK * 4)) {
        let dst = &mut scratch[..src.len()];
        t16.transform(src, dst).ok()?;
        for ((d, s), a) in dst8.chunks_exact_mut(4).zip(dst.chunks_exact(4)).zip(src.chunks_exact(4)) {
            for k in 0..3 {
                d[k] = to8(s[k]);
            }
            d[3] = to8(a[3]);
        }
    }
    Some(out)
}

/// 16 → 8 bits with rounding (65535 → 255).
fn to8(v: u16) -> u8 {
    u8::try_from((u32::from(v) * 255 + 32_767) / 65_535).unwrap_or(u8::MAX)
}

/// Convert straight RGBA8 pixels described by `icc` to sRGB in place. Alpha is untouched.
/// Returns `false` (pixels unchanged) when the profile is unusable or sRGB (see [`ToSrgb::new`]).
pub(crate) fn to_srgb(rgba: &mut [u8], icc: &[u8]) -> bool {
    ToSrgb::new(icc).is_some_and(|t| t.apply(rgba))
}

/// Convert CMYK ink amounts (0 = no ink, four bytes a pixel) to opaque sRGB RGBA8 in place
/// through the CMYK profile `icc`. `false` (pixels unchanged) when `icc` is not a CMYK
/// profile moxcms can use; the caller then falls back to the naive formula.
pub(crate) fn cmyk_to_srgb(px: &mut [u8], icc: &[u8]) -> bool {
    let Ok(src) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    if src.color_space != DataColorSpace::Cmyk {
        return false;
    }
    // moxcms reads CMYK8 in the RGBA8 layout (four samples a pixel).
    let Ok(t) = src.create_transform_8bit(Layout::Rgba, &ColorProfile::new_srgb(), Layout::Rgb, options()) else {
        return false;
    };
    let mut out = vec![0u8; CHUNK * 3];
    for chunk in px.chunks_mut(CHUNK * 4) {
        let dst = &mut out[..chunk.len() / 4 * 3];
        if t.transform(chunk, dst).is_err() {
            return false;
        }
        for (d, s) in chunk.chunks_exact_mut(4).zip(dst.chunks_exact(3)) {
            d[..3].copy_from_slice(s);
            d[3] = 255;
        }
    }
    true
}

/// The profile a PNG without `iCCP` or `sRGB` describes with its `gAMA` chunk (`gamma` in
/// 1/100000 units: 45455 is 1/2.2) and optional `cHRM` (white point and primaries as x, y in
/// 1/100000 units), as browsers build it. `None` when the chunks describe sRGB closely
/// enough that converting would only add rounding noise, or are out of range.
pub(crate) fn png_gamma_profile(gamma: u32, chrm: Option<[u32; 8]>) -> Option<ToSrgb> {
    let g = f64::from(gamma) / 100_000.0;
    if !(0.01..=10.0).contains(&g) {
        return None;
    }
    let srgb_like_gamma = (g - 1.0 / 2.2).abs() < 0.01;
    let mut p = ColorProfile::new_srgb();
    if let Some(c) = chrm {
        let xy = |i: usize| (f64::from(c[i]) / 100_000.0, f64::from(c[i + 1]) / 100_000.0);
        let xyy = |(x, y): (f64, f64)| XyY::new(x, y, 1.0);
        // Straight from the chunk's integers: x, y ≤ 1 fit an f32 exactly enough.
        let chroma = |i: usize| Chromaticity::new(c[i] as f32 / 100_000.0, c[i + 1] as f32 / 100_000.0);
        let valid = (0..4).all(|k| {
            let (x, y) = xy(k * 2);
            x > 0.0 && y > 0.0 && x + y <= 1.0
        });
        if !valid {
            return None;
        }
        p.update_rgb_colorimetry(xyy(xy(0)), ColorPrimaries { red: chroma(2), green: chroma(4), blue: chroma(6) });
    }
    if srgb_like_gamma && chrm.is_none_or(|_| is_srgb_colorants(&p)) {
        return None;
    }
    // Samples are linear^gamma: decoding raises them to 1/gamma (ICC parametric type 0).
    let curve = ToneReprCurve::Parametric(vec![100_000.0 / gamma as f32]);
    p.red_trc = Some(curve.clone());
    p.green_trc = Some(curve.clone());
    p.blue_trc = Some(curve);
    p.cicp = None;
    ToSrgb::from_profile(&p)
}

/// True when `p`'s primaries and white point are sRGB's.
fn is_srgb_colorants(p: &ColorProfile) -> bool {
    let s = ColorProfile::new_srgb();
    let close = |a: moxcms::Xyzd, b: moxcms::Xyzd| {
        (a.x - b.x).abs() < 2e-3 && (a.y - b.y).abs() < 2e-3 && (a.z - b.z).abs() < 2e-3
    };
    close(p.red_colorant, s.red_colorant)
        && close(p.green_colorant, s.green_colorant)
        && close(p.blue_colorant, s.blue_colorant)
}

/// True when `p` has sRGB's primaries and white point and its curve, so converting would only
/// add rounding noise (the common "sRGB IEC61966-2.1" profile from cameras).
fn is_srgb(p: &ColorProfile) -> bool {
    let s = ColorProfile::new_srgb();
    let trc_same = matches!((&p.red_trc, &s.red_trc), (Some(a), Some(b)) if format!("{a:?}") == format!("{b:?}"));
    is_srgb_colorants(p) && trc_same
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

    #[test]
    fn sixteen_bit_conversion_agrees_with_eight_bit() {
        let p3 = convertible(&ColorProfile::new_display_p3().encode().unwrap()).unwrap();
        let t = ToSrgb::from_profile(&p3).unwrap();
        let mut px8 = vec![200, 60, 60, 128, 10, 250, 90, 255];
        let px16: Vec<u16> = px8.iter().map(|&v| u16::from(v) * 257).collect();
        let out16 = to_srgb16(&p3, &px16).unwrap();
        assert!(t.apply(&mut px8));
        for (a, b) in out16.iter().zip(&px8) {
            assert!(a.abs_diff(*b) <= 2, "{out16:?} vs {px8:?}");
        }
        assert_eq!((out16[3], out16[7]), (128, 255));
    }

    #[test]
    fn png_gamma_one_means_linear_samples_brightened_like_browsers() {
        // gAMA 1.0: the sample is linear light; 0.5 linear is 188 in sRGB.
        let t = png_gamma_profile(100_000, None).expect("linear is not sRGB");
        let mut px = vec![128, 128, 128, 255];
        assert!(t.apply(&mut px));
        assert!((186..=190).contains(&px[0]), "{px:?}");
        // 1/2.2 with no cHRM (or sRGB's) is taken as sRGB: nothing to do.
        assert!(png_gamma_profile(45_455, None).is_none());
        let srgb_chrm = [31_270, 32_900, 64_000, 33_000, 30_000, 60_000, 15_000, 6_000];
        assert!(png_gamma_profile(45_455, Some(srgb_chrm)).is_none());
        assert!(png_gamma_profile(0, None).is_none());
    }

    #[test]
    fn cmyk_profile_is_refused_for_rgb_and_rgb_for_cmyk() {
        let mut px = vec![0, 0, 0, 0];
        assert!(!cmyk_to_srgb(&mut px, &ColorProfile::new_srgb().encode().unwrap()));
        assert_eq!(px, [0, 0, 0, 0]);
    }
}
