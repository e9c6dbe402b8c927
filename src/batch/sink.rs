//! Where outputs go: a local folder (atomic: temporary file in the same folder, fsync,
//! rename) or an S3-compatible bucket (`s3://bucket/prefix`, through `object_store`;
//! multipart above [`MULTIPART_FROM`]).
//!
//! Owns: [`Sink`]. A reader of the folder or bucket sees a whole output or none: the
//! temporary name starts with `.` and ends in `.xformd-tmp`, and an S3 object appears only
//! when its PUT (or multipart completion) succeeds.
//!
//! May import: `origin::s3` (the bucket client builder the origin and cache share), `error`;
//! object_store, tokio (blocking file I/O off the workers).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::error::{Error, ErrorKind, Result};
use crate::origin::s3::S3Settings;

/// Outputs from this size on are uploaded in parts (S3 takes at most 5 GiB in one PUT, and a
/// part that fails is retried alone).
pub const MULTIPART_FROM: usize = 16 << 20;

/// Part size of a multipart upload.
const PART: usize = 8 << 20;

/// An output destination.
#[derive(Debug, Clone)]
pub enum Sink {
    /// A local folder.
    Dir(PathBuf),
    /// A bucket and a key prefix (no slashes at either end).
    Bucket {
        /// The store.
        store: Arc<dyn ObjectStore>,
        /// `s3://bucket`.
        url: String,
        /// Key prefix.
        prefix: String,
    },
}

/// Unique temporary names within this process (the pid covers other processes).
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl Sink {
    /// `out` as a sink: `s3://bucket[/prefix]` through `s3` (endpoint, region, credentials;
    /// empty fields come from the AWS environment), anything else a local folder.
    pub fn parse(out: &str, s3: &S3Settings) -> Result<Sink> {
        let Some(rest) = out.strip_prefix("s3://") else {
            return Ok(Sink::Dir(PathBuf::from(out)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::invalid("out", out, "expected s3://bucket/prefix"));
        }
        let settings = S3Settings { bucket: bucket.to_string(), ..s3.clone() };
        let store = settings.build("out")?;
        Ok(Sink::Bucket {
            store: Arc::new(store),
            url: format!("s3://{bucket}"),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// The local folder, for a local sink.
    pub fn local_dir(&self) -> Option<&Path> {
        match self {
            Sink::Dir(d) => Some(d),
            Sink::Bucket { .. } => None,
        }
    }

    /// Where `key` is written, for people: a path or an `s3://` URL.
    pub fn location(&self, key: &str) -> String {
        match self {
            Sink::Dir(d) => d.join(key).display().to_string(),
            Sink::Bucket { url, prefix, .. } if prefix.is_empty() => format!("{url}/{key}"),
            Sink::Bucket { url, prefix, .. } => format!("{url}/{prefix}/{key}"),
        }
    }

    /// True when `key` is in place. Only the folder is checked (a stat per skipped output);
    /// a bucket's journal is trusted, as a HEAD per object of a million would cost more than
    /// re-rendering the rare lost one.
    pub fn has(&self, key: &str) -> bool {
        match self {
            Sink::Dir(d) => d.join(key).is_file(),
            Sink::Bucket { .. } => true,
        }
    }

    /// Write `data` as `key`, replacing any older output whole.
    pub async fn put(&self, key: &str, data: Vec<u8>) -> Result<()> {
        match self {
            Sink::Dir(d) => {
                let path = d.join(key);
                tokio::task::spawn_blocking(move || write_atomic(&path, &data))
                    .await
                    .map_err(|e| Error::internal(format!("write task: {e}")))?
            }
            Sink::Bucket { store, prefix, .. } => {
                let path =
                    if prefix.is_empty() { ObjectPath::from(key) } else { ObjectPath::from(format!("{prefix}/{key}")) };
                put_object(store.as_ref(), &path, data)
                    .await
                    .map_err(|e| Error::new(ErrorKind::Unavailable, format!("upload {}: {e}", self.location(key))))
            }
        }
    }
}

/// Temporary file next to `path`, written and fsync'd, then renamed over it.
fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |what: &str, p: &Path, e: std::io::Error| Error::internal(format!("{what} {}: {e}", p.display()));
    let dir = path.parent().ok_or_else(|| Error::internal(format!("no folder for {}", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let seq = TMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{seq}.xformd-tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
        f.write_all(data).map_err(|e| io("write", &tmp, e))?;
        f.sync_data().map_err(|e| io("fsync", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("rename to", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

async fn put_object(store: &dyn ObjectStore, path: &ObjectPath, data: Vec<u8>) -> object_store::Result<()> {
    if data.len() < MULTIPART_FROM {
        store.put(path, PutPayload::from(data)).await?;
        return Ok(());
    }
    let upload = store.put_multipart(path).await?;
    let mut w = WriteMultipart::new_with_chunk_size(upload, PART);
    w.write(&data);
    w.finish().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_writes_are_atomic_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Sink::parse(dir.path().to_str().unwrap(), &S3Settings::default()).unwrap();
        sink.put("a/b/c.jpg", b"one".to_vec()).await.unwrap();
        sink.put("a/b/c.jpg", b"two".to_vec()).await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("a/b/c.jpg")).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path().join("a/b")).unwrap().count(), 1);
        assert!(sink.has("a/b/c.jpg") && !sink.has("a/b/d.jpg"));
    }

    #[tokio::test]
    async fn buckets_take_small_and_multipart_objects() {
        let store = Arc::new(object_store::memory::InMemory::new());
        let sink = Sink::Bucket { store: store.clone(), url: "s3://b".into(), prefix: "pre".into() };
        assert_eq!(sink.location("x/y.jpg"), "s3://b/pre/x/y.jpg");
        sink.put("x/y.jpg", b"small".to_vec()).await.unwrap();
        let big: Vec<u8> = (0..MULTIPART_FROM + 5).map(|i| u8::try_from(i % 251).unwrap()).collect();
        sink.put("x/big.png", big.clone()).await.unwrap();
        let got = store.get(&ObjectPath::from("pre/x/big.png")).await.unwrap().bytes().await.unwrap();
        assert_eq!(got.as_ref(), big.as_slice());
        let got = store.get(&ObjectPath::from("pre/x/y.jpg")).await.unwrap().bytes().await.unwrap();
        assert_eq!(got.as_ref(), b"small");
        assert!(Sink::parse("s3://", &S3Settings::default()).is_err());
    }
}
