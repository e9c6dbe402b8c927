//! `xformd check`: the self-test of the GPU adapter and pipelines, FFmpeg and the codecs.
//!
//! Owns: [`self_test`], [`SelfTest`]. May import `app`, `media` (codec list) and `video`
//! (the FFmpeg encoders); it reports, the binary prints.

use std::path::Path;

use crate::app::{App, GpuStatus};

/// What `xformd check` prints, and whether everything required is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfTest {
    /// One line per component, in print order.
    pub lines: Vec<String>,
    /// False when a required component is missing (FFmpeg with the `video` feature; the GPU
    /// when `XFORMD_GPU_TESTS` asks for it).
    pub ok: bool,
}

/// Check `app`'s backends and codecs; `media_root` is reported as the sample folder.
pub fn self_test(app: &App, media_root: &Path) -> SelfTest {
    let mut ok = true;
    let mut lines = Vec::new();
    match &app.gpu {
        GpuStatus::Ready { adapter, device_type, driver, api, pipelines } => {
            lines.push(format!(
                "gpu: ok  adapter=\"{adapter}\" type={device_type} driver=\"{driver}\" api={api} pipelines={pipelines}"
            ));
        }
        GpuStatus::Disabled => lines.push("gpu: disabled".to_string()),
        GpuStatus::Unavailable(why) => {
            lines.push(format!("gpu: unavailable ({why}); jobs run on the CPU backend"));
            if std::env::var("XFORMD_GPU_TESTS").is_ok_and(|v| v == "1" || v == "yes") {
                ok = false;
            }
        }
    }
    lines.push(format!("cpu: ok  threads={}", app.executor.cpu().threads()));
    #[cfg(feature = "video")]
    match crate::video::ProcessBackend::new(app.limits).and_then(|b| b.check()) {
        // `check` starts the helper, which opens libavformat/libavcodec and checks every
        // encoder a cut may need.
        Ok(()) => {
            lines.push("ffmpeg: ok  helper xformd-ffmpeg, encoders libx264 aac libvpx-vp9 libopus present".to_string())
        }
        Err(e) => {
            lines.push(format!("ffmpeg: missing ({e})"));
            ok = false;
        }
    }
    #[cfg(not(feature = "video"))]
    lines.push("ffmpeg: disabled (built without the `video` feature)".to_string());
    for (name, ok_codec) in crate::media::encode::available() {
        lines.push(format!("codec {name}: {}", if ok_codec { "ok" } else { "missing" }));
    }
    lines.push(format!("media: {}", media_root.display()));
    SelfTest { lines, ok }
}
