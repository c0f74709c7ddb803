//! The app's side of the local API (docs/local-api.md): the terminal
//! commands' requests, answered from the view and through the runtime's
//! commands, as the tray menu does. The protocol and its one reader live in
//! `deskbell_core::local`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use deskbell_core::local::server::{self, Bound, LocalApi};
use deskbell_core::local::{path, ErrorBody, Outcome, Push, Reply, Request};
use deskbell_core::view::{Snapshot, View};
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast;

use crate::desktop;
use crate::state::{AppState, Command};

/// The socket this process bound, removed again when it exits.
static BOUND: OnceLock<PathBuf> = OnceLock::new();

struct AppApi {
    app: AppHandle,
}

fn busy() -> ErrorBody {
    ErrorBody::new("runtime_busy", "Deskbell is busy; try again")
}

impl AppApi {
    /// `f` of the view, as a reply; the view unreadable, as a refusal.
    fn read(&self, f: impl FnOnce(&View) -> Reply) -> Outcome {
        let reply = self
            .app
            .try_state::<AppState>()
            .and_then(|s| s.view.lock().ok().map(|v| f(&v)));
        match reply {
            Some(reply) => Outcome::Ok(reply),
            None => Outcome::Error(ErrorBody::new(
                "state_poisoned",
                "Deskbell's state is unavailable",
            )),
        }
    }

    fn command(&self, command: Command) -> Outcome {
        let sent = self
            .app
            .try_state::<AppState>()
            .is_some_and(|s| s.commands.try_send(command).is_ok());
        if sent {
            Outcome::Ok(Reply::Done)
        } else {
            Outcome::Error(busy())
        }
    }
}

impl LocalApi for AppApi {
    fn answer(&self, request: Request) -> Outcome {
        match request {
            Request::Status => self.read(|v| Reply::Status(v.status())),
            Request::Snapshot => self.read(|v| Reply::Snapshot(Box::new(Snapshot::of(v)))),
            // The server handles it, with `pushes`.
            Request::Subscribe => Outcome::Ok(Reply::Done),
            Request::SetSubscription { kind, on } => {
                self.command(Command::SetSubscription(kind, on))
            }
            Request::SetDnd { choice } => self.command(Command::SetDnd(choice)),
            Request::ReloadAccounts => self.command(Command::ReloadAccounts),
            Request::OpenWindow { account } => {
                let opened = match account {
                    Some(name) => desktop::open_account_edit(&self.app, &name),
                    None => desktop::open_main_window(&self.app),
                };
                match opened {
                    Ok(()) => Outcome::Ok(Reply::Done),
                    Err(e) => Outcome::Error(ErrorBody::new(
                        "window_failed",
                        format!("cannot open the window: {e}"),
                    )),
                }
            }
        }
    }

    fn pushes(&self) -> Option<broadcast::Receiver<Push>> {
        self.app.try_state::<AppState>().map(|s| s.pushes())
    }
}

/// Binds this session's socket and serves it on the app's async runtime.
/// Without it the tray works on; only the terminal commands cannot reach it.
pub fn start(app: &AppHandle) {
    let api: Arc<dyn LocalApi> = Arc::new(AppApi { app: app.clone() });
    tauri::async_runtime::spawn(async move {
        match server::bind(&path::socket_path()).await {
            Ok(Bound::Listening(listener, socket)) => {
                tracing::info!(socket = %socket.display(), "local API listening");
                let _ = BOUND.set(socket);
                server::serve(listener, api).await;
            }
            Ok(Bound::AlreadyRunning(socket)) => {
                tracing::warn!(socket = %socket.display(), "another Deskbell answers on the local socket");
            }
            Err(e) => tracing::error!(code = e.code(), "no local API: {e}"),
        }
    });
}

/// Removes the socket at exit, so the next start need not reclaim it.
pub fn stop() {
    if let Some(socket) = BOUND.get() {
        let _ = std::fs::remove_file(socket);
    }
}
