//! Test helpers shared by the parameter-family test modules: the translated string and the
//! dropped items of one input, in the compact forms the tables compare against.

use super::{translate, Options};

/// The `tr` string of `input` with the keep-types setting `keep_types`.
pub(super) fn tr(input: &str, keep_types: bool) -> String {
    translate(input, &Options { keep_types }).tr
}

/// The dropped items of `input` as `key_value:reason`.
pub(super) fn dropped(input: &str) -> Vec<String> {
    translate(input, &Options::default())
        .dropped
        .iter()
        .map(|d| format!("{}_{}:{}", d.key, d.value, d.reason))
        .collect()
}
