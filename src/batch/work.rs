//! From manifest entries to the work of this process: shard filter, duplicates dropped,
//! rows grouped by source (one call per source shares its fetch and decode), every variant
//! parsed into a job up front, output folders checked for collisions.
//!
//! Owns: [`SourceWork`], [`VariantWork`], [`group`]. May import: `url`, `job`, `error` and
//! the sibling modules.

use std::collections::HashMap;

use super::manifest::Entry;
use super::naming;
use super::shard::Shard;
use super::variant;
use crate::error::{Error, ErrorKind, Result};
use crate::job::Job;
use crate::url::UrlOptions;

/// One variant to render.
#[derive(Debug, Clone)]
pub struct VariantWork {
    /// As the manifest wrote it (names the output, keys the journal).
    pub text: String,
    /// Manifest line.
    pub line: u64,
    /// The parsed job.
    pub job: Job,
}

/// All the variants of one source.
#[derive(Debug, Clone)]
pub struct SourceWork {
    /// Origin path.
    pub source: String,
    /// Its variants, in manifest order.
    pub variants: Vec<VariantWork>,
}

/// Group `entries` (from `file`) into this shard's work. Fails, naming the line, on a
/// variant that does not parse, and on two sources that would share an output folder.
pub fn group(entries: Vec<Entry>, shard: Option<Shard>, opts: &UrlOptions, file: &str) -> Result<Vec<SourceWork>> {
    // Checked over the whole manifest, not the shard: two shards must not write one folder.
    let mut stems: HashMap<String, (&str, u64)> = HashMap::new();
    for e in &entries {
        let stem = naming::stem(&e.source);
        match stems.get(&stem) {
            Some((other, line)) if *other != e.source => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "{file} line {}: sources '{other}' (line {line}) and '{}' would share the output folder '{stem}' \
                         (outputs are named <source without extension>/<variant>.<ext>)",
                        e.line, e.source
                    ),
                ));
            }
            Some(_) => {}
            None => {
                stems.insert(stem, (e.source.as_str(), e.line));
            }
        }
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<SourceWork> = Vec::new();
    for e in entries.iter().filter(|e| shard.is_none_or(|s| s.owns(&e.source))) {
        let slot = *index.entry(e.source.clone()).or_insert_with(|| {
            out.push(SourceWork { source: e.source.clone(), variants: Vec::new() });
            out.len() - 1
        });
        let work = &mut out[slot];
        if work.variants.iter().any(|v| v.text == e.variant) {
            continue;
        }
        let job = variant::to_job(&e.source, &e.variant, opts).map_err(|err| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{file} line {}: variant '{}' of '{}': {}", e.line, e.variant, e.source, describe(&err)),
            )
        })?;
        work.variants.push(VariantWork { text: e.variant.clone(), line: e.line, job });
    }
    Ok(out)
}

/// An error's message with the parameter it names.
fn describe(e: &Error) -> String {
    match (e.key(), e.value()) {
        (Some(k), Some(v)) => format!("{} (parameter '{k}', value '{v}')", e.message()),
        _ => e.message().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: u64, source: &str, variant: &str) -> Entry {
        Entry { line, source: source.into(), variant: variant.into() }
    }

    #[test]
    fn rows_group_by_source_without_duplicates() {
        let e = vec![
            entry(2, "/a.jpg", "w-1"),
            entry(3, "/b.jpg", "w-1"),
            entry(4, "/a.jpg", "w-2"),
            entry(5, "/a.jpg", "w-1"),
        ];
        let w = group(e, None, &UrlOptions::default(), "m.csv").unwrap();
        let shape: Vec<(&str, Vec<&str>)> =
            w.iter().map(|s| (s.source.as_str(), s.variants.iter().map(|v| v.text.as_str()).collect())).collect();
        assert_eq!(shape, [("/a.jpg", vec!["w-1", "w-2"]), ("/b.jpg", vec!["w-1"])]);
    }

    #[test]
    fn bad_variants_and_shared_folders_name_the_line() {
        let e = group(vec![entry(7, "/a.jpg", "zz-9")], None, &UrlOptions::default(), "m.csv").unwrap_err();
        assert!(e.message().starts_with("m.csv line 7: variant 'zz-9' of '/a.jpg'"), "{e}");
        let e =
            group(vec![entry(2, "/x.jpg", "w-1"), entry(3, "/x.png", "w-1")], None, &UrlOptions::default(), "m.csv")
                .unwrap_err();
        assert!(e.message().contains("line 3") && e.message().contains("'/x.jpg' (line 2)"), "{e}");
    }
}
