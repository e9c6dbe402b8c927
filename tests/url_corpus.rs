//! Table-driven corpus of the Cloudinary rewriter: every row of
//! `tests/fixtures/urls/cloudinary.tsv` (a verbatim copy of the spec's `examples.tsv`) is its
//! own named trial, so a failing row shows its number, Keep setting and input path.
//!
//! Columns: `input_path`, `keep_types` (`true`/`false`), `expected_tr` (empty = no
//! transformation), `expected_path`, `note`. libtest-mimic harness (`harness = false`).

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use xformd::url::cloudinary::{translate, Options};

/// One row of the table.
struct Row {
    line: usize,
    input: String,
    keep_types: bool,
    tr: String,
    path: String,
    note: String,
}

fn load(file: &Path) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [input, keep, tr, path, note] = cols[..] else {
            return Err(format!("line {}: expected 5 tab-separated columns, got {}", i + 1, cols.len()));
        };
        let keep_types = match keep {
            "true" => true,
            "false" => false,
            other => return Err(format!("line {}: keep_types {other:?}", i + 1)),
        };
        rows.push(Row {
            line: i + 1,
            input: input.to_owned(),
            keep_types,
            tr: tr.to_owned(),
            path: path.to_owned(),
            note: note.to_owned(),
        });
    }
    Ok(rows)
}

fn check(row: &Row) -> Result<(), Failed> {
    let t = translate(&row.input, &Options { keep_types: row.keep_types });
    if t.tr != row.tr || t.path != row.path {
        return Err(format!(
            "line {}: input {:?} keep_types={} ({})\n  tr:   got {:?}, expected {:?}\n  path: got {:?}, expected {:?}",
            row.line, row.input, row.keep_types, row.note, t.tr, row.tr, t.path, row.path
        )
        .into());
    }
    if !t.path.starts_with('/') {
        return Err(format!("path {:?} does not start with '/'", t.path).into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/urls/cloudinary.tsv");
    let trials = match load(&file) {
        Ok(rows) => {
            assert!(rows.len() >= 286, "{}: only {} rows", file.display(), rows.len());
            rows.into_iter()
                .enumerate()
                .map(|(i, row)| {
                    // Data row number (1-based, header excluded); the file line is in the
                    // failure message.
                    let name = format!("cloudinary::row{:03}::keep_{}::{}", i + 1, row.keep_types, row.input);
                    Trial::test(name, move || check(&row))
                })
                .collect()
        }
        Err(e) => vec![Trial::test("cloudinary::load_fixture", move || Err(e.clone().into()))],
    };
    libtest_mimic::run(&args, trials).exit();
}
