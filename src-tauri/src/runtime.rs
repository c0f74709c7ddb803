//! Starts the core's daemon (accounts' clients or the demo -> pipeline ->
//! sinks) on Tauri's async runtime, with this desktop's sinks: native
//! notifications (`notify.rs`), the tray (`tray.rs`), the OS keyring
//! (`secrets.rs`); and passes what the daemon tells the window on as the
//! window's events.

use deskbell_core::coalesce::Delivery;
use deskbell_core::daemon::{self, Files};
use deskbell_core::desktop::{Desktop, SecretStore, SecretStoreError};
use deskbell_core::local::Push;
use deskbell_core::secret::Secret;
use deskbell_core::view::TrayView;
use tauri::{AppHandle, Emitter, Manager};

use crate::{notify, secrets, tray};

/// Events the window listens to (see ui/src/ipc.ts).
pub mod events {
    /// One agent's board row changed: its new `AgentRow`, in place.
    pub const BOARD_ROW: &str = "board-row";
    /// Anything else in the snapshot changed (connections, subscriptions
    /// from the tray, the feed): the window asks for it again. Sent at most
    /// once per tick, or at once for what the agent should see at once.
    pub const VIEW_CHANGED: &str = "view-changed";
}

/// This desktop, as the daemon sees it.
struct TauriDesktop {
    app: AppHandle,
    sink: std::sync::mpsc::Sender<Delivery>,
}

impl SecretStore for TauriDesktop {
    fn store(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError> {
        secrets::store(account, secret)
    }
    fn load(&self, account: &str) -> Result<Secret, SecretStoreError> {
        secrets::load(account)
    }
    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        secrets::delete(account)
    }
}

impl Desktop for TauriDesktop {
    fn notify(&self, delivery: Delivery) {
        // The sink thread ends only with the process.
        let _ = self.sink.send(delivery);
    }

    fn show_tray(&self, view: &TrayView) {
        tray::show(&self.app, view);
    }
}

/// Starts the daemon, installs the tray, and forwards the daemon's pushes
/// to the window.
pub fn start(app: &AppHandle) -> tauri::Result<()> {
    let desktop = TauriDesktop {
        app: app.clone(),
        sink: notify::spawn_sink(),
    };
    let handle = {
        // The daemon spawns its tasks on the runtime it is started in.
        let runtime = tauri::async_runtime::handle();
        let _entered = runtime.inner().enter();
        daemon::start(std::sync::Arc::new(desktop), Files::user())
    };
    let mut pushes = handle.pushes();
    let view = handle.view().map(|v| v.tray(chrono::Utc::now()));
    app.manage(handle);
    if let Some(view) = view {
        tray::install(app, &view)?;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let emitted = match pushes.recv().await {
                Ok(Push::ViewChanged) | Err(RecvError::Lagged(_)) => {
                    app.emit(events::VIEW_CHANGED, ())
                }
                Ok(Push::BoardRow { agent_id, row }) => app.emit(
                    events::BOARD_ROW,
                    serde_json::json!({"agent_id": agent_id, "row": row}),
                ),
                Err(RecvError::Closed) => return,
            };
            if let Err(e) = emitted {
                tracing::warn!("cannot tell the window: {e}");
            }
        }
    });
    Ok(())
}
