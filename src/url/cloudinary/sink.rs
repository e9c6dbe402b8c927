//! Output writer of the Cloudinary rewriter: appends ImageKit tokens to the `tr` string
//! and records every Cloudinary item that is not translated.
//!
//! Owns: [`Sink`], the only code that writes the `,` and `:` separators, so that an empty
//! step never appears (no `::`, no leading or trailing separator, spec §3.1).
//! Imports only the parent module's public types.

use super::{DropReason, Dropped};

/// Collects the translated chain and the dropped items of one translation.
#[derive(Debug, Default)]
pub(super) struct Sink {
    /// The ImageKit chain written so far.
    tr: String,
    /// Whether the current step already holds a token (then the next one needs a `,`).
    step_open: bool,
    /// Items that were not translated, in input order.
    dropped: Vec<Dropped>,
}

impl Sink {
    /// An empty sink (the translation itself pre-sizes it with [`Sink::with_capacity`]).
    #[cfg(test)]
    pub(super) fn new() -> Self {
        Sink::default()
    }

    /// An empty sink whose chain has room for `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Sink { tr: String::with_capacity(capacity), ..Sink::default() }
    }

    /// Starts a token `<key>-` and returns the string to append its value to. The caller
    /// validates first and always appends a non-empty value without `,` or `:`.
    pub(super) fn token(&mut self, key: &str) -> &mut String {
        if self.step_open {
            self.tr.push(',');
        } else if !self.tr.is_empty() {
            self.tr.push(':');
        }
        self.step_open = true;
        self.tr.push_str(key);
        self.tr.push('-');
        &mut self.tr
    }

    /// Writes a whole token `<key>-<value>`.
    pub(super) fn put(&mut self, key: &str, value: &str) {
        self.token(key).push_str(value);
    }

    /// Closes the current step; a step that got no token leaves no trace.
    pub(super) fn end_step(&mut self) {
        self.step_open = false;
    }

    /// Records a Cloudinary item that is not translated.
    pub(super) fn drop_item(&mut self, key: &str, value: &str, reason: DropReason) {
        self.dropped.push(Dropped { key: key.to_owned(), value: value.to_owned(), reason });
    }

    /// The chain and the dropped items.
    pub(super) fn finish(self) -> (String, Vec<Dropped>) {
        (self.tr, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_only_between_tokens() {
        let mut s = Sink::new();
        s.end_step();
        s.put("w", "100");
        s.put("h", "50");
        s.end_step();
        s.end_step();
        s.token("rt").push_str("N90");
        s.end_step();
        s.drop_item("o", "50", DropReason::Unsupported);
        let (tr, dropped) = s.finish();
        assert_eq!(tr, "w-100,h-50:rt-N90");
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].key, "o");
    }
}
