//! Fuzz target: any request (path and query) through the front end's URL reader, ImageKit and
//! Cloudinary dialects alike (`url::to_job`). It must never panic, and an accepted request
//! must name a source inside the media folder, and render to a canonical form (the cache key)
//! without panicking. Run with `make fuzz` or
//! `cargo +nightly fuzz run url_imagekit -- -dict=fuzz/url_imagekit.dict`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xformd_fuzz::job::canonical;
use xformd_fuzz::url::{to_job, UrlOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (&*text, None),
    };
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    if let Ok(parsed) = to_job(&path, query, &UrlOptions::default()) {
        let source = &parsed.job.source;
        assert!(source.starts_with('/'), "source {source:?}");
        assert!(!source.split('/').any(|s| s == ".." || s == "."), "source {source:?}");
        assert!(!source.contains(['\\', '\0']), "source {source:?}");
        let _ = canonical::render(&parsed.job);
    }
});
