//! The object-store backend of the cache: one object per entry in an S3-compatible bucket,
//! bounded in bytes, shared by daemons and kept across restarts.
//!
//! Owns: [`ObjectCacheStore`]. Imports the parent's entry types, the sibling [`super::disk`]
//! entry format and recency index, `error`, `config` (`[cache.object_store]`) and
//! `origin::s3` (the client builder the S3 origin uses too, so credentials, endpoints and
//! timeouts behave the same); object_store and tokio.
//!
//! Layout: `<prefix>/<hh>/<sha256(key)>.xfc`, each object in the disk store's format
//! (`XFC1`, header length, a JSON header with the key and [`EntryMeta`], the bytes). The
//! metadata is a header inside the object, not S3 user metadata, because: one GET returns
//! bytes and metadata from the same PUT (no second request, no torn pair); user metadata is
//! limited to 2 KiB of US-ASCII and S3-compatible servers differ in which attributes they keep;
//! the key in the header guards against a hash collision; and a disk cache folder and a
//! bucket hold the same files.
//!
//! Atomicity: an S3 PUT replaces an object atomically, so a reader sees a whole entry or none;
//! no temporary names are needed. A GET that fails, times out or returns bytes that do not
//! parse is a miss (an unparsable object is deleted).
//!
//! Bound and eviction: least recently used first, over an in-memory index of this process.
//! The index is rebuilt at start by a LIST of the prefix, in the background (start-up does
//! not wait for a large bucket; [`ObjectCacheStore::indexed`] waits for it), ordered by the
//! objects' last-modified times; hits refresh recency in memory only (an S3 object cannot be
//! touched without rewriting it), so across restarts the order is by write time. Lookups do
//! not consult the index: a GET is tried for every miss, so entries written by another daemon
//! sharing the bucket are hits here too. With several daemons on one bucket each bounds what it
//! knows (what it listed at start plus what it wrote), so the bucket can exceed `max_bytes`
//! between restarts; for fleets, set `max_bytes` high and bound the bucket with a lifecycle rule
//! (expiry by age) instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio_stream::StreamExt;

use super::disk::{self, Index};
use super::Entry;
use crate::config::ObjectCacheConfig;
use crate::error::Result;
use crate::origin::s3::S3Settings;

/// Recency ticks of entries this process uses start here; listed entries get ticks below it,
/// so what was in the bucket before is evicted before anything this process touched.
const LIVE_TICKS: u64 = 1 << 48;

struct Inner {
    store: Arc<dyn ObjectStore>,
    /// Without slashes at either end; empty = the bucket root.
    prefix: String,
    max_bytes: u64,
    timeout: Duration,
    index: Mutex<Index>,
    evictions: AtomicU64,
}

/// The bucket.
pub struct ObjectCacheStore {
    inner: Arc<Inner>,
    /// Becomes true when the start-up listing has been merged into the index.
    listed: tokio::sync::watch::Receiver<bool>,
}

impl std::fmt::Debug for ObjectCacheStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectCacheStore")
            .field("prefix", &self.inner.prefix)
            .field("max_bytes", &self.inner.max_bytes)
            .finish_non_exhaustive()
    }
}

impl ObjectCacheStore {
    /// The bucket `config` describes (credentials from it or the AWS environment).
    pub fn from_config(config: &ObjectCacheConfig, max_bytes: u64) -> Result<ObjectCacheStore> {
        let timeout = Duration::from_millis(config.timeout_ms.max(1));
        let store = S3Settings {
            endpoint: config.endpoint.clone(),
            bucket: config.bucket.clone(),
            region: config.region.clone(),
            access_key_id: config.access_key_id.clone(),
            secret_access_key: config.secret_access_key.clone(),
            virtual_hosted_style: config.virtual_hosted_style,
            timeout,
        }
        .build("cache.object_store.bucket")?;
        Ok(ObjectCacheStore::new(Arc::new(store), &config.prefix, max_bytes, timeout))
    }

    /// Over any store (unit tests use an in-memory one). Starts the listing that rebuilds
    /// the index when called inside a tokio runtime; outside one the index starts empty.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str, max_bytes: u64, timeout: Duration) -> ObjectCacheStore {
        let index = Index { tick: LIVE_TICKS, ..Index::default() };
        let inner = Arc::new(Inner {
            store,
            prefix: prefix.trim_matches('/').to_string(),
            max_bytes,
            timeout,
            index: Mutex::new(index),
            evictions: AtomicU64::new(0),
        });
        let (tx, listed) = tokio::sync::watch::channel(false);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                let task = inner.clone();
                drop(rt.spawn(async move {
                    task.list().await;
                    task.evict().await;
                    let _ = tx.send(true);
                }));
            }
            Err(_) => {
                tracing::debug!("object-store cache opened outside a runtime: not listing the bucket");
                let _ = tx.send(true);
            }
        }
        ObjectCacheStore { inner, listed }
    }

    /// Wait until the start-up listing is in the index (at once when it already is).
    pub async fn indexed(&self) {
        let _ = self.listed.clone().wait_for(|done| *done).await;
    }

    /// (entries, bytes, evictions so far) as this process knows them.
    pub fn usage(&self) -> (u64, u64, u64) {
        let index = self.inner.lock();
        (index.entries.len() as u64, index.total, self.inner.evictions.load(Ordering::Relaxed))
    }

    /// The entry under `key`; a failed or timed-out read is a miss.
    pub async fn get(&self, key: &str) -> Option<Entry> {
        self.inner.get(key).await
    }

    /// Store `entry` under `key` (one PUT), then evict down to the bound. An entry larger
    /// than the whole bound is not stored. Failures are logged: the cache is an optimisation.
    pub async fn put(&self, key: &str, entry: &Entry) {
        self.inner.put(key, entry).await;
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        // The index is consistent after every statement that changes it.
        self.index.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn path_of(&self, stem: &str) -> ObjectPath {
        let name = format!("{}/{stem}.xfc", &stem[..2]);
        match self.prefix.as_str() {
            "" => ObjectPath::from(name),
            p => ObjectPath::from(format!("{p}/{name}")),
        }
    }

    async fn get(&self, key: &str) -> Option<Entry> {
        let stem = disk::stem_of(key);
        let path = self.path_of(&stem);
        let read = async {
            let got = self.store.get(&path).await?;
            got.bytes().await
        };
        let bytes = match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(b)) => b,
            Ok(Err(object_store::Error::NotFound { .. })) => {
                // Evicted by another daemon, or never written.
                self.lock().remove(&stem);
                return None;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "object-store cache read failed");
                return None;
            }
            Err(_) => {
                tracing::warn!(ms = self.timeout.as_millis(), "object-store cache read timed out");
                return None;
            }
        };
        let Some(entry) = disk::parse(&bytes, key) else {
            // Not an entry of ours (or of this key): remove it so it stops costing a GET.
            self.lock().remove(&stem);
            let _ = tokio::time::timeout(self.timeout, self.store.delete(&path)).await;
            return None;
        };
        let mut index = self.lock();
        if index.entries.contains_key(&stem) {
            index.touch(&stem);
        } else {
            // Written by another daemon (or before the listing finished).
            index.insert(stem, bytes.len() as u64);
        }
        Some(entry)
    }

    async fn put(&self, key: &str, entry: &Entry) {
        let Some(bytes) = disk::encode(key, entry) else { return };
        let size = bytes.len() as u64;
        if size > self.max_bytes {
            return;
        }
        let stem = disk::stem_of(key);
        let path = self.path_of(&stem);
        match tokio::time::timeout(self.timeout, self.store.put(&path, PutPayload::from(bytes))).await {
            Ok(Ok(_)) => {
                self.lock().insert(stem, size);
                self.evict().await;
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "object-store cache write failed"),
            Err(_) => tracing::warn!(ms = self.timeout.as_millis(), "object-store cache write timed out"),
        }
    }

    /// Delete least recently used objects until the total fits the bound.
    async fn evict(&self) {
        let victims = self.lock().victims(self.max_bytes);
        for stem in victims {
            let path = self.path_of(&stem);
            match tokio::time::timeout(self.timeout, self.store.delete(&path)).await {
                Ok(Ok(())) | Ok(Err(object_store::Error::NotFound { .. })) => {}
                // Left behind: it is out of the index, so it no longer counts here; a later
                // listing (next start) finds it again and evicts it then.
                Ok(Err(e)) => tracing::warn!(error = %e, "object-store cache eviction failed"),
                Err(_) => tracing::warn!("object-store cache eviction timed out"),
            }
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Index what the bucket holds under the prefix, oldest first, below the ticks of
    /// entries this process has used meanwhile (which are kept as they are).
    async fn list(&self) {
        let prefix = Some(ObjectPath::from(self.prefix.as_str())).filter(|_| !self.prefix.is_empty());
        let mut stream = self.store.list(prefix.as_ref());
        let mut found = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(meta) => {
                    let stem =
                        meta.location.filename().and_then(|n| n.strip_suffix(".xfc")).filter(|s| disk::is_stem(s));
                    if let Some(stem) = stem {
                        found.push((meta.last_modified, stem.to_string(), meta.size));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "object-store cache listing failed; the index holds what was read");
                    break;
                }
            }
        }
        found.sort();
        let mut index = self.lock();
        for (tick, (_, stem, size)) in (1..).zip(found) {
            if !index.entries.contains_key(&stem) && tick < LIVE_TICKS {
                index.insert_at(stem, size, tick);
            }
        }
        tracing::info!(entries = index.entries.len(), bytes = index.total, "object-store cache indexed");
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;
    use crate::cache::EntryMeta;

    fn entry(n: usize) -> Entry {
        Entry {
            meta: EntryMeta {
                content_type: "image/webp".into(),
                width: 5,
                height: 6,
                backend: "cpu".into(),
                negotiated: true,
            },
            data: vec![3; n],
        }
    }

    fn store(mem: &Arc<InMemory>, max_bytes: u64) -> ObjectCacheStore {
        ObjectCacheStore::new(mem.clone(), "/c/", max_bytes, Duration::from_secs(5))
    }

    #[tokio::test]
    async fn entries_round_trip_and_the_least_recently_used_goes_first() {
        let mem = Arc::new(InMemory::new());
        let s = store(&mem, 2600);
        s.indexed().await;
        s.put("a", &entry(1000)).await;
        s.put("b", &entry(1000)).await;
        assert_eq!(s.get("a").await, Some(entry(1000)));
        s.put("c", &entry(1000)).await;
        assert!(s.get("b").await.is_none(), "b was the least recently used");
        assert!(s.get("a").await.is_some() && s.get("c").await.is_some());
        let (entries, bytes, evictions) = s.usage();
        assert_eq!((entries, evictions), (2, 1));
        assert!(bytes <= 2600);
        s.put("huge", &entry(5000)).await;
        assert!(s.get("huge").await.is_none(), "larger than the bound: not stored");
        // The objects live under the prefix in the layout the module doc describes.
        let listed: Vec<_> = mem.list(None).collect::<Vec<_>>().await;
        assert_eq!(listed.len(), 2);
        for m in listed {
            let p = m.unwrap().location.to_string();
            assert!(p.starts_with("c/") && p.ends_with(".xfc"), "{p}");
        }
    }

    #[tokio::test]
    async fn a_new_instance_lists_the_bucket_and_ignores_junk() {
        let mem = Arc::new(InMemory::new());
        let first = store(&mem, 1 << 20);
        first.put("k", &entry(10)).await;
        let junk_stem = "ab".repeat(32);
        let junk = ObjectPath::from(format!("c/ab/{junk_stem}.xfc"));
        mem.put(&junk, PutPayload::from_static(b"XFC1\xff\xff\xff\xffjunk")).await.unwrap();
        mem.put(&ObjectPath::from("c/readme.txt"), PutPayload::from_static(b"not an entry")).await.unwrap();
        let second = store(&mem, 1 << 20);
        second.indexed().await;
        assert_eq!(second.usage().0, 2, "the entry and the junk object are indexed; the text file is not");
        assert_eq!(second.get("k").await, Some(entry(10)));
        // An entry whose object no longer parses is a miss, and the object is removed.
        let x = second.inner.path_of(&disk::stem_of("x"));
        second.put("x", &entry(4)).await;
        mem.put(&x, PutPayload::from_static(b"XFC1garbled")).await.unwrap();
        assert!(second.get("x").await.is_none());
        assert!(mem.head(&x).await.is_err(), "the garbled object was deleted");
    }

    #[tokio::test]
    async fn entries_written_by_another_instance_are_hits() {
        let mem = Arc::new(InMemory::new());
        let a = store(&mem, 1 << 20);
        let b = store(&mem, 1 << 20);
        b.indexed().await;
        a.put("shared", &entry(7)).await;
        assert_eq!(b.get("shared").await, Some(entry(7)));
        assert_eq!(b.usage().0, 1);
    }
}
