//! WebP animations: the decoder hookup and libwebp's animation encoder, with the patch of
//! the last frame's delay that the `webp` crate gets wrong.
//!
//! Owns: WebP frame decoding for [`decode`](super::decode), WebP encoding for
//! [`encode`](super::encode), the last-frame duration fix. May import the parent's types
//! and `scan` helpers, `media`, `error`; `image`, `webp` outside.

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, Frames, ImageDecoder};

use super::scan::{u24_le, u32_le};
use super::{internal, looping, Animation, Looping};
use crate::error::Result;
use crate::media::encode::EncodeOptions;
use crate::media::probe::undecodable;

/// A WebP decoder over `bytes` under `limits`: the loop count, the embedded ICC profile and
/// the frame iterator.
pub(super) fn frames(bytes: &[u8], limits: image::Limits) -> Result<(Looping, Option<Vec<u8>>, Frames<'_>)> {
    let mut dec = WebPDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
    dec.set_limits(limits).map_err(undecodable)?;
    // ANMF chunks (what the container walk counted) under a VP8X header without the
    // animation flag: image-webp's frame reader asserts the flag and would panic (found by
    // the decode fuzz target, kept in fuzz/regressions/decode/).
    if !dec.has_animation() {
        return Err(undecodable("WebP has animation frames but its header does not mark it animated"));
    }
    let icc = dec.icc_profile().ok().flatten();
    Ok((looping(dec.loop_count()), icc, dec.into_frames()))
}

pub(super) fn encode(anim: &Animation, w: u32, h: u32, opts: EncodeOptions) -> Result<Vec<u8>> {
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
    use crate::job::Format;
    use crate::limits::Limits;
    use crate::media::animation::tests::{opts, sample};
    use crate::media::animation::{decode, encode, frame_count};

    #[test]
    fn anmf_chunks_without_the_animation_flag_are_undecodable_not_a_panic() {
        let bytes = include_bytes!("../../../fuzz/regressions/decode/webp-anmf-without-animation-flag");
        let e = decode(bytes, &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Undecodable, "{e}");
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
}
