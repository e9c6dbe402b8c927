//! `xformd batch`: pre-render several variants of one source in process, from one fetch and
//! one decode (`pipeline::variants`; on the GPU, one submission for the variants it takes).
//!
//! Owns: [`BatchArgs`], [`run`], [`file_name`]. Each variant is an ImageKit transformation
//! string (`w-300`, `w-600,f-webp`, chains with `:`), parsed exactly as `xformd render` parses
//! `/tr:<variant>/<source>`. Files are written atomically (temporary name, then rename) into
//! the output folder as `<source stem>_<variant>.<ext>`.
//!
//! May import: `app`, `config`, `pipeline`, `url`, `job`, `exec` (hints), `error`. Never
//! `service`, `frontend`, wgpu, tonic. Prints nothing: `main` prints the returned lines.

use std::path::{Path, PathBuf};

use crate::app::App;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::job::BackendPref;
use crate::job::Hints;
use crate::pipeline::variants::{variants, VariantsInput};
use crate::url::{self, UrlOptions};

/// What `xformd batch` was asked for.
#[derive(Debug, Clone)]
pub struct BatchArgs {
    /// Origin path of the source (`photos/a.jpg`; a leading `/` is added).
    pub source: String,
    /// One ImageKit transformation string per variant.
    pub variants: Vec<String>,
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Backend preference.
    pub backend: BackendPref,
    /// `Accept` header for `f-auto`.
    pub accept: String,
}

/// The output file name of `variant` of `source`: source stem, `_`, the variant with every
/// character outside `[A-Za-z0-9.-]` as `_`, then the extension of `mime`.
pub fn file_name(source: &str, variant: &str, mime: &str) -> String {
    let stem = Path::new(source).file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let safe = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
    };
    let ext = match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/gif" => "gif",
        _ => "bin",
    };
    format!("{}_{}.{ext}", safe(stem), safe(variant))
}

/// Render every variant of `args` and write the files; one JSON line per variant (file,
/// size, format, backend, fallback reason, bytes, stage timings), in order.
pub async fn run(config: Config, args: &BatchArgs) -> Result<Vec<String>> {
    let source = if args.source.starts_with('/') { args.source.clone() } else { format!("/{}", args.source) };
    let opts = UrlOptions {
        cloud_name: Some(config.frontend.cloud_name.clone()).filter(|c| !c.is_empty()),
        keep_types: config.frontend.keep_types,
        named: config.named.clone(),
    };
    let jobs = args
        .variants
        .iter()
        .map(|v| url::to_job(&format!("/tr:{v}{source}"), None, &opts).map(|p| p.job))
        .collect::<Result<Vec<_>>>()?;
    let app = App::new(config)?;
    let input = VariantsInput { jobs, backend: args.backend, accept: args.accept.clone(), hints: Hints::default() };
    let outs = variants(&app, input).await?;

    let io = |what: &str, p: &Path, e: std::io::Error| {
        Error::new(ErrorKind::Internal, format!("{what} {}: {e}", p.display()))
    };
    std::fs::create_dir_all(&args.out).map_err(|e| io("create", &args.out, e))?;
    let mut lines = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for (i, (variant, out)) in args.variants.iter().zip(outs).enumerate() {
        let mut name = file_name(&source, variant, out.mime);
        if !taken.insert(name.clone()) {
            // The same variant twice: keep both files apart.
            name = format!("{i}_{name}");
            taken.insert(name.clone());
        }
        let path = args.out.join(&name);
        let tmp = path.with_extension("xformd-tmp");
        std::fs::write(&tmp, &out.data).map_err(|e| io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("rename to", &path, e))?;
        let line = serde_json::json!({
            "variant": variant,
            "file": path.display().to_string(),
            "width": out.width,
            "height": out.height,
            "content_type": out.mime,
            "backend": out.backend.as_str(),
            "fallback_reason": out.fallback_reason,
            "bytes": out.data.len(),
            "timings": {
                "fetch_ms": out.timings.fetch_ms,
                "decode_ms": out.timings.decode_ms,
                "process_ms": out.timings.process_ms,
                "encode_ms": out.timings.encode_ms,
            },
        });
        lines.push(line.to_string());
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_typed() {
        assert_eq!(file_name("/photos/a.jpg", "w-300", "image/jpeg"), "a_w-300.jpg");
        assert_eq!(file_name("/photos/a.jpg", "w-600,f-webp", "image/webp"), "a_w-600_f-webp.webp");
        assert_eq!(file_name("/x/../b.png", "w-1:h-2/..", "image/png"), "b_w-1_h-2_...png");
    }
}
