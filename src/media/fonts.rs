//! The fonts compiled into the binary, once, for whoever draws text: text layers
//! (`exec::cpu::text`) and burned-in subtitles (`video::ass`). No host font is ever looked up.
//!
//! Owns: [`DEJAVU_SANS`], [`NOTO_SANS_DEVANAGARI`]. Licences: `media/SOURCES.md`.

/// DejaVu Sans (Bitstream Vera licence): the default font of text layers and subtitles.
pub static DEJAVU_SANS: &[u8] = include_bytes!("../../media/font/DejaVuSans.ttf");

/// Noto Sans Devanagari Regular (SIL OFL 1.1): text layers' fallback for what DejaVu Sans
/// lacks (Devanagari).
pub static NOTO_SANS_DEVANAGARI: &[u8] = include_bytes!("../../media/font/NotoSansDevanagari-Regular.ttf");
