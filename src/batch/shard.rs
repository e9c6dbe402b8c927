//! `--shard I/N`: this process's part of the manifest, so that N pods of a Kubernetes
//! Indexed Job (`--shard $(JOB_COMPLETION_INDEX)/N`) split the work with no coordinator.
//!
//! Owns: [`Shard`]. A source belongs to shard `SHA-256(source path)[..8] mod N`: stable
//! across runs, machines and versions (no process-seeded hasher), and by source, so all of a
//! source's variants stay on one pod and share its decode.
//!
//! May import: `error`; sha2.

use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::Error;

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This process's index, `0..count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The shard that owns `source`.
    pub fn of(source: &str, count: u64) -> u64 {
        let d = Sha256::digest(source.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        u64::from_be_bytes(first) % count.max(1)
    }

    /// True when `source` is this shard's.
    pub fn owns(&self, source: &str) -> bool {
        Shard::of(source, self.count) == self.index
    }
}

impl FromStr for Shard {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::invalid("shard", s, why);
        let (i, n) = s.split_once('/').ok_or_else(|| bad("expected I/N, e.g. 0/4"))?;
        let index: u64 = i.trim().parse().map_err(|_| bad("I is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        if count == 0 || index >= count {
            return Err(bad("need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_every_source_once() {
        assert_eq!("1/4".parse::<Shard>().unwrap(), Shard { index: 1, count: 4 });
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let sources: Vec<String> = (0..500).map(|i| format!("/p/{i}.jpg")).collect();
        let shards: Vec<Shard> = (0..4).map(|index| Shard { index, count: 4 }).collect();
        for s in &sources {
            assert_eq!(shards.iter().filter(|sh| sh.owns(s)).count(), 1, "{s}");
        }
        let mine = sources.iter().filter(|s| shards[0].owns(s)).count();
        assert!((80..170).contains(&mine), "roughly a quarter: {mine}");
        // Stable: the value is part of the contract (pods of one Job may run different builds).
        assert_eq!(Shard::of("/photos/a.jpg", 1000), Shard::of("/photos/a.jpg", 1000));
    }
}
