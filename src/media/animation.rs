//! Animated GIF and WebP: every frame in, every frame out.
//!
//! Owns: [`Animation`], [`AnimFrame`], [`Looping`], [`decode`], [`encode`]; re-exports the
//! walk's [`scan()`], [`ScanInfo`], [`frame_count`], [`check`]. May import `job`, `limits`,
//! `error` in-crate and `image`, `webp` outside; never `exec`, `service`, `video`, wgpu or
//! tokio.
//!
//! Limits come first: [`scan()`] walks the container (GIF blocks, WebP RIFF chunks) without
//! decoding a pixel, and [`check`] refuses more than `max_frames` frames, or a frame set
//! whose full-canvas RGBA buffers together exceed `max_alloc`, before [`decode`] allocates
//! anything. Decoded frames are full-canvas RGBA8 (the decoders composite sub-rectangles
//! and disposal), so every frame of an animation has the canvas size.
//!
//! Encoding: GIF through `image` (NeuQuant palette per frame, delays in centiseconds, so
//! delays round down to 10 ms); WebP through libwebp's animation encoder (`webp`), quality
//! and lossless as for stills. libwebp's encoder may merge a frame identical to the one
//! before it into a longer frame, so a WebP can hold fewer frames than were given (the
//! timing stays the same).
//!
//! The container walk and limits live in `scan`, GIF in `gif`, WebP in `webp`; this file
//! keeps the shared types and the two entry points that dispatch on the format.

mod gif;
mod scan;
mod webp;

use image::metadata::LoopCount;
use image::{Delay, RgbaImage};

pub use self::scan::{check, frame_count, scan, ScanInfo};
use super::color::ToSrgb;
use super::encode::{EncodeOptions, Encoded};
use super::probe::{undecodable, SourceFormat};
use super::Frame;
use crate::error::{Error, ErrorKind, Result};
use crate::job::Format;
use crate::limits::Limits;

/// How often an animation plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Looping {
    /// Forever (GIF `NETSCAPE2.0` count 0, WebP loop count 0).
    Forever,
    /// This many times (the container's count, passed through as is).
    Times(u16),
}

/// One decoded or rendered frame and how long it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnimFrame {
    /// Full-canvas pixels.
    pub frame: Frame,
    /// Display time in milliseconds.
    pub delay_ms: u32,
}

/// A decoded animation: frames of one size, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Animation {
    /// The frames (at least one).
    pub frames: Vec<AnimFrame>,
    /// Loop behaviour of the source.
    pub looping: Looping,
}

/// Decode every frame of an animated GIF or WebP (a still one gives one frame), after
/// [`scan()`] and [`check`] have accepted the frame count and the memory it needs.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Animation> {
    let info = scan(bytes).ok_or_else(|| undecodable("not a GIF or WebP"))?;
    info.check_sizes(limits)?;
    check(info.frames, info.width, info.height, limits)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    let (looping, icc, frames) = match info.format {
        SourceFormat::Gif => gif::frames(bytes, image_limits)?,
        SourceFormat::Webp => webp::frames(bytes, image_limits)?,
        _ => return Err(undecodable("not a GIF or WebP")),
    };
    // Every frame through the source's profile, as a still image is (built once).
    let to_srgb = icc.as_deref().and_then(ToSrgb::new);
    let mut out = Vec::new();
    for (n, frame) in frames.enumerate() {
        // The walk and the decoder could disagree on a malformed file: the decoder's
        // count is checked again, frame by frame, before its buffer is kept.
        let n = u32::try_from(n + 1).unwrap_or(u32::MAX);
        check(n, info.width, info.height, limits)?;
        let frame = match frame {
            Ok(f) => f,
            // A frame cut short ends the animation where the data ends, as browsers do.
            Err(e) if !out.is_empty() => {
                tracing::debug!(error = %e, frames = out.len(), "animation truncated");
                break;
            }
            Err(e) => return Err(undecodable(e)),
        };
        let delay_ms = delay_ms(frame.delay());
        let buf: RgbaImage = frame.into_buffer();
        let (w, h) = buf.dimensions();
        let mut buf = buf.into_raw();
        if let Some(t) = &to_srgb {
            t.apply(&mut buf);
        }
        out.push(AnimFrame { frame: Frame::from_rgba(w, h, buf)?, delay_ms });
    }
    if out.is_empty() {
        return Err(undecodable("animation has no frames"));
    }
    Ok(Animation { frames: out, looping })
}

fn looping(l: LoopCount) -> Looping {
    match l {
        LoopCount::Infinite => Looping::Forever,
        LoopCount::Finite(n) => Looping::Times(u16::try_from(n.get()).unwrap_or(u16::MAX)),
    }
}

fn delay_ms(d: Delay) -> u32 {
    let (num, den) = d.numer_denom_ms();
    if den == 0 {
        return 0;
    }
    num / den
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("encode animation: {e}"))
}

/// Encode `anim` as an animated GIF or WebP (`opts.format`); every frame must have the
/// first frame's size.
pub fn encode(anim: &Animation, opts: EncodeOptions) -> Result<Encoded> {
    let first = anim.frames.first().ok_or_else(|| internal("no frames"))?;
    let (w, h) = (first.frame.width, first.frame.height);
    if anim.frames.iter().any(|f| (f.frame.width, f.frame.height) != (w, h)) {
        return Err(internal("frames differ in size"));
    }
    match opts.format {
        Format::Gif => Ok(Encoded { data: gif::encode(anim)?, mime: "image/gif" }),
        Format::Webp => Ok(Encoded { data: webp::encode(anim, w, h, opts)?, mime: "image/webp" }),
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("output format '{}' cannot hold an animation", other.as_str()),
        )
        .with_param("f", other.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three 8×6 frames of different solid colours.
    pub(super) fn sample(delays: [u32; 3]) -> Animation {
        let colours = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]];
        let frames = colours
            .iter()
            .zip(delays)
            .map(|(c, delay_ms)| AnimFrame { frame: Frame::filled(&Limits::default(), 8, 6, *c).unwrap(), delay_ms })
            .collect();
        Animation { frames, looping: Looping::Forever }
    }

    pub(super) fn opts(format: Format, lossless: bool) -> EncodeOptions {
        EncodeOptions { format, quality: 80, lossless, progressive: false }
    }

    #[test]
    fn finite_loop_count_is_kept() {
        let mut anim = sample([50, 50, 50]);
        anim.looping = Looping::Times(3);
        for f in [Format::Gif, Format::Webp] {
            let enc = encode(&anim, opts(f, false)).unwrap();
            assert_eq!(decode(&enc.data, &Limits::default()).unwrap().looping, Looping::Times(3), "{f:?}");
        }
    }

    #[test]
    fn still_formats_are_refused() {
        let e = encode(&sample([1, 1, 1]), opts(Format::Jpeg, false)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }
}
