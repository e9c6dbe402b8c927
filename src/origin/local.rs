//! A folder on this machine: the default origin.
//!
//! Owns: [`LocalOrigin`]. Paths are confined to the folder (no `..`, no symlink escapes).
//! Imports `error` and its parent's trait only.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{BoxFuture, Fetched, Origin};
use crate::error::{Error, ErrorKind, Result};

/// A folder on this machine.
#[derive(Debug, Clone)]
pub struct LocalOrigin {
    root: PathBuf,
    max_bytes: u64,
}

impl LocalOrigin {
    /// Serve files under `root`, of any size (see [`with_max_bytes`](Self::with_max_bytes)).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalOrigin { root: root.into(), max_bytes: u64::MAX }
    }

    /// Refuse files over `max_bytes` from their size on disk, before reading them (a file
    /// of gigabytes in the media folder would otherwise be read whole, then refused).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn resolve(&self, path: &str) -> Result<PathBuf> {
        let rel = path.trim_start_matches('/');
        let escapes = rel.split(['/', '\\']).any(|s| s == ".." || s == ".") || rel.contains('\0');
        if escapes || rel.is_empty() {
            return Err(Error::invalid("path", path, "escapes the media folder"));
        }
        Ok(self.root.join(rel))
    }

    /// The whole fetch, blocking: confine, stat, read. Run as one task on the blocking pool
    /// (`fetch`): the five `tokio::fs` calls and the chunked async read this replaces were a
    /// dozen or more blocking-pool round trips per request, about 1 ms of waiting on a
    /// 600 KB photo, during which a core sat idle under load (docs/benchmarks.md).
    fn fetch_blocking(&self, path: &str) -> Result<Fetched> {
        let file = self.resolve(path)?;
        let not_found = || Error::new(ErrorKind::NotFound, format!("no source at '{path}'")).with_param("path", path);
        // Refuse symlinks that leave the folder: compare canonical paths.
        let (root, real) = match (std::fs::canonicalize(&self.root), std::fs::canonicalize(&file)) {
            (Ok(r), Ok(f)) => (r, f),
            _ => return Err(not_found()),
        };
        if !real.starts_with(&root) {
            return Err(Error::invalid("path", path, "escapes the media folder"));
        }
        // Stat before opening: opening a FIFO or a device in the folder could block.
        let meta = std::fs::metadata(&real).map_err(|_| not_found())?;
        if !meta.is_file() {
            return Err(not_found());
        }
        let too_large = |len: u64| {
            let msg = format!("source is over {len} bytes, over the limit of {}", self.max_bytes);
            Error::new(ErrorKind::TooLarge, msg).with_param("max_source_bytes", self.max_bytes.to_string())
        };
        if meta.len() > self.max_bytes {
            return Err(too_large(meta.len()));
        }
        // The file may grow between the stat and the read: read at most one byte more
        // than allowed, and refuse if that byte came. The buffer is sized from the stat
        // (already under the limit), so the read does not reallocate.
        let file = std::fs::File::open(&real).map_err(|_| not_found())?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
        file.take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Error::internal(format!("reading a source: {e}")))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(too_large(bytes.len() as u64));
        }
        let mtime =
            meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs());
        Ok(Fetched { etag: format!("{mtime:x}-{:x}", meta.len()), bytes })
    }
}

impl Origin for LocalOrigin {
    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let (origin, path) = (self.clone(), path.to_owned());
            tokio::task::spawn_blocking(move || origin.fetch_blocking(&path))
                .await
                .map_err(|e| Error::internal(format!("source read task failed: {e}")))?
        })
    }

    fn local_path(&self, path: &str) -> Option<PathBuf> {
        self.resolve(path).ok()
    }

    fn ready(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(super::ready_within(super::READY_TIMEOUT, "the media folder", async {
            let unready = |why: String| {
                Error::new(ErrorKind::Unavailable, format!("media folder {}: {why}", self.root.display()))
            };
            let meta = tokio::fs::metadata(&self.root).await.map_err(|e| unready(e.to_string()))?;
            if !meta.is_dir() {
                return Err(unready("not a folder".into()));
            }
            // Listing needs read (and search) permission, which serving files needs too.
            let mut rd = tokio::fs::read_dir(&self.root).await.map_err(|e| unready(e.to_string()))?;
            rd.next_entry().await.map_err(|e| unready(e.to_string()))?;
            Ok(())
        }))
    }
}
