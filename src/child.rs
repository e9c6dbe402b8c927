//! Waiting on a child process that may have to be stopped before it ends: the FFmpeg helper
//! (killed when its request is cancelled, `video::ProcessBackend`) and the GPU probe (killed
//! past its time, `app`).
//!
//! Owns: [`wait_or_kill`]. std only.

use std::process::{Child, ExitStatus};
use std::time::Duration;

/// How often the wait looks at `give_up`.
const POLL: Duration = Duration::from_millis(5);

/// Wait for `child` to exit, asking `give_up` every few milliseconds; once it says yes, kill
/// the child, reap it and answer `Ok(None)`.
///
/// # Errors
/// The child could not be polled (the child is left running).
pub fn wait_or_kill(child: &mut Child, mut give_up: impl FnMut() -> bool) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if give_up() {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}
