//! The window is a process of its own, `deskbell-window`, started on
//! demand and gone when its window closes, so the web engine's memory goes
//! back to the system. It talks to this process over the local socket.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use deskbell_core::local::Push;
use tokio::sync::broadcast;

/// The window binary's name, installed beside `deskbell`.
pub const WINDOW_BIN: &str = "deskbell-window";

/// The window process this tray started, while it runs.
#[derive(Clone, Default)]
pub struct Windows {
    running: Arc<Mutex<Option<u32>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot start {path}: {source}")]
pub struct WindowError {
    path: String,
    source: std::io::Error,
}

impl WindowError {
    pub fn code(&self) -> &'static str {
        "window_failed"
    }
}

/// `deskbell-window` beside this binary (the package installs both in one
/// directory; so does cargo), or else on the PATH.
fn window_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let beside = exe.with_file_name(WINDOW_BIN);
            beside.exists().then_some(beside)
        })
        .unwrap_or_else(|| PathBuf::from(WINDOW_BIN))
}

impl Windows {
    /// Shows the window: raised if its process runs (told by a push), or
    /// started.
    pub fn open(&self, pushes: &broadcast::Sender<Push>) -> Result<(), WindowError> {
        let Ok(mut running) = self.running.lock() else {
            return Ok(());
        };
        // A window runs: this tray's child (which, not subscribed yet,
        // shows itself anyway), or one started otherwise, subscribed to
        // the pushes (only windows subscribe).
        if running.is_some() || pushes.receiver_count() > 0 {
            let _ = pushes.send(Push::ShowWindow);
            return Ok(());
        }
        let path = window_bin();
        let mut child = Command::new(&path)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|source| WindowError {
                path: path.display().to_string(),
                source,
            })?;
        tracing::info!(pid = child.id(), "window started");
        *running = Some(child.id());
        let slot = self.running.clone();
        // Reaped when it exits, so a closed window leaves no zombie and the
        // next open starts a new one.
        let _ = std::thread::Builder::new()
            .name("window-reaper".into())
            .spawn(move || {
                let status = child.wait();
                tracing::info!(?status, "window closed");
                if let Ok(mut running) = slot.lock() {
                    *running = None;
                }
            });
        Ok(())
    }

    /// Closes the window this tray started (at Quit).
    pub fn close(&self) {
        #[cfg(unix)]
        if let Some(pid) = self.running.lock().ok().and_then(|r| *r) {
            if let Ok(pid) = i32::try_from(pid) {
                // SAFETY: a signal to a child this process started and has
                // not reaped yet, so the pid is still its.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
    }
}
