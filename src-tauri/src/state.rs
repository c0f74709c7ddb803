//! The view the tray and the window show and the commands they send back
//! are the core daemon's (`deskbell_core::view`, `deskbell_core::daemon`);
//! Tauri manages the daemon's handle as the app's state.

pub use deskbell_core::daemon::Command;
pub use deskbell_core::schedule::Dnd;
pub use deskbell_core::view::{AccountClick, TrayIconState, TrayView};

/// Managed by Tauri: the view behind a lock, and the way to the daemon.
pub type AppState = deskbell_core::daemon::Handle;
