//! The rendered-variant cache: encoded outputs keyed by the canonical job string plus the
//! source's identity, with request coalescing.
//!
//! Owns: [`Cache`], [`Entry`], [`EntryMeta`], [`CacheStats`], [`Lookup`]. The store is the
//! size-bounded LRU folder of [`disk`] (`cache.backend = "disk"`, the default) or the
//! S3-compatible bucket of [`object`] (`"object_store"`); both keep an entry's metadata with
//! its bytes in one atomically written unit, and coalescing and counters are the same for
//! both. May import `error`, `config` and `origin::s3` (the bucket client builder); tokio (the
//! coalescing cells and file I/O). Never `pipeline`, `exec`, `media`: the pipeline hands it a
//! key and a render future and gets bytes back.
//!
//! Keys are opaque strings chosen by the pipeline; the cache prefixes them with the crate
//! version so that a new build never serves an older build's renders.

pub mod disk;
pub mod object;

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use self::disk::DiskStore;
use self::object::ObjectCacheStore;
use crate::config::CacheConfig;
use crate::error::Result;

/// Bumped whenever a change makes an unchanged URL render different bytes (decoding,
/// resampling, encoder settings), so entries written by an older build are not served.
/// 2: damaged JPEGs render, JPEG shrink-on-load keeps 1.5× for the resize, PNG gAMA/cHRM,
/// CMYK profiles, ICC on animation frames and at 16 bits (issue #16).
pub const RENDER_REVISION: u32 = 2;

/// What is stored with the bytes of a rendered variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// MIME type of the bytes.
    pub content_type: String,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// Backend that rendered it (`cpu`, `gpu`).
    pub backend: String,
    /// True when the format came from the `Accept` header.
    pub negotiated: bool,
}

/// One rendered variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Metadata.
    pub meta: EntryMeta,
    /// Encoded bytes.
    pub data: Vec<u8>,
}

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// From the store.
    Hit,
    /// Rendered by this request (and stored).
    Miss,
    /// Rendered by a concurrent identical request that this one waited for.
    Coalesced,
}

/// Counters since start (entries and bytes: now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Answered from the store.
    pub hits: u64,
    /// Rendered (one per coalesced group).
    pub misses: u64,
    /// Waited for a concurrent identical render instead of rendering.
    pub coalesced: u64,
    /// Entries evicted to stay under the byte bound.
    pub evictions: u64,
    /// Entries in the store now.
    pub entries: u64,
    /// Bytes in the store now.
    pub bytes: u64,
}

/// A render in flight, shared by every identical request that arrives meanwhile.
type Flight = Arc<OnceCell<Result<Arc<Entry>>>>;

/// Where entries live.
#[derive(Debug)]
enum Store {
    Disk(DiskStore),
    Object(ObjectCacheStore),
}

impl Store {
    async fn get(&self, key: &str) -> Option<Entry> {
        match self {
            Store::Disk(s) => s.get(key).await,
            Store::Object(s) => s.get(key).await,
        }
    }

    async fn put(&self, key: &str, entry: &Entry) {
        match self {
            Store::Disk(s) => s.put(key, entry).await,
            Store::Object(s) => s.put(key, entry).await,
        }
    }

    fn usage(&self) -> (u64, u64, u64) {
        match self {
            Store::Disk(s) => s.usage(),
            Store::Object(s) => s.usage(),
        }
    }
}

/// The cache.
pub struct Cache {
    store: Store,
    /// Renders in flight by key. A std `Mutex`, not tokio's: it guards a map lookup or
    /// insert and is never held across an `.await`, which is the case tokio's documentation
    /// recommends the std mutex for (cheaper, and no await point to forget under it).
    in_flight: Mutex<HashMap<String, Flight>>,
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("store", &self.store).field("stats", &self.stats()).finish()
    }
}

impl Cache {
    /// The cache `config` describes, or `None` when it is disabled.
    pub fn from_config(config: &CacheConfig) -> Result<Option<Cache>> {
        if !config.enabled || config.max_bytes == 0 {
            return Ok(None);
        }
        if config.backend == "object_store" {
            let store = ObjectCacheStore::from_config(&config.object_store, config.max_bytes)?;
            return Ok(Some(Cache::with_store(Store::Object(store))));
        }
        Cache::open(&config.resolved_dir(), config.max_bytes).map(Some)
    }

    /// A cache over an object store (any `object_store` store; `from_config` builds an S3
    /// one): see [`object`] for the layout and the eviction policy.
    pub fn over_object_store(store: ObjectCacheStore) -> Cache {
        Cache::with_store(Store::Object(store))
    }

    /// Wait until the store's start-up index is complete: the object store lists its
    /// bucket in the background; the disk store is indexed before `open` returns.
    pub async fn indexed(&self) {
        if let Store::Object(s) = &self.store {
            s.indexed().await;
        }
    }

    fn with_store(store: Store) -> Cache {
        Cache {
            store,
            in_flight: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
        }
    }

    /// A disk cache in `dir` holding at most `max_bytes`; what an earlier process left there
    /// is kept (and unfinished temporary files are removed).
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Cache> {
        Ok(Cache::with_store(Store::Disk(DiskStore::open(dir, max_bytes)?)))
    }

    /// Counters.
    pub fn stats(&self) -> CacheStats {
        let (entries, bytes, evictions) = self.store.usage();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            coalesced: self.coalesced.load(Ordering::Relaxed),
            evictions,
            entries,
            bytes,
        }
    }

    /// The entry under `key` (prefixed with the version and [`RENDER_REVISION`]), rendering it with `render` when absent. Concurrent calls with
    /// the same key run one render and share its result (an error too); a failed render is
    /// not stored. If the rendering caller goes away, a waiting caller renders instead.
    pub async fn get_or_render<F, Fut>(&self, key: &str, render: F) -> Result<(Arc<Entry>, Lookup)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Entry>>,
    {
        let key = format!("xformd/{}.r{RENDER_REVISION}/{key}", env!("CARGO_PKG_VERSION"));
        if let Some(e) = self.store.get(&key).await {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((Arc::new(e), Lookup::Hit));
        }
        let flight = {
            let mut map = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(key.clone()).or_default().clone()
        };
        let mut outcome = Lookup::Coalesced;
        let result = flight
            .get_or_init(|| async {
                // Look again: a render may have finished and left the map between the first
                // look and joining this flight.
                if let Some(e) = self.store.get(&key).await {
                    outcome = Lookup::Hit;
                    return Ok(Arc::new(e));
                }
                outcome = Lookup::Miss;
                let entry = Arc::new(render().await?);
                self.store.put(&key, &entry).await;
                Ok(entry)
            })
            .await
            .clone();
        {
            let mut map = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                map.remove(&key);
            }
        }
        let counter = match outcome {
            Lookup::Hit => &self.hits,
            Lookup::Miss => &self.misses,
            Lookup::Coalesced => &self.coalesced,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result.map(|e| (e, outcome))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::error::{Error, ErrorKind};

    fn entry(data: &[u8]) -> Entry {
        Entry {
            meta: EntryMeta {
                content_type: "image/png".into(),
                width: 1,
                height: 2,
                backend: "cpu".into(),
                negotiated: false,
            },
            data: data.to_vec(),
        }
    }

    #[tokio::test]
    async fn second_request_hits() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), 1 << 20).unwrap();
        let (a, l) = cache.get_or_render("k", || async { Ok(entry(b"abc")) }).await.unwrap();
        assert_eq!(l, Lookup::Miss);
        let (b, l) = cache.get_or_render("k", || async { Ok(entry(b"zzz")) }).await.unwrap();
        assert_eq!(l, Lookup::Hit);
        assert_eq!(a, b);
        let s = cache.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_identical_requests_render_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(Cache::open(dir.path(), 1 << 20).unwrap());
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("same", || async {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        Ok(entry(b"once"))
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().0.data, b"once");
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        let s = cache.stats();
        assert_eq!(s.misses, 1);
        assert_eq!(s.hits + s.coalesced, 19);
    }

    #[tokio::test]
    async fn failed_renders_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), 1 << 20).unwrap();
        let err = cache
            .get_or_render("bad", || async { Err::<Entry, _>(Error::new(ErrorKind::Undecodable, "x")) })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Undecodable);
        assert_eq!(cache.stats().entries, 0);
        let (_, l) = cache.get_or_render("bad", || async { Ok(entry(b"ok")) }).await.unwrap();
        assert_eq!(l, Lookup::Miss, "the failure was not remembered");
    }
}
