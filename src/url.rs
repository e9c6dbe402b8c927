//! URL dialects: Cloudinary delivery paths (rewritten into ImageKit strings) and ImageKit
//! paths (parsed into a typed [`Job`]).
//!
//! Owns: [`Dialect`], [`detect`], [`to_job`]. May import `job` and `error` only, plus
//! percent-encoding; never `plan`, `exec`, `media`, `service` or any async or GPU crate.

pub mod cloudinary;
pub mod imagekit;

use crate::error::{Error, Result};
use crate::job::Job;

/// Which URL language a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/tr:…/path` or `/path?tr=…`.
    ImageKit,
    /// `/image/upload/…`, `/video/upload/…`, optionally behind `/<cloud_name>`.
    Cloudinary,
}

impl Dialect {
    /// `imagekit` or `cloudinary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::ImageKit => "imagekit",
            Dialect::Cloudinary => "cloudinary",
        }
    }
}

/// Settings for reading URLs.
#[derive(Debug, Clone, Default)]
pub struct UrlOptions {
    /// Cloudinary cloud name accepted as a first path segment (`/<cloud>/image/upload/…`).
    pub cloud_name: Option<String>,
    /// Keep `/<asset>/<delivery>/` in the forwarded Cloudinary path.
    pub keep_types: bool,
    /// Named transformations (`n-name`, Cloudinary `t_name`).
    pub named: std::collections::BTreeMap<String, String>,
}

const ASSET_TYPES: [&str; 3] = ["image", "video", "raw"];

/// Decide the dialect of a request path (without the query). Returns the path with the
/// cloud-name segment removed for Cloudinary.
pub fn detect<'a>(path: &'a str, opts: &UrlOptions) -> (Dialect, &'a str) {
    let mut rest = path;
    if let Some(cloud) = opts.cloud_name.as_deref().filter(|c| !c.is_empty()) {
        if let Some(after) = path.strip_prefix('/').and_then(|p| p.strip_prefix(cloud)) {
            if after.starts_with('/') {
                rest = after;
            }
        }
    }
    let mut segs = rest.trim_start_matches('/').split('/');
    let (first, second) = (segs.next().unwrap_or(""), segs.next());
    if ASSET_TYPES.contains(&first) && second.is_some_and(|s| !s.is_empty()) {
        (Dialect::Cloudinary, rest)
    } else {
        (Dialect::ImageKit, path)
    }
}

/// The result of reading a request URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The typed job.
    pub job: Job,
    /// The dialect it was written in.
    pub dialect: Dialect,
    /// For Cloudinary: the rewritten ImageKit string and what was dropped.
    pub rewrite: Option<cloudinary::Translation>,
}

/// Read a request (`path` and optional raw `query`) into a job.
pub fn to_job(path: &str, query: Option<&str>, opts: &UrlOptions) -> Result<Parsed> {
    let named = |name: &str| opts.named.get(name).cloned();
    let parse_opts = imagekit::ParseOptions { named: &named };
    let (dialect, rest) = detect(path, opts);
    match dialect {
        Dialect::ImageKit => {
            let full = match query {
                Some(q) if !q.is_empty() => format!("{path}?{q}"),
                _ => path.to_string(),
            };
            Ok(Parsed { job: imagekit::parse(&full, &parse_opts)?, dialect, rewrite: None })
        }
        Dialect::Cloudinary => {
            // A Cloudinary URL's transformation is its path, and its `s--…--` signature covers
            // the path only: a query must not change the output. `tr` (which the ImageKit
            // parser would apply) is refused so the mistake is visible; everything else
            // (cache busters, the SDKs' `_a=` analytics) is ignored, as Cloudinary does, and
            // never reaches the origin.
            if let Some(tr) = query_param(query, "tr") {
                return Err(Error::invalid(
                    "tr",
                    tr,
                    "a Cloudinary URL takes no tr query; put the transformation in the path",
                ));
            }
            let t = cloudinary::translate(rest, &cloudinary::Options { keep_types: opts.keep_types });
            let ik = if t.tr.is_empty() { t.path.clone() } else { format!("/tr:{}{}", t.tr, t.path) };
            let job = imagekit::parse(&ik, &parse_opts)?;
            Ok(Parsed { job, dialect, rewrite: Some(t) })
        }
    }
}

/// The value of the first `key=` pair of `query` (raw, not decoded).
fn query_param<'q>(query: Option<&'q str>, key: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| match pair.split_once('=') {
        Some((k, v)) if k == key => Some(v),
        None if pair == key => Some(""),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_dialects() {
        let o = UrlOptions { cloud_name: Some("demo".into()), ..Default::default() };
        assert_eq!(detect("/image/upload/w_100/a.jpg", &o).0, Dialect::Cloudinary);
        assert_eq!(detect("/demo/image/upload/w_100/a.jpg", &o), (Dialect::Cloudinary, "/image/upload/w_100/a.jpg"));
        assert_eq!(detect("/tr:w-100/a.jpg", &o).0, Dialect::ImageKit);
        assert_eq!(detect("/photos/a.jpg", &o).0, Dialect::ImageKit);
        assert_eq!(detect("/image.jpg", &o).0, Dialect::ImageKit);
    }
}
