//! Fuzz target: the signed-URL verifier with both secrets set and signatures required. It
//! must never panic, and it may accept only a URL that carries a signature of its dialect
//! (`ik-s` for ImageKit, `s--…--` for Cloudinary): libFuzzer cannot forge an HMAC, so an
//! accepted unsigned URL would be a bypass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xformd_fuzz::signature::{verify, SigningConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (&*text, None),
    };
    let cfg = SigningConfig {
        imagekit_key: Some("fuzz-key".into()),
        cloudinary_secret: Some("fuzz-secret".into()),
        required: true,
    };
    let cloudinary = flags & 1 == 1;
    if verify(&cfg, path, query, cloudinary, 1_700_000_000).is_ok() {
        if cloudinary {
            assert!(path.contains("s--"), "unsigned Cloudinary URL accepted: {path:?}");
        } else {
            assert!(query.is_some_and(|q| q.contains("ik-s=")), "unsigned ImageKit URL accepted: {path:?} {query:?}");
        }
    }
});
