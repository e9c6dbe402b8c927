//! Fuzz target: any bytes through the decoders' entry points under tight limits: the header
//! probe (JPEG, PNG, WebP, GIF, AVIF sniffing and sizes), the JPEG metadata reader (EXIF
//! orientation, ICC), the still decoder (turbojpeg with DCT scaling, image's PNG/WebP/GIF) and
//! the animation decoder (GIF/WebP frames). None may panic, and a decoded frame must hold
//! exactly width × height RGBA pixels within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xformd_fuzz::limits::Limits;
use xformd_fuzz::media::{animation, decode, jpeg, probe};

fuzz_target!(|data: &[u8]| {
    // Small ceilings keep each run fast (headers may claim any size; frames past these are
    // refused before decoding, which is itself under test).
    let limits = Limits {
        max_input_pixels: 1 << 18,
        max_alloc: 16 << 20,
        max_source_bytes: 1 << 16,
        max_frames: 16,
        ..Limits::default()
    };
    let _ = jpeg::read_meta(data);
    let _ = probe::probe(data, &limits);
    for target in [None, Some((16, 16))] {
        if let Ok(d) = decode::decode_for(data, &limits, target) {
            let f = &d.frame;
            assert_eq!(f.data.len() as u64, u64::from(f.width) * u64::from(f.height) * 4);
            assert!(u64::from(f.width) * u64::from(f.height) <= limits.max_input_pixels);
        }
    }
    if let Ok(a) = animation::decode(data, &limits) {
        assert!(a.frames.len() <= limits.max_frames as usize);
    }
});
