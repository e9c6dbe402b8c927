//! Output names: where variant V of source S is written, decided from S, V and the output's
//! type alone, so a re-run, a resumed run or another shard finds the same name.
//!
//! Owns: [`key`], [`stem`], [`slug`], [`extension`].
//!
//! # Format
//!
//! ```text
//! <source path without its extension>/<variant slug>.<ext>
//! /photos/a.jpg  ×  w-200,h-150,c-at_max  →  photos/a/w-200,h-150,c-at_max.jpg
//! /photos/a.jpg  ×  w-120,f-webp          →  photos/a/w-120,f-webp.webp
//! /photos/a.jpg  ×  w-300:e-grayscale     →  photos/a/w-300_e-grayscale~1a2b3c4d.jpg
//! ```
//!
//! Every path segment (folders, the stem, the variant) keeps ASCII letters, digits and
//! `- _ . ,`; any other character becomes `_`, and then `~` and 8 hex digits of the
//! SHA-256 of the original text are appended, so two texts that differ only in replaced
//! characters never share a name (`~` is never kept, so a plain name cannot look hashed). A
//! segment starting with `.` (hidden files, `..`), empty or longer than 100 characters is
//! treated the same way. Folders are kept, so `a/x.jpg` and `b/x.jpg` never collide; two
//! sources that differ only in their extension (`x.jpg`, `x.png`) would, and the manifest
//! check refuses that pair ([`stem`] is what it compares).
//!
//! May import: nothing in-crate; sha2.

use sha2::{Digest, Sha256};

/// Longest segment kept as written.
const MAX_SEGMENT: usize = 100;

/// The output key (relative path, `/`-separated) of `variant` of `source` rendered as `mime`.
pub fn key(source: &str, variant: &str, mime: &str) -> String {
    format!("{}/{}.{}", stem(source), slug(variant), extension(mime))
}

/// The folder of `source`'s outputs: its path without the leading `/` and the extension.
pub fn stem(source: &str) -> String {
    let segs: Vec<&str> = source.split('/').filter(|s| !s.is_empty()).collect();
    let n = segs.len();
    let mut out: Vec<String> = Vec::with_capacity(n.max(1));
    for (i, seg) in segs.into_iter().enumerate() {
        let seg = if i + 1 == n {
            match seg.rfind('.') {
                Some(dot) if dot > 0 => &seg[..dot],
                _ => seg,
            }
        } else {
            seg
        };
        out.push(safe(seg));
    }
    if out.is_empty() {
        out.push(safe(""));
    }
    out.join("/")
}

/// The variant's file-name form.
pub fn slug(variant: &str) -> String {
    safe(variant)
}

/// The file extension of an output type.
pub fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/gif" => "gif",
        "image/svg+xml" => "svg",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        _ => "bin",
    }
}

/// `text` as one safe path segment (see the module's format).
fn safe(text: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ',');
    let mut out: String = text.chars().map(|c| if keep(c) { c } else { '_' }).collect();
    let changed = out != text || out.is_empty() || out.starts_with('.') || out.len() > MAX_SEGMENT;
    if changed {
        if out.starts_with('.') {
            out.replace_range(..1, "_");
        }
        out.truncate(MAX_SEGMENT);
        let digest = Sha256::digest(text.as_bytes());
        out.push('~');
        for b in &digest[..4] {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_folders_and_type() {
        assert_eq!(key("/photos/a.jpg", "w-200,h-150,c-at_max", "image/jpeg"), "photos/a/w-200,h-150,c-at_max.jpg");
        assert_eq!(key("photos/a.jpg", "w-120,f-webp", "image/webp"), "photos/a/w-120,f-webp.webp");
        assert_ne!(key("/a/x.jpg", "w-1", "image/jpeg"), key("/b/x.jpg", "w-1", "image/jpeg"));
        assert_eq!(stem("/x"), "x");
        assert_eq!(stem("/d.e/x.tar.gz"), "d.e/x.tar");
    }

    #[test]
    fn replaced_characters_add_a_hash_so_names_never_collide() {
        let a = slug("w-300:e-grayscale");
        let b = slug("w-300/e-grayscale");
        let c = slug("w-300_e-grayscale");
        assert!(a.starts_with("w-300_e-grayscale~") && a.len() == "w-300_e-grayscale~".len() + 8, "{a}");
        assert_ne!(a, b);
        assert_eq!(c, "w-300_e-grayscale", "safe text is kept as written");
        assert_eq!(slug("w-300:e-grayscale"), a, "stable");
        for hidden in [".", "..", ".x", ""] {
            let s = safe(hidden);
            assert!(!s.starts_with('.') && s.contains('~'), "{hidden:?} → {s}");
        }
        assert!(slug(&"w".repeat(300)).len() <= MAX_SEGMENT + 9);
        assert!(!stem("/../x.jpg").split('/').any(|s| s == ".."));
    }
}
