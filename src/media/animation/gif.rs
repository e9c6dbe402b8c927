//! GIF animations: the decoder hookup and the encoder, with the "keep" disposal
//! optimisation (pixels unchanged from the frame on screen are written transparent).
//!
//! Owns: GIF frame decoding for [`decode`](super::decode), GIF encoding for
//! [`encode`](super::encode), [`KEEP_TOLERANCE`], the disposal rewrite. May import the
//! parent's types and `scan` helpers, `media`, `error`; `image` outside.

use std::io::Cursor;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::{AnimationDecoder, Delay, Frames, ImageDecoder, RgbaImage};

use super::scan::skip_sub_blocks;
use super::{internal, looping, Animation, Looping};
use crate::error::Result;
use crate::media::probe::undecodable;

/// A GIF decoder over `bytes` under `limits`: the loop count, the embedded ICC profile and
/// the frame iterator.
pub(super) fn frames(bytes: &[u8], limits: image::Limits) -> Result<(Looping, Option<Vec<u8>>, Frames<'_>)> {
    let mut dec = GifDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
    dec.set_limits(limits).map_err(undecodable)?;
    let icc = dec.icc_profile().ok().flatten();
    Ok((looping(dec.loop_count()), icc, dec.into_frames()))
}

/// A pixel within this many levels (every channel) of the one on screen is kept rather
/// than rewritten in a GIF. Far below NeuQuant's own error (~10 levels mean) and invisible,
/// but resampled frames differ by a level or two almost everywhere, so an exact match
/// alone saves little. newtonscradle.gif at w-120 (36 frames of 120×90): every pixel
/// written 404 KB, exact matches kept 328 KB, matches within 4 levels kept 59 KB.
const KEEP_TOLERANCE: u8 = 4;

pub(super) fn encode(anim: &Animation) -> Result<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use crate::job::Format;
    use crate::limits::Limits;
    use crate::media::animation::tests::{opts, sample};
    use crate::media::animation::{decode, encode, scan, AnimFrame, Animation, Looping};
    use crate::media::probe::SourceFormat;
    use crate::media::Frame;

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
}
