//! Animated GIF and WebP: every frame in, every frame out.
//!
//! Owns: [`Animation`], [`AnimFrame`], [`Looping`], [`scan`], [`ScanInfo`], [`frame_count`],
//! [`check`], [`decode`], [`encode`]. May import `job`, `limits`, `error` in-crate and
//! `image`, `webp` outside; never `exec`, `service`, `video`, wgpu or tokio.
//!
//! Limits come first: [`scan`] walks the container (GIF blocks, WebP RIFF chunks) without
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

use std::io::Cursor;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::webp::WebPDecoder;
use image::metadata::LoopCount;
use image::{AnimationDecoder, Delay, ImageDecoder, RgbaImage};

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

/// What a container walk finds, without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanInfo {
    /// GIF or WebP.
    pub format: SourceFormat,
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Number of frames (image descriptors for GIF, `ANMF` chunks for an animated WebP,
    /// 1 for a still WebP).
    pub frames: u32,
}

/// Walk a GIF's or WebP's blocks and count frames; `None` for other formats or when the
/// header is unreadable. Linear in the file size, no pixel is decoded. A truncated file
/// counts the frames that are there.
pub fn scan(bytes: &[u8]) -> Option<ScanInfo> {
    match super::probe::sniff(bytes)? {
        SourceFormat::Gif => scan_gif(bytes),
        SourceFormat::Webp => scan_webp(bytes),
        _ => None,
    }
}

/// The number of frames of a GIF or WebP (see [`scan`]); `None` for other formats.
pub fn frame_count(bytes: &[u8]) -> Option<u32> {
    scan(bytes).map(|s| s.frames)
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u24_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, 0]))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// Skip GIF data sub-blocks starting at `pos` (a length byte, then that many bytes, until a
/// zero length); returns the position after the terminator, `None` when truncated.
fn skip_sub_blocks(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = usize::from(*b.get(pos)?);
        pos += 1;
        if len == 0 {
            return Some(pos);
        }
        pos = pos.checked_add(len)?;
    }
}

fn scan_gif(b: &[u8]) -> Option<ScanInfo> {
    let width = u32::from(u16_le(b, 6)?);
    let height = u32::from(u16_le(b, 8)?);
    let packed = *b.get(10)?;
    let mut pos = 13;
    if packed & 0x80 != 0 {
        pos += 3 << ((packed & 7) + 1);
    }
    let mut frames = 0u32;
    // Stops at the trailer, at an unknown block (the decoder stops there too) or at the
    // end of a truncated file.
    while let Some(&block) = b.get(pos) {
        match block {
            0x2C => {
                let packed = *b.get(pos + 9)?;
                pos += 10;
                if packed & 0x80 != 0 {
                    pos += 3 << ((packed & 7) + 1);
                }
                // LZW minimum code size, then the image data.
                pos += 1;
                frames = frames.saturating_add(1);
                match skip_sub_blocks(b, pos) {
                    Some(p) => pos = p,
                    None => break,
                }
            }
            0x21 => match skip_sub_blocks(b, pos + 2) {
                Some(p) => pos = p,
                None => break,
            },
            _ => break,
        }
    }
    Some(ScanInfo { format: SourceFormat::Gif, width, height, frames })
}

fn scan_webp(b: &[u8]) -> Option<ScanInfo> {
    let mut pos = 12;
    let (mut width, mut height) = (0, 0);
    let mut frames = 0u32;
    let mut still = false;
    while pos + 8 <= b.len() {
        let fourcc = &b[pos..pos + 4];
        let size = usize::try_from(u32_le(b, pos + 4)?).ok()?;
        let body = pos + 8;
        match fourcc {
            b"VP8X" => {
                width = u24_le(b, body + 4)? + 1;
                height = u24_le(b, body + 7)? + 1;
            }
            b"ANMF" => frames = frames.saturating_add(1),
            b"VP8 " => {
                // Key frame header: 3-byte tag, start code, 14-bit width and height.
                if width == 0 {
                    width = u32::from(u16_le(b, body + 6)? & 0x3FFF);
                    height = u32::from(u16_le(b, body + 8)? & 0x3FFF);
                }
                still = true;
            }
            b"VP8L" => {
                if width == 0 {
                    let bits = u32_le(b, body + 1)?;
                    width = (bits & 0x3FFF) + 1;
                    height = ((bits >> 14) & 0x3FFF) + 1;
                }
                still = true;
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        pos = body.checked_add(size)?.checked_add(size & 1)?;
    }
    if frames == 0 && still {
        frames = 1;
    }
    Some(ScanInfo { format: SourceFormat::Webp, width, height, frames })
}

/// Refuse `frames` full-canvas frames of `width` × `height` over `limits`: more than
/// `max_frames`, or together more than `max_alloc` bytes of RGBA. Both are HTTP 413
/// ([`ErrorKind::TooLarge`]); the frame-count refusal names the key `frames`.
pub fn check(frames: u32, width: u32, height: u32, limits: &Limits) -> Result<()> {
    if frames > limits.max_frames {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("animation has {frames} frames, over the limit of {}", limits.max_frames),
        )
        .with_param("frames", frames.to_string()));
    }
    let total = u64::from(frames).saturating_mul(u64::from(width)).saturating_mul(u64::from(height)).saturating_mul(4);
    if total > limits.max_alloc {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "animation of {frames} frames of {width}x{height} needs {total} bytes, over the limit of {}",
                limits.max_alloc
            ),
        )
        .with_param("frames", frames.to_string()));
    }
    Ok(())
}

/// Decode every frame of an animated GIF or WebP (a still one gives one frame), after
/// [`scan`] and [`check`] have accepted the frame count and the memory it needs.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Animation> {
    let info = scan(bytes).ok_or_else(|| undecodable("not a GIF or WebP"))?;
    limits.check_input(info.width, info.height)?;
    check(info.frames, info.width, info.height, limits)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    let (looping, frames) = match info.format {
        SourceFormat::Gif => {
            let mut dec = GifDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
            dec.set_limits(image_limits).map_err(undecodable)?;
            (looping(dec.loop_count()), dec.into_frames())
        }
        SourceFormat::Webp => {
            let mut dec = WebPDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
            dec.set_limits(image_limits).map_err(undecodable)?;
            (looping(dec.loop_count()), dec.into_frames())
        }
        _ => return Err(undecodable("not a GIF or WebP")),
    };
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
        out.push(AnimFrame { frame: Frame::from_rgba(w, h, buf.into_raw())?, delay_ms });
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
        Format::Gif => Ok(Encoded { data: encode_gif(anim)?, mime: "image/gif" }),
        Format::Webp => Ok(Encoded { data: encode_webp(anim, w, h, opts)?, mime: "image/webp" }),
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("output format '{}' cannot hold an animation", other.as_str()),
        )
        .with_param("f", other.as_str())),
    }
}

/// A pixel within this many levels (every channel) of the one on screen is kept rather
/// than rewritten in a GIF. Far below NeuQuant's own error (~10 levels mean) and invisible,
/// but resampled frames differ by a level or two almost everywhere, so an exact match
/// alone saves little. newtonscradle.gif at w-120 (36 frames of 120×90): every pixel
/// written 404 KB, exact matches kept 328 KB, matches within 4 levels kept 59 KB.
const KEEP_TOLERANCE: u8 = 4;

fn encode_gif(anim: &Animation) -> Result<Vec<u8>> {
    let opaque = anim.frames.iter().all(|f| !f.frame.has_alpha());
    let mut data = Vec::new();
    {
        // Speed 10 as for stills: NeuQuant's quality/speed balance.
        let mut enc = GifEncoder::new_with_speed(&mut data, 10);
        enc.set_repeat(match anim.looping {
            Looping::Forever => Repeat::Infinite,
            Looping::Times(n) => Repeat::Finite(n),
        })
        .map_err(internal)?;
        // Frames are written whole, each with its own palette. In a fully opaque animation
        // a pixel within KEEP_TOLERANCE of the one on screen is written as transparent
        // instead, and the frame below is kept ("do not dispose"): long transparent runs
        // compress far better. `shown` is what a viewer shows (the last value written).
        let mut shown: Option<Vec<u8>> = None;
        for f in &anim.frames {
            let mut px = f.frame.data.clone();
            match shown.as_mut() {
                Some(shown) if opaque => {
                    for (p, q) in px.chunks_exact_mut(4).zip(shown.chunks_exact_mut(4)) {
                        if p.iter().zip(q.iter()).all(|(a, b)| a.abs_diff(*b) <= KEEP_TOLERANCE) {
                            p[3] = 0;
                        } else {
                            q.copy_from_slice(p);
                        }
                    }
                }
                _ if opaque => shown = Some(f.frame.data.clone()),
                _ => {}
            }
            let buf = RgbaImage::from_raw(f.frame.width, f.frame.height, px)
                .ok_or_else(|| internal("frame buffer has the wrong size"))?;
            let delay = Delay::from_numer_denom_ms(f.delay_ms, 1);
            enc.encode_frame(image::Frame::from_parts(buf, 0, 0, delay)).map_err(internal)?;
        }
    }
    if opaque {
        // `image` marks every frame "restore to background", which would clear the kept
        // pixels; its encoder has no setting for that, so the graphic control extensions
        // are rewritten to "keep" (frames are full-canvas and opaque: nothing else changes).
        set_gif_disposal_keep(&mut data);
    }
    Ok(data)
}

/// Rewrite the disposal method of every graphic control extension to 1 ("do not dispose").
fn set_gif_disposal_keep(b: &mut [u8]) {
    let Some(&packed) = b.get(10) else { return };
    let mut pos = 13;
    if packed & 0x80 != 0 {
        pos += 3 << ((packed & 7) + 1);
    }
    while let Some(&block) = b.get(pos) {
        let next = match block {
            0x2C => {
                let Some(&packed) = b.get(pos + 9) else { return };
                let mut p = pos + 10;
                if packed & 0x80 != 0 {
                    p += 3 << ((packed & 7) + 1);
                }
                skip_sub_blocks(b, p + 1)
            }
            0x21 => {
                // Graphic control: label F9, block size 4, then the packed field.
                if b.get(pos + 1) == Some(&0xF9) && b.get(pos + 2) == Some(&4) {
                    if let Some(flags) = b.get_mut(pos + 3) {
                        *flags = (*flags & !0x1C) | (1 << 2);
                    }
                }
                skip_sub_blocks(b, pos + 2)
            }
            _ => None,
        };
        match next {
            Some(p) => pos = p,
            None => return,
        }
    }
}

fn encode_webp(anim: &Animation, w: u32, h: u32, opts: EncodeOptions) -> Result<Vec<u8>> {
    let mut config = webp::WebPConfig::new().map_err(|()| internal("webp: cannot initialise the encoder config"))?;
    config.lossless = i32::from(opts.lossless);
    config.quality = if opts.lossless { 75.0 } else { f32::from(opts.quality.clamp(1, 100)) };
    config.alpha_compression = i32::from(!opts.lossless);
    config.method = 4;
    let mut enc = webp::AnimEncoder::new(w, h, &config);
    enc.set_loop_count(match anim.looping {
        Looping::Forever => 0,
        Looping::Times(n) => i32::from(n),
    });
    // libwebp caps a frame's duration at 2^24 - 1 ms; timestamps are frame starts.
    let mut t: i64 = 0;
    for f in &anim.frames {
        let ts = i32::try_from(t).map_err(|_| internal("animation longer than 2^31 ms"))?;
        enc.add_frame(webp::AnimFrame::from_rgba(&f.frame.data, w, h, ts));
        t += i64::from(f.delay_ms.min(0xFF_FFFF));
    }
    let mem = enc.try_encode().map_err(|e| internal(format!("webp: {e:?}")))?;
    let mut data = mem.to_vec();
    // webp 0.3.1 closes the animation with an end timestamp of 0, which libwebp refuses, so
    // libwebp gives the last frame the average duration; the real one is written here.
    let total = u64::try_from(t).unwrap_or(0);
    fix_last_webp_duration(&mut data, total);
    Ok(data)
}

/// Set the last `ANMF` chunk's duration so that all durations sum to `total_ms`.
fn fix_last_webp_duration(data: &mut [u8], total_ms: u64) {
    let mut pos = 12;
    let mut durations_before = 0u64;
    let mut last: Option<(usize, u64)> = None;
    while pos + 8 <= data.len() {
        let Some(size) = u32_le(data, pos + 4).and_then(|s| usize::try_from(s).ok()) else { return };
        let body = pos + 8;
        if &data[pos..pos + 4] == b"ANMF" {
            let Some(d) = u24_le(data, body + 12) else { return };
            if let Some((_, prev)) = last {
                durations_before += prev;
            }
            last = Some((body + 12, u64::from(d)));
        }
        let Some(next) = body.checked_add(size).and_then(|p| p.checked_add(size & 1)) else { return };
        pos = next;
    }
    let Some((at, _)) = last else { return };
    let Some(want) = total_ms.checked_sub(durations_before).filter(|d| *d <= 0xFF_FFFF) else { return };
    let bytes = want.to_le_bytes();
    if let Some(slot) = data.get_mut(at..at + 3) {
        slot.copy_from_slice(&bytes[..3]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three 8×6 frames of different solid colours.
    fn sample(delays: [u32; 3]) -> Animation {
        let colours = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]];
        let frames = colours
            .iter()
            .zip(delays)
            .map(|(c, delay_ms)| AnimFrame { frame: Frame::filled(&Limits::default(), 8, 6, *c).unwrap(), delay_ms })
            .collect();
        Animation { frames, looping: Looping::Forever }
    }

    fn opts(format: Format, lossless: bool) -> EncodeOptions {
        EncodeOptions { format, quality: 80, lossless, progressive: false }
    }

    #[test]
    fn gif_round_trip_keeps_frames_delays_and_colours() {
        let anim = sample([100, 250, 40]);
        let enc = encode(&anim, opts(Format::Gif, false)).unwrap();
        assert_eq!(enc.mime, "image/gif");
        let info = scan(&enc.data).unwrap();
        assert_eq!((info.format, info.width, info.height, info.frames), (SourceFormat::Gif, 8, 6, 3));
        let back = decode(&enc.data, &Limits::default()).unwrap();
        assert_eq!(back.looping, Looping::Forever);
        let delays: Vec<u32> = back.frames.iter().map(|f| f.delay_ms).collect();
        assert_eq!(delays, [100, 250, 40]);
        for (a, b) in anim.frames.iter().zip(&back.frames) {
            // Solid colours survive the 256-colour palette within a few levels.
            let d = a.frame.pixel(3, 3).iter().zip(b.frame.pixel(3, 3)).map(|(x, y)| x.abs_diff(y)).max();
            assert!(d.unwrap_or(255) <= 8, "{:?} vs {:?}", a.frame.pixel(3, 3), b.frame.pixel(3, 3));
        }
    }

    #[test]
    fn webp_round_trip_keeps_frames_and_delays() {
        for lossless in [false, true] {
            let anim = sample([100, 250, 40]);
            let enc = encode(&anim, opts(Format::Webp, lossless)).unwrap();
            assert_eq!(enc.mime, "image/webp");
            assert_eq!(frame_count(&enc.data), Some(3));
            let back = decode(&enc.data, &Limits::default()).unwrap();
            let delays: Vec<u32> = back.frames.iter().map(|f| f.delay_ms).collect();
            assert_eq!(delays, [100, 250, 40], "lossless={lossless}");
            assert_eq!((back.frames[0].frame.width, back.frames[0].frame.height), (8, 6));
            if lossless {
                // libwebp's own decoder gives the exact pixels back.
                let lib = webp::AnimDecoder::new(&enc.data).decode().unwrap();
                assert_eq!(lib.len(), 3);
                for (i, a) in anim.frames.iter().enumerate() {
                    assert_eq!(lib.get_frame(i).unwrap().get_image(), &a.frame.data[..], "frame {i}");
                }
            }
            // Lossy: q80 on flat colours stays within 12 levels. Lossless: image-webp's
            // frame blending rounds 255 to 254 on frames after the first (libwebp is exact,
            // checked above), so 1 level.
            let tol = if lossless { 1 } else { 12 };
            for (a, b) in anim.frames.iter().zip(&back.frames) {
                let d = a.frame.pixel(4, 3).iter().zip(b.frame.pixel(4, 3)).map(|(x, y)| x.abs_diff(y)).max();
                assert!(
                    d.unwrap_or(255) <= tol,
                    "lossless={lossless}: {:?} vs {:?}",
                    a.frame.pixel(4, 3),
                    b.frame.pixel(4, 3)
                );
            }
        }
    }

    /// Four 24×16 frames: a background from `bg(x, y)` and a 3×3 yellow square moving right;
    /// most pixels repeat frame to frame.
    fn moving_square(bg: impl Fn(u32, u32) -> [u8; 4]) -> Animation {
        let frames = (0..4u32)
            .map(|i| {
                let mut f = Frame::filled(&Limits::default(), 24, 16, [0, 0, 0, 255]).unwrap();
                for (n, px) in f.data.chunks_exact_mut(4).enumerate() {
                    let (x, y) = (u32::try_from(n % 24).unwrap(), u32::try_from(n / 24).unwrap());
                    let square = (i * 5..i * 5 + 3).contains(&x) && (4..7).contains(&y);
                    px.copy_from_slice(&if square { [250, 250, 20, 255] } else { bg(x, y) });
                }
                AnimFrame { frame: f, delay_ms: 30 }
            })
            .collect();
        Animation { frames, looping: Looping::Forever }
    }

    #[test]
    fn gif_with_unchanged_regions_decodes_to_every_frame() {
        // 64 background colours + yellow: the palette is exact, so the decoded frames must
        // equal the originals although repeated pixels were written as transparent ("keep").
        let anim =
            moving_square(|x, y| [u8::try_from(x % 8 * 30).unwrap(), u8::try_from(y % 8 * 30).unwrap(), 90, 255]);
        let enc = encode(&anim, opts(Format::Gif, false)).unwrap();
        let back = decode(&enc.data, &Limits::default()).unwrap();
        assert_eq!(back.frames.len(), 4);
        for (i, (a, b)) in anim.frames.iter().zip(&back.frames).enumerate() {
            let bad = a.frame.data.chunks(4).zip(b.frame.data.chunks(4)).position(|(p, q)| p != q);
            assert!(bad.is_none(), "frame {i} differs at pixel {bad:?}");
        }
    }

    #[test]
    fn gif_keep_encoding_with_a_quantised_palette() {
        // 384 colours: NeuQuant. Every frame (not only the first) must be about as close to
        // its original as a quantised frame can be, and the square must be where it moved.
        let anim = moving_square(|x, y| [u8::try_from(x * 10).unwrap(), u8::try_from(y * 15).unwrap(), 90, 255]);
        let enc = encode(&anim, opts(Format::Gif, false)).unwrap();
        let back = decode(&enc.data, &Limits::default()).unwrap();
        assert_eq!(back.frames.len(), 4);
        for (i, (a, b)) in (0u32..).zip(anim.frames.iter().zip(&back.frames)) {
            let diff: Vec<u8> = a.frame.data.iter().zip(&b.frame.data).map(|(x, y)| x.abs_diff(*y)).collect();
            let mean = diff.iter().map(|d| f64::from(*d)).sum::<f64>() / diff.len() as f64;
            // Measured ≈ 10 levels of mean error for NeuQuant at speed 10 on this tiny
            // gradient; a pixel shown from the wrong frame would be ~200 levels off.
            assert!(mean <= 16.0, "frame {i}: mean error {mean:.1}");
            // NeuQuant may shift the 9 yellow pixels' colour (measured (197, 199, 90)), but the
            // square is where this frame put it and gone from where the last one did.
            let near = |p: [u8; 4], q: [u8; 4]| p.iter().zip(q).all(|(x, y)| x.abs_diff(y) <= 60);
            let p = b.frame.pixel(i * 5 + 1, 5);
            assert!(p[0] >= 150 && p[1] >= 150 && p[3] == 255, "frame {i}: square pixel {p:?}");
            if i > 0 {
                let (x, y) = ((i - 1) * 5 + 1, 5);
                let gone = b.frame.pixel(x, y);
                assert!(near(gone, a.frame.pixel(x, y)), "frame {i}: the square's last place shows {gone:?}");
            }
        }
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
    fn frame_limit_refuses_before_decoding() {
        let enc = encode(&sample([10, 10, 10]), opts(Format::Gif, false)).unwrap();
        let tight = Limits { max_frames: 2, ..Limits::default() };
        let e = decode(&enc.data, &tight).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
        assert_eq!(e.key(), Some("frames"));
        assert_eq!(e.value(), Some("3"));
        assert_eq!(e.kind().http_status(), 413);
        // 3 frames × 8 × 6 × 4 = 576 bytes: one byte less is refused from the walk.
        let small = Limits { max_alloc: 575, ..Limits::default() };
        assert_eq!(decode(&enc.data, &small).unwrap_err().kind(), ErrorKind::TooLarge);
        assert!(decode(&enc.data, &Limits { max_alloc: 576, ..Limits::default() }).is_ok());
    }

    #[test]
    fn frame_limit_counts_headers_of_a_huge_declared_animation() {
        // A GIF that declares a 10000×10000 canvas and 2000 one-pixel frames: refused from the
        // walk alone (no 400 MB canvas is ever allocated).
        let mut g = b"GIF89a".to_vec();
        g.extend_from_slice(&10_000u16.to_le_bytes());
        g.extend_from_slice(&10_000u16.to_le_bytes());
        g.extend_from_slice(&[0, 0, 0]);
        for _ in 0..2000 {
            g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0]);
        }
        g.push(0x3B);
        assert_eq!(frame_count(&g), Some(2000));
        let e = decode(&g, &Limits::default()).unwrap_err();
        assert_eq!((e.kind(), e.key(), e.value()), (ErrorKind::TooLarge, Some("frames"), Some("2000")));
        let e = decode(&g, &Limits { max_frames: 5000, ..Limits::default() }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    }

    #[test]
    fn scan_survives_garbage_and_truncation() {
        let enc = encode(&sample([10, 10, 10]), opts(Format::Gif, false)).unwrap();
        for cut in 0..enc.data.len() {
            let _ = scan(&enc.data[..cut]);
            let _ = decode(&enc.data[..cut], &Limits::default());
        }
        let webp = encode(&sample([10, 10, 10]), opts(Format::Webp, false)).unwrap();
        for cut in 0..webp.data.len() {
            let _ = scan(&webp.data[..cut]);
            let _ = decode(&webp.data[..cut], &Limits::default());
        }
        assert_eq!(scan(b"\x89PNG\r\n\x1a\n"), None);
    }

    #[test]
    fn still_formats_are_refused() {
        let e = encode(&sample([1, 1, 1]), opts(Format::Jpeg, false)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }
}
