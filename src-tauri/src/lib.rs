//! `deskbell-window`: Deskbell's window, a process of its own that the
//! tray process (`deskbell`, crates/tray) starts on demand and that ends
//! when its window closes, so the web engine's memory goes back to the
//! system. It holds no account, stream or secret: every command the page
//! sends goes to the tray over the local socket, and the tray's pushes come
//! back as the page's events.
//!
//! - `window.rs`: the Tauri app and its one window;
//! - `link.rs`: the connection to the tray (and starting the tray when it
//!   does not run);
//! - `commands.rs`: the page's commands, each forwarded as a request.

mod commands;
mod link;
mod window;

/// Entry point shared by `main.rs`: the binary does nothing but call this.
pub fn run() -> std::process::ExitCode {
    window::run()
}
