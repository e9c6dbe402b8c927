//! The Cloudinary backup bucket layout: pure path logic.
//!
//! Owns: [`BackupRequest`], [`parse`], [`pick`]. Pure; imports `error` only. The listing
//! itself happens in `origin::s3`.
//!
//! Cloudinary's backup bucket stores `res/<cloud>/<asset>/<delivery>/<public_id>/<version>.<ext>`
//! (the public ID becomes a folder, each version a file named by its timestamp; rewriter spec
//! §3.2). A request path is `/<public_id>.<ext>` or, with "keep asset and delivery types",
//! `/image/upload/<public_id>.<ext>`, optionally with a `v<version>` segment: the named version
//! is served, else the newest.

use crate::error::{Error, Result};

/// Cloudinary asset types that may open a path.
const ASSETS: [&str; 3] = ["image", "video", "raw"];
/// Cloudinary delivery types that may follow an asset type.
const DELIVERIES: [&str; 4] = ["upload", "private", "authenticated", "fetch"];

/// A request path read in the backup layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRequest {
    /// `<asset>/<delivery>/<public_id>`: the folder holding the versions.
    pub folder: String,
    /// Requested extension (lower case), when the path has one.
    pub ext: Option<String>,
    /// Requested version, when the path names one.
    pub version: Option<u64>,
}

/// Read `path` in the backup layout; `image/upload` when the path does not name them.
pub fn parse(path: &str) -> Result<BackupRequest> {
    let bad = |why: &str| Error::invalid("path", path, why);
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.iter().any(|s| *s == ".." || *s == ".") {
        return Err(bad("escapes the bucket folder"));
    }
    let (asset, delivery) = match segs.as_slice() {
        [a, d, _, ..] if ASSETS.contains(a) && DELIVERIES.contains(d) => {
            let r = (a.to_string(), d.to_string());
            segs.drain(..2);
            r
        }
        _ => ("image".to_string(), "upload".to_string()),
    };
    let mut version = None;
    if let [v, _, ..] = segs.as_slice() {
        if let Some(n) = v.strip_prefix('v').filter(|d| !d.is_empty()).and_then(|d| d.parse::<u64>().ok()) {
            version = Some(n);
            segs.remove(0);
        }
    }
    let (last, folders) = segs.split_last().ok_or_else(|| bad("no public ID"))?;
    let (name, ext) = match last.rsplit_once('.') {
        Some((n, e)) if !n.is_empty() && !e.is_empty() => (n, Some(e.to_ascii_lowercase())),
        _ => (*last, None),
    };
    let mut public_id = folders.join("/");
    if !public_id.is_empty() {
        public_id.push('/');
    }
    public_id.push_str(name);
    Ok(BackupRequest { folder: format!("{asset}/{delivery}/{public_id}"), ext, version })
}

/// The file to serve among `names` (file names inside the public-ID folder): the requested
/// version, else the newest; a file with the requested extension wins over another
/// extension of the same version (the pipeline converts formats anyway). `None` when no
/// name is `<digits>.<ext>`.
pub fn pick<'a>(names: impl IntoIterator<Item = &'a str>, req: &BackupRequest) -> Option<&'a str> {
    let mut best: Option<(u64, bool, &'a str)> = None;
    for name in names {
        let Some((v, ext)) = name.split_once('.') else { continue };
        let Ok(v) = v.parse::<u64>() else { continue };
        if req.version.is_some_and(|want| want != v) {
            continue;
        }
        let ext_match = req.ext.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(ext));
        let candidate = (v, ext_match, name);
        // Ordering: the requested extension first, then the newest version.
        let better = match best {
            None => true,
            Some((bv, bm, _)) => (ext_match, v) > (bm, bv),
        };
        if better {
            best = Some(candidate);
        }
    }
    best.map(|(_, _, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(folder: &str, ext: Option<&str>, version: Option<u64>) -> BackupRequest {
        BackupRequest { folder: folder.into(), ext: ext.map(str::to_string), version }
    }

    #[test]
    fn paths_map_to_public_id_folders() {
        assert_eq!(parse("/sample.jpg").unwrap(), req("image/upload/sample", Some("jpg"), None));
        assert_eq!(parse("/image/upload/folder/a.JPG").unwrap(), req("image/upload/folder/a", Some("jpg"), None));
        assert_eq!(parse("/video/upload/v123/clip.mp4").unwrap(), req("video/upload/clip", Some("mp4"), Some(123)));
        assert_eq!(parse("/a/b/c").unwrap(), req("image/upload/a/b/c", None, None));
        // A folder called `image` alone is a folder, not an asset type.
        assert_eq!(parse("/image/a.png").unwrap(), req("image/upload/image/a", Some("png"), None));
        // `v123` as the last segment is the public ID, not a version.
        assert_eq!(parse("/v123").unwrap(), req("image/upload/v123", None, None));
        assert!(parse("/").is_err());
        assert!(parse("/image/upload/../x.jpg").is_err());
    }

    #[test]
    fn the_newest_version_wins_unless_one_is_named() {
        let names = ["1700000000.jpg", "1710000000.jpg", "1690000000.png", "notes.txt", "1720000000.png"];
        let r = req("image/upload/a", Some("jpg"), None);
        assert_eq!(pick(names, &r), Some("1710000000.jpg"));
        let r = req("image/upload/a", Some("webp"), None);
        assert_eq!(pick(names, &r), Some("1720000000.png"));
        let r = req("image/upload/a", Some("jpg"), Some(1700000000));
        assert_eq!(pick(names, &r), Some("1700000000.jpg"));
        let r = req("image/upload/a", Some("jpg"), Some(5));
        assert_eq!(pick(names, &r), None);
        assert_eq!(pick(["x.jpg"], &req("f", None, None)), None);
    }
}
