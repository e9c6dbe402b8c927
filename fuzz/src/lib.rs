//! xformd's code under fuzzing, compiled from `../src` by path: the pure modules (`job`, `url`,
//! `plan`), the leaf utilities they use (`error`, `limits`), the decoders (`media`) and the
//! signature checks. DESIGN.md keeps these modules free of the server's crates so that they can
//! move into a core crate unchanged; this crate relies on that (the architecture test guards
//! it). Compiled under `cfg(fuzzing)`, `media` leaves out the AVIF encoder (rav1e), which no
//! target reaches.
#![allow(dead_code, unused_imports, missing_docs, unreachable_pub, clippy::all)]

// An inline module with a path: its children are found under ../src as in the real crate
// (a path attribute on a file module would look for them beside that file instead).
#[path = "../../src"]
mod xformd_src {
    pub mod error;
    pub mod job;
    pub mod limits;
    pub mod media;
    pub mod plan;
    pub mod url;
    pub mod frontend {
        pub mod signature;
    }
}

// At the crate root, where the sources' `crate::…` paths expect them.
pub use xformd_src::frontend::signature;
pub use xformd_src::{error, job, limits, media, plan, url};
pub use error::{Error, ErrorKind, Result};
