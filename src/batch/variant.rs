//! A manifest's variant text → a typed job, through the same parser as `xformd render`.
//!
//! Owns: [`to_job`]. Three spellings:
//!
//! ```text
//! w-200,h-150,c-at_max     ImageKit `tr` (chains with `:`), parsed as `/tr:<variant><source>`,
//!                          exactly the path `xformd render /tr:<variant>/<source>` reads
//! c_fill,w_200,h_150       Cloudinary (the first key is followed by `_`), through the
//!                          rewriter as `/image/upload/<variant><source>`
//! thumb                    a name from the configuration's `[named]` table (`n-thumb`)
//! ```
//!
//! May import: `url`, `job`, `error`.

use crate::error::Result;
use crate::job::Job;
use crate::url::{self, UrlOptions};

/// The job `variant` of `source` (an origin path with a leading `/`) describes.
pub fn to_job(source: &str, variant: &str, opts: &UrlOptions) -> Result<Job> {
    let path = if opts.named.contains_key(variant) {
        format!("/tr:n-{variant}{source}")
    } else if is_cloudinary(variant) {
        format!("/image/upload/{variant}{source}")
    } else {
        format!("/tr:{variant}{source}")
    };
    Ok(url::to_job(&path, None, opts)?.job)
}

/// Cloudinary when the first key (letters and digits before a separator) ends at `_`:
/// ImageKit keys end at `-` (`w-200`), Cloudinary keys at `_` (`w_200`, `t_thumb`).
fn is_cloudinary(variant: &str) -> bool {
    let key_end = variant.find(|c: char| !c.is_ascii_alphanumeric());
    key_end.is_some_and(|i| i > 0 && variant[i..].starts_with('_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_are_told_apart() {
        assert!(is_cloudinary("c_fill,w_200"));
        assert!(is_cloudinary("t_thumb"));
        assert!(!is_cloudinary("w-200,h-150,c-at_max"));
        assert!(!is_cloudinary("c-at_max"));
        assert!(!is_cloudinary("_x"));
        let o = UrlOptions::default();
        let ik = to_job("/a.jpg", "w-200,h-150", &o).unwrap();
        let cl = to_job("/a.jpg", "c_fill,w_200,h_150", &o).unwrap();
        assert_eq!((ik.source.as_str(), cl.source.as_str()), ("/a.jpg", "/a.jpg"));
        assert!(!cl.steps.is_empty());
        assert!(to_job("/a.jpg", "zz-9", &o).is_err());
        let mut named = UrlOptions::default();
        named.named.insert("thumb".into(), "w-200,h-150".into());
        assert_eq!(to_job("/a.jpg", "thumb", &named).unwrap().steps, ik.steps);
    }
}
