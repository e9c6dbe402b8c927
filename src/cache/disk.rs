//! The disk store of the cache: one file per entry, bounded in bytes, least recently used
//! evicted first, kept across restarts.
//!
//! Owns: [`DiskStore`], and the entry format and recency index that the object-store
//! backend ([`super::object`]) shares. Imports the parent's entry types and `error`; tokio
//! for file I/O.
//!
//! Layout: `<dir>/<hh>/<sha256(key)>.xfc`, where a file is `XFC1`, the header length (u32
//! little-endian), a JSON header (the key and [`EntryMeta`]) and the bytes. Keeping the
//! metadata in the same file keeps an entry one atomic unit: a file is written under a
//! temporary name in the same folder and renamed into place, so a reader sees a whole entry
//! or none, and a failed or interrupted write leaves only a `.tmp` file, which the next start
//! removes. The rename is not fsynced: after a power loss an entry may be empty or garbled,
//! and a header that does not parse is a miss (the file is removed).
//!
//! The recency index lives in memory and is rebuilt at start from the files' modification
//! times (a hit touches the file's mtime, so the order survives restarts). One process owns a
//! folder; two daemons need two folders.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Entry, EntryMeta};
use crate::error::{Error, Result};

const MAGIC: &[u8; 4] = b"XFC1";
/// A header longer than this is garbage (real ones are ~200 bytes).
const MAX_HEADER: usize = 64 * 1024;

#[derive(Serialize, Deserialize)]
struct Header {
    key: String,
    meta: EntryMeta,
}

/// Entry sizes by stem and their recency order.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// File name stem → (bytes on disk, recency tick).
    pub(super) entries: HashMap<String, (u64, u64)>,
    /// Recency tick → stem; the first is the least recently used.
    pub(super) order: BTreeMap<u64, String>,
    pub(super) total: u64,
    pub(super) tick: u64,
}

impl Index {
    /// Mark `stem` as just used.
    pub(super) fn touch(&mut self, stem: &str) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((_, t)) = self.entries.get_mut(stem) {
            self.order.remove(t);
            *t = tick;
            self.order.insert(tick, stem.to_string());
        }
    }

    /// Add (or replace) `stem` as the most recently used.
    pub(super) fn insert(&mut self, stem: String, size: u64) {
        self.tick += 1;
        let tick = self.tick;
        self.insert_at(stem, size, tick);
    }

    /// Add (or replace) `stem` with recency `tick` (which must not be in use).
    pub(super) fn insert_at(&mut self, stem: String, size: u64, tick: u64) {
        self.remove(&stem);
        self.order.insert(tick, stem.clone());
        self.entries.insert(stem, (size, tick));
        self.total += size;
    }

    /// Least recently used entries to remove until the total fits `max_bytes`, taken out of
    /// the index.
    pub(super) fn victims(&mut self, max_bytes: u64) -> Vec<String> {
        let mut victims = Vec::new();
        while self.total > max_bytes {
            let Some((_, stem)) = self.order.pop_first() else { break };
            if let Some((size, _)) = self.entries.remove(&stem) {
                self.total = self.total.saturating_sub(size);
            }
            victims.push(stem);
        }
        victims
    }

    /// Forget `stem`; true when it was there.
    pub(super) fn remove(&mut self, stem: &str) -> bool {
        match self.entries.remove(stem) {
            Some((size, t)) => {
                self.order.remove(&t);
                self.total = self.total.saturating_sub(size);
                true
            }
            None => false,
        }
    }
}

/// The folder.
#[derive(Debug)]
pub struct DiskStore {
    dir: PathBuf,
    max_bytes: u64,
    index: Mutex<Index>,
    evictions: AtomicU64,
    /// Makes temporary names unique within the process.
    nonce: AtomicU64,
}

impl DiskStore {
    /// Open (creating) `dir`, index what is there, remove unfinished temporary files, and
    /// evict down to `max_bytes` if the bound shrank since the last run.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<DiskStore> {
        std::fs::create_dir_all(dir).map_err(|e| Error::internal(format!("cache dir {}: {e}", dir.display())))?;
        let mut found: Vec<(SystemTime, String, u64)> = Vec::new();
        for shard in read_dir(dir) {
            if !shard.is_dir() {
                continue;
            }
            for file in read_dir(&shard) {
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                if name.ends_with(".tmp") {
                    // A write that never reached its rename: never an entry.
                    let _ = std::fs::remove_file(&file);
                } else if let Some(stem) = name.strip_suffix(".xfc").filter(|s| is_stem(s)) {
                    if let Ok(m) = std::fs::metadata(&file) {
                        let mtime = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                        found.push((mtime, stem.to_string(), m.len()));
                    }
                }
            }
        }
        found.sort();
        let mut index = Index::default();
        for (_, stem, size) in found {
            index.insert(stem, size);
        }
        let store = DiskStore {
            dir: dir.to_path_buf(),
            max_bytes,
            index: Mutex::new(index),
            evictions: AtomicU64::new(0),
            nonce: AtomicU64::new(0),
        };
        store.evict();
        Ok(store)
    }

    /// (entries, bytes, evictions so far).
    pub fn usage(&self) -> (u64, u64, u64) {
        let index = self.lock();
        (index.entries.len() as u64, index.total, self.evictions.load(Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        // The index is consistent after every statement that changes it, so a panic
        // elsewhere while it was held does not make it unusable.
        self.index.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn path_of(&self, stem: &str) -> PathBuf {
        self.dir.join(&stem[..2]).join(format!("{stem}.xfc"))
    }

    /// The entry under `key`; a file that does not parse is removed and is a miss.
    pub async fn get(&self, key: &str) -> Option<Entry> {
        let stem = stem_of(key);
        if !self.lock().entries.contains_key(&stem) {
            return None;
        }
        let path = self.path_of(&stem);
        let parsed = tokio::fs::read(&path).await.ok().and_then(|b| parse(&b, key));
        let Some(entry) = parsed else {
            if self.lock().remove(&stem) {
                let _ = tokio::fs::remove_file(&path).await;
            }
            return None;
        };
        self.lock().touch(&stem);
        // Record the use on disk too, so the recency order survives a restart. Best effort.
        // The task is detached: nothing waits for it.
        drop(tokio::task::spawn_blocking(move || {
            std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(SystemTime::now()))
        }));
        Some(entry)
    }

    /// Store `entry` under `key` (atomically), then evict down to the bound. An entry larger
    /// than the whole bound is not stored. Failures are logged: the cache is an optimisation.
    pub async fn put(&self, key: &str, entry: &Entry) {
        let stem = stem_of(key);
        let Ok(header) = serde_json::to_vec(&Header { key: key.to_string(), meta: entry.meta.clone() }) else {
            return;
        };
        let size = (MAGIC.len() + 4 + header.len() + entry.data.len()) as u64;
        if size > self.max_bytes {
            return;
        }
        let path = self.path_of(&stem);
        let tmp = path.with_file_name(format!(
            "{stem}.{}.{}.tmp",
            std::process::id(),
            self.nonce.fetch_add(1, Ordering::Relaxed)
        ));
        let data = entry.data.clone();
        let written = tokio::task::spawn_blocking(move || write_atomically(&tmp, &path, &header, &data)).await;
        match written {
            Ok(Ok(())) => {
                self.lock().insert(stem, size);
                self.evict();
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cache write failed"),
            Err(e) => tracing::warn!(error = %e, "cache write task failed"),
        }
    }

    /// Remove least recently used entries until the total fits the bound.
    fn evict(&self) {
        let victims = self.lock().victims(self.max_bytes);
        for stem in victims {
            // Removing a file a reader has open is fine on Unix; a reader that opens it after
            // this sees a miss.
            let _ = std::fs::remove_file(self.path_of(&stem));
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn write_atomically(tmp: &Path, path: &Path, header: &[u8], data: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = tmp.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let result = (|| {
        let mut f = std::fs::File::create(tmp)?;
        let len = u32::try_from(header.len()).map_err(std::io::Error::other)?;
        f.write_all(MAGIC)?;
        f.write_all(&len.to_le_bytes())?;
        f.write_all(header)?;
        f.write_all(data)?;
        f.flush()?;
        drop(f);
        std::fs::rename(tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// An entry in the stored format (`XFC1`, header length, header, bytes), or `None` when the
/// header cannot be written.
pub(super) fn encode(key: &str, entry: &Entry) -> Option<Vec<u8>> {
    let header = serde_json::to_vec(&Header { key: key.to_string(), meta: entry.meta.clone() }).ok()?;
    let len = u32::try_from(header.len()).ok()?;
    let mut out = Vec::new();
    out.try_reserve_exact(MAGIC.len() + 4 + header.len() + entry.data.len()).ok()?;
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&entry.data);
    Some(out)
}

/// An entry from file bytes, if they are one and belong to `key`.
pub(super) fn parse(bytes: &[u8], key: &str) -> Option<Entry> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok().filter(|l| *l <= MAX_HEADER)?;
    if rest.len() < len {
        return None;
    }
    let (header, data) = rest.split_at(len);
    let header: Header = serde_json::from_slice(header).ok()?;
    (header.key == key).then(|| Entry { meta: header.meta, data: data.to_vec() })
}

/// The file (or object) name of `key`: its SHA-256 in hex.
pub(super) fn stem_of(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// True for a name [`stem_of`] could have made.
pub(super) fn is_stem(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry {
            meta: EntryMeta {
                content_type: "image/jpeg".into(),
                width: 3,
                height: 4,
                backend: "gpu".into(),
                negotiated: true,
            },
            data: vec![7; n],
        }
    }

    #[tokio::test]
    async fn least_recently_used_is_evicted_first() {
        let dir = tempfile::tempdir().unwrap();
        let s = DiskStore::open(dir.path(), 2500).unwrap();
        s.put("a", &entry(1000)).await;
        s.put("b", &entry(1000)).await;
        assert!(s.get("a").await.is_some()); // a is now newer than b
        s.put("c", &entry(1000)).await;
        assert!(s.get("b").await.is_none(), "b was the least recently used");
        assert!(s.get("a").await.is_some());
        assert!(s.get("c").await.is_some());
        let (entries, bytes, evictions) = s.usage();
        assert_eq!((entries, evictions), (2, 1));
        assert!(bytes <= 2500);
        s.put("huge", &entry(5000)).await;
        assert!(s.get("huge").await.is_none(), "larger than the bound: not stored");
    }

    #[tokio::test]
    async fn entries_survive_reopening_and_junk_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let s = DiskStore::open(dir.path(), 1 << 20).unwrap();
        s.put("k", &entry(10)).await;
        drop(s);
        let shard = dir.path().join("ab");
        std::fs::create_dir_all(&shard).unwrap();
        std::fs::write(shard.join("partial.123.tmp"), b"XFC1garbage").unwrap();
        let fake = format!("ab{}", "0".repeat(62));
        std::fs::write(shard.join(format!("{fake}.xfc")), b"XFC1\xff\xff\xff\xffjunk").unwrap();
        let s = DiskStore::open(dir.path(), 1 << 20).unwrap();
        assert!(!shard.join("partial.123.tmp").exists(), "unfinished writes are removed at start");
        assert_eq!(s.get("k").await, Some(entry(10)));
        // The garbled file is indexed from its name but fails to parse: a miss, then removed.
        assert_eq!(s.usage().0, 2);
        assert!(parse(b"XFC1\xff\xff\xff\xffjunk", "x").is_none());
        assert!(parse(b"", "x").is_none());
    }

    #[test]
    fn a_header_for_another_key_is_not_an_entry() {
        let header = serde_json::to_vec(&Header { key: "one".into(), meta: entry(0).meta }).unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&u32::try_from(header.len()).unwrap().to_le_bytes());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(b"data");
        assert_eq!(parse(&bytes, "one").map(|e| e.data), Some(b"data".to_vec()));
        assert!(parse(&bytes, "two").is_none());
    }
}
