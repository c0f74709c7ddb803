//! The window's one connection to the tray process: every command goes
//! over it, and the tray's pushes come back on it as the page's events.
//! When the tray goes, the page is told (its next request says "not
//! running"), and the link keeps trying until a tray answers again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deskbell_core::local::client::{LocalError, Session};
use deskbell_core::local::{path, ClientKind, Push, Reply, Request};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::mpsc;

use crate::window::MAIN_WINDOW;

/// Events the page listens to (see ui/src/ipc.ts).
pub mod events {
    /// One agent's board row changed: its new `AgentRow`, in place.
    pub const BOARD_ROW: &str = "board-row";
    /// Anything else in the snapshot changed, or the tray came or went:
    /// the page asks for the snapshot again.
    pub const VIEW_CHANGED: &str = "view-changed";
}

/// How often a window whose tray went away looks for a new one.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

pub struct TrayLink {
    app: AppHandle,
    socket: PathBuf,
    session: tokio::sync::Mutex<Option<Arc<Session>>>,
}

impl TrayLink {
    pub fn new(app: AppHandle) -> TrayLink {
        TrayLink {
            app,
            socket: path::socket_path(),
            session: tokio::sync::Mutex::new(None),
        }
    }

    /// The open session, or a new one.
    async fn session(&self) -> Result<Arc<Session>, LocalError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref().filter(|s| s.is_open()) {
            return Ok(session.clone());
        }
        let (session, pushes) = Session::connect_at(&self.socket, ClientKind::Window).await?;
        tracing::info!(tray = %session.tray_version, "connected to the tray");
        let session = Arc::new(session);
        *slot = Some(session.clone());
        tauri::async_runtime::spawn(forward(self.app.clone(), pushes));
        Ok(session)
    }

    pub async fn request(&self, request: Request) -> Result<Reply, LocalError> {
        self.session().await?.request(request).await
    }

    /// Connected, or waited up to `timeout` for a tray to answer.
    pub async fn wait_for_tray(&self, timeout: Duration) -> Result<(), LocalError> {
        let start = tokio::time::Instant::now();
        loop {
            match self.session().await {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() >= timeout => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

/// The tray's pushes, as the page's events, until the tray goes.
async fn forward(app: AppHandle, mut pushes: mpsc::UnboundedReceiver<Push>) {
    while let Some(push) = pushes.recv().await {
        let emitted = match push {
            Push::ViewChanged => app.emit(events::VIEW_CHANGED, ()),
            Push::BoardRow { agent_id, row } => app.emit(
                events::BOARD_ROW,
                serde_json::json!({"agent_id": agent_id, "row": row}),
            ),
            Push::ShowWindow => {
                show(&app);
                Ok(())
            }
            Push::Quitting => {
                app.exit(0);
                return;
            }
        };
        if let Err(e) = emitted {
            tracing::warn!("cannot tell the page: {e}");
        }
    }
    tracing::warn!("the tray went away");
    // The page asks again and is told the tray is not running.
    let _ = app.emit(events::VIEW_CHANGED, ());
    let Some(link) = app.try_state::<TrayLink>() else {
        return;
    };
    // Only looks: the page's next request connects.
    loop {
        tokio::time::sleep(RECONNECT_EVERY).await;
        if tokio::net::UnixStream::connect(&link.socket).await.is_ok() {
            let _ = app.emit(events::VIEW_CHANGED, ());
            return;
        }
    }
}

/// The window, in front.
pub fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Starts the tray process (`deskbell`, beside this binary or on the
/// PATH), on its own: it outlives this window.
pub fn start_tray() -> std::io::Result<()> {
    let bin = std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("deskbell"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("deskbell"));
    let mut command = std::process::Command::new(bin);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: a signal to this window's group (a
        // terminal's Ctrl-C) must not reach it.
        command.process_group(0);
    }
    let child = command.spawn()?;
    // The tray is detached; its exit status is nobody's business here.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(())
}
