//! Fuzz target: any bytes through the Cloudinary rewriter, with both settings. It must
//! never panic, and the output must keep the invariants the front end relies on: the
//! forwarded path starts with `/`, the chain has no empty step and no stray separator, a
//! not-rewritable path comes back unchanged, and the setting does not change the chain
//! except for the `image@@upload@@` prefix of overlay paths.
//! Run with `cargo +nightly fuzz run url_cloudinary -- -dict=fuzz/url_cloudinary.dict`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xformd_fuzz::url::cloudinary::{translate, Options};

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let off = translate(&input, &Options { keep_types: false });
    let on = translate(&input, &Options { keep_types: true });
    for t in [&off, &on] {
        assert!(t.path.starts_with('/'));
        assert!(!t.tr.contains("::") && !t.tr.contains(",,"));
        assert!(!t.tr.starts_with([':', ',']) && !t.tr.ends_with([':', ',']));
        if !t.rewritable {
            assert!(t.tr.is_empty());
            assert_eq!(t.path.trim_start_matches('/'), input.trim_start_matches('/'));
        }
    }
    assert_eq!(on.tr.replace("oi-image@@upload@@", "oi-"), off.tr.replace("oi-image@@upload@@", "oi-"));
    assert_eq!(on.dropped, off.dropped);
});
