//! S3-compatible object storage through `object_store`, plain keys or the Cloudinary backup
//! layout.
//!
//! Owns: [`S3Origin`], [`S3Settings`] (the client builder the object-store cache reuses). May import `error`, `config` (its `[[origins]]` entry), the sibling
//! [`super::backup`] path logic and the parent's trait; object_store stays in this file (and
//! the cache's object-store option).
//!
//! Credentials come from the entry or, when it leaves them empty, from the standard AWS
//! environment variables (`AmazonS3Builder::from_env`). The object's size is checked against
//! the limit from its metadata before the body is read.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt};

use super::{backup, BoxFuture, Fetched, Origin};
use crate::config::OriginConfig;
use crate::error::{Error, ErrorKind, Result};

/// How to reach one bucket: what `[[origins]]` (kind `s3`) and `[cache.object_store]` share.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// Endpoint URL; empty = AWS.
    pub endpoint: String,
    /// Bucket.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// Access key id; empty = `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// Secret access key; empty = `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// Virtual-hosted-style requests instead of path-style.
    pub virtual_hosted_style: bool,
    /// Connect and request timeout of the HTTP client.
    pub timeout: Duration,
}

impl S3Settings {
    /// The client: the AWS environment first, then the settings that are not empty.
    /// `key` names the configuration entry in errors.
    pub fn build(&self, key: &str) -> Result<object_store::aws::AmazonS3> {
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_virtual_hosted_style_request(self.virtual_hosted_style)
            .with_client_options(ClientOptions::new().with_timeout(self.timeout).with_connect_timeout(self.timeout));
        if !self.endpoint.is_empty() {
            b = b.with_endpoint(&self.endpoint).with_allow_http(self.endpoint.starts_with("http://"));
        }
        if !self.access_key_id.is_empty() {
            b = b.with_access_key_id(&self.access_key_id);
        }
        if !self.secret_access_key.is_empty() {
            b = b.with_secret_access_key(&self.secret_access_key);
        }
        b.build().map_err(|e| Error::invalid(key, &self.bucket, e))
    }
}

/// A bucket (or any `object_store` store).
#[derive(Debug, Clone)]
pub struct S3Origin {
    store: Arc<dyn ObjectStore>,
    /// Key prefix without slashes at either end; empty = the bucket root.
    prefix: String,
    /// Cloudinary cloud name when the bucket is in the backup layout.
    backup_cloud: Option<String>,
    max_bytes: u64,
    timeout: Duration,
}

impl S3Origin {
    /// Over any store (tests use this with an in-memory store).
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        backup_cloud: Option<String>,
        max_bytes: u64,
        timeout: Duration,
    ) -> S3Origin {
        S3Origin { store, prefix: prefix.trim_matches('/').to_string(), backup_cloud, max_bytes, timeout }
    }

    /// From a `[[origins]]` entry; `max_bytes` is already capped by the limits.
    pub fn from_config(o: &OriginConfig, max_bytes: u64) -> Result<S3Origin> {
        let timeout = Duration::from_millis(o.timeout_ms.max(1));
        let store = S3Settings {
            endpoint: o.endpoint.clone(),
            bucket: o.bucket.clone(),
            region: o.region.clone(),
            access_key_id: o.access_key_id.clone(),
            secret_access_key: o.secret_access_key.clone(),
            virtual_hosted_style: o.virtual_hosted_style,
            timeout,
        }
        .build("origins.bucket")?;
        let cloud = Some(o.cloudinary_backup.clone()).filter(|c| !c.is_empty());
        Ok(S3Origin::new(Arc::new(store), &o.bucket_prefix, cloud, max_bytes, timeout))
    }

    fn key(&self, rel: &str) -> String {
        match self.prefix.as_str() {
            "" => rel.to_string(),
            p => format!("{p}/{rel}"),
        }
    }

    /// The object key `path` names: the path under the prefix, or in the backup layout the
    /// version file that [`backup::pick`] chooses from a listing.
    async fn resolve(&self, path: &str) -> Result<ObjectPath> {
        let rel = path.trim_start_matches('/');
        if rel.is_empty() || super::escapes(rel) {
            return Err(Error::invalid("path", path, "not an object path under the origin"));
        }
        let Some(cloud) = &self.backup_cloud else { return Ok(ObjectPath::from(self.key(rel))) };
        let req = backup::parse(path)?;
        let folder = ObjectPath::from(self.key(&format!("res/{cloud}/{}", req.folder)));
        let listing = self.store.list_with_delimiter(Some(&folder)).await.map_err(|e| store_error(path, e))?;
        let names: Vec<&str> = listing.objects.iter().filter_map(|m| m.location.filename()).collect();
        match backup::pick(names.iter().copied(), &req) {
            Some(name) => Ok(folder.clone().join(name)),
            None => Err(not_found(path)),
        }
    }

    async fn fetch_inner(&self, path: &str) -> Result<Fetched> {
        let key = self.resolve(path).await?;
        let got = self.store.get(&key).await.map_err(|e| store_error(path, e))?;
        if got.meta.size > self.max_bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("source '{path}' has {} bytes, more than {}", got.meta.size, self.max_bytes),
            ));
        }
        let etag = match &got.meta.e_tag {
            Some(e) => format!("etag:{e}"),
            None => format!("lm:{}-{}", got.meta.last_modified.timestamp_millis(), got.meta.size),
        };
        // The key is part of the identity: in the backup layout a new version is a new key.
        let etag = format!("{etag}@{key}");
        let bytes = got.bytes().await.map_err(|e| store_error(path, e))?;
        Ok(Fetched { bytes: bytes.to_vec(), etag })
    }
}

fn not_found(path: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no source at '{path}'")).with_param("path", path)
}

fn store_error(path: &str, e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => not_found(path),
        other => Error::new(ErrorKind::Unavailable, format!("object store: {other}")),
    }
}

impl Origin for S3Origin {
    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.fetch_inner(path)).await {
                Ok(r) => r,
                Err(_) => Err(Error::new(ErrorKind::Timeout, format!("object store timed out for '{path}'"))),
            }
        })
    }

    fn local_path(&self, _path: &str) -> Option<std::path::PathBuf> {
        None
    }

    fn ready(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(super::ready_within(self.timeout, "the bucket", async {
            // One LIST page under the prefix: fails for a missing bucket, bad credentials or
            // an unreachable endpoint; an empty prefix is still ready.
            let prefix = Some(ObjectPath::from(self.prefix.as_str())).filter(|_| !self.prefix.is_empty());
            let mut listing = self.store.list(prefix.as_ref());
            match tokio_stream::StreamExt::next(&mut listing).await {
                None | Some(Ok(_)) => Ok(()),
                Some(Err(e)) => Err(store_error(&self.prefix, e)),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;

    async fn put(store: &InMemory, key: &str, body: &[u8]) {
        store.put(&ObjectPath::from(key), body.to_vec().into()).await.unwrap();
    }

    #[tokio::test]
    async fn plain_keys_under_a_prefix() {
        let store = Arc::new(InMemory::new());
        put(&store, "media/a/b.jpg", b"abc").await;
        let o = S3Origin::new(store, "/media/", None, 10, Duration::from_secs(5));
        let f = o.fetch("/a/b.jpg").await.unwrap();
        assert_eq!(f.bytes, b"abc");
        assert!(!f.etag.is_empty());
        assert_eq!(o.fetch("/a/none.jpg").await.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(o.fetch("/../x").await.unwrap_err().kind(), ErrorKind::InvalidArgument);
        let small = S3Origin::new(o.store.clone(), "media", None, 2, Duration::from_secs(5));
        assert_eq!(small.fetch("/a/b.jpg").await.unwrap_err().kind(), ErrorKind::TooLarge);
    }

    #[tokio::test]
    async fn backup_layout_serves_the_newest_version() {
        let store = Arc::new(InMemory::new());
        put(&store, "bk/res/demo/image/upload/folder/a/1700000000.jpg", b"old").await;
        put(&store, "bk/res/demo/image/upload/folder/a/1710000000.jpg", b"new").await;
        put(&store, "bk/res/demo/image/upload/folder/ab/1720000000.jpg", b"other").await;
        let o = S3Origin::new(store, "bk", Some("demo".into()), 100, Duration::from_secs(5));
        let newest = o.fetch("/folder/a.jpg").await.unwrap();
        assert_eq!(newest.bytes, b"new");
        assert_eq!(o.fetch("/image/upload/folder/a.jpg").await.unwrap().bytes, b"new");
        assert_eq!(o.fetch("/image/upload/v1700000000/folder/a.jpg").await.unwrap().bytes, b"old");
        assert_ne!(o.fetch("/v1700000000/folder/a.jpg").await.unwrap().etag, newest.etag);
        assert_eq!(o.fetch("/folder/missing.jpg").await.unwrap_err().kind(), ErrorKind::NotFound);
    }
}
