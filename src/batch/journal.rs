//! The resume journal: one JSON line per finished variant, appended and fsync'd in batches.
//!
//! Owns: [`Journal`], [`Record`], [`load`], [`default_path`].
//!
//! Why this shape: a million-image run is interrupted sooner or later (a node drains, an
//! operator presses Ctrl-C). A line is written only after the output is in place (renamed
//! into its final name, or PUT to the bucket), so a journaled variant is complete; the
//! journal is fsync'd every [`SYNC_EVERY`] lines, every second, and when closed, so a crash
//! loses at most the last unsynced batch, whose variants are simply rendered again (same
//! bytes). A torn last line (the crash hit mid-write) is ignored on load.
//!
//! The writer is a thread of its own fed by a channel: fsync blocks for milliseconds and
//! must not stall a runtime worker, and one writer keeps lines whole without a lock.
//!
//! May import: `error`; serde_json.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Lines between two fsyncs.
pub const SYNC_EVERY: usize = 64;

/// One finished variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Origin path.
    pub source: String,
    /// The variant as the manifest wrote it.
    pub variant: String,
    /// Output key under the output folder or prefix.
    pub key: String,
    /// Output size.
    pub bytes: u64,
}

/// The journal's default place: in the output folder for local outputs, in the working
/// directory for bucket outputs (named after the bucket URL); one per shard.
pub fn default_path(out: &str, local: Option<&Path>, shard: Option<crate::batch::shard::Shard>) -> PathBuf {
    let suffix = shard.map(|s| format!(".{}-of-{}", s.index, s.count)).unwrap_or_default();
    match local {
        Some(dir) => dir.join(format!(".xformd-batch{suffix}.journal")),
        None => {
            use sha2::Digest;
            let d = sha2::Sha256::digest(out.as_bytes());
            let tag: String = d[..4].iter().map(|b| format!("{b:02x}")).collect();
            PathBuf::from(format!(".xformd-batch-{tag}{suffix}.journal"))
        }
    }
}

/// The finished variants recorded at `path`, by (source, variant); empty when there is no
/// journal yet.
pub fn load(path: &Path) -> Result<HashMap<(String, String), Record>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(io_error("open journal", path, &e)),
    };
    let mut done = HashMap::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| io_error("read journal", path, &e))?;
        // A line that does not parse is the torn end of an interrupted write: not done.
        if let Ok(r) = serde_json::from_str::<Record>(&line) {
            done.insert((r.source.clone(), r.variant.clone()), r);
        }
    }
    Ok(done)
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::internal(format!("{what} {}: {e}", path.display()))
}

/// The append side: records go to the writer thread; [`Journal::close`] syncs and waits.
#[derive(Debug)]
pub struct Journal {
    tx: Option<mpsc::Sender<Record>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Journal {
    /// Open `path` for appending (`resume`) or start it afresh.
    pub fn open(path: &Path, resume: bool) -> Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, &e))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_error("open journal", path, &e))?;
        if !resume {
            file.set_len(0).map_err(|e| io_error("truncate journal", path, &e))?;
        } else if ends_torn(path) {
            // End the torn line, so the next record starts a line of its own.
            (&file).write_all(b"\n").map_err(|e| io_error("write journal", path, &e))?;
        }
        let (tx, rx) = mpsc::channel::<Record>();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("xformd-journal".into())
            .spawn(move || write_loop(&path, file, &rx))
            .map_err(|e| Error::internal(format!("journal thread: {e}")))?;
        Ok(Journal { tx: Some(tx), thread: Some(thread) })
    }

    /// Record a finished variant (written out within a second, or at [`Journal::close`]).
    pub fn append(&self, record: Record) {
        if let Some(tx) = &self.tx {
            // The thread only goes away after `close`, or with an I/O error `close` reports.
            let _ = tx.send(record);
        }
    }

    /// Write and fsync everything appended; the first I/O error, if any.
    pub fn close(mut self) -> Result<()> {
        self.tx.take();
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::internal("journal thread panicked")),
            None => Ok(()),
        }
    }
}

/// True when the file's last byte is not a newline (an interrupted write).
fn ends_torn(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

fn write_loop(path: &Path, file: std::fs::File, rx: &mpsc::Receiver<Record>) -> Result<()> {
    let mut out = std::io::BufWriter::new(file);
    let mut unsynced = 0usize;
    let sync = |out: &mut std::io::BufWriter<std::fs::File>| -> Result<()> {
        out.flush().map_err(|e| io_error("write journal", path, &e))?;
        out.get_ref().sync_data().map_err(|e| io_error("fsync journal", path, &e))
    };
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(r) => {
                let line = serde_json::to_string(&r).map_err(|e| Error::internal(format!("journal line: {e}")))?;
                writeln!(out, "{line}").map_err(|e| io_error("write journal", path, &e))?;
                unsynced += 1;
                if unsynced >= SYNC_EVERY {
                    sync(&mut out)?;
                    unsynced = 0;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) if unsynced > 0 => {
                sync(&mut out)?;
                unsynced = 0;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return sync(&mut out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u64) -> Record {
        Record { source: format!("/s{i}.jpg"), variant: "w-1".into(), key: format!("s{i}/w-1.jpg"), bytes: i }
    }

    #[test]
    fn records_survive_close_and_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let j = Journal::open(&path, false).unwrap();
        for i in 0..100 {
            j.append(rec(i));
        }
        j.close().unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"source\":\"/torn").unwrap();
        let done = load(&path).unwrap();
        assert_eq!(done.len(), 100);
        assert_eq!(done[&("/s7.jpg".to_string(), "w-1".to_string())], rec(7));
        // Resuming appends (after the torn line); a fresh run starts over.
        let j = Journal::open(&path, true).unwrap();
        j.append(rec(100));
        j.close().unwrap();
        assert_eq!(load(&path).unwrap().len(), 101);
        Journal::open(&path, false).unwrap().close().unwrap();
        assert!(load(&path).unwrap().is_empty());
        assert!(load(&dir.path().join("none")).unwrap().is_empty());
    }
}
