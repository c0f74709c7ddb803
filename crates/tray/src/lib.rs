//! `deskbell`, the tray process: what autostart, `scripts/run` and the
//! desktop entry start. It owns everything that runs all day (accounts and
//! the keyring, the stream clients, the pipeline, notifications, the tray
//! icon and menu, the state files) and links no web engine and no toolkit.
//! The window is another process, `deskbell-window`, started on demand; it
//! and the terminal commands reach this one over the local socket
//! (`deskbell_core::local`, docs/local-api.md). The logic is the core's.
//!
//! - `app.rs`: the process's life: single instance, the daemon, the tray,
//!   the local API, until Quit;
//! - `desktop.rs`: this OS as the daemon sees it (notifications, tray,
//!   keyring);
//! - `tray.rs`: the StatusNotifierItem and its menu (`menu.rs`: what can
//!   be clicked); `notify.rs`: native notifications; `secrets.rs`: the OS
//!   keyring; `autostart.rs`;
//! - `local_api.rs`: the socket's requests, answered; `window.rs`: starting
//!   the window's process;
//! - `cli.rs`, `accounts.rs`, `remote.rs`: the command line (`check`,
//!   `account`, `autostart`, and `status|open|dnd|subscribe` for a running
//!   tray).

mod accounts;
mod app;
mod autostart;
mod cli;
mod desktop;
mod local_api;
mod logging;
mod menu;
mod notify;
mod remote;
mod secrets;
#[cfg(target_os = "linux")]
mod tray;
#[cfg(not(target_os = "linux"))]
#[path = "tray_unsupported.rs"]
mod tray;
mod window;

use std::process::ExitCode;

/// Entry point shared by `main.rs`: the binary does nothing but call this.
pub fn run() -> ExitCode {
    match cli::parse() {
        cli::Invocation::Check(args) => cli::check(args),
        cli::Invocation::Account(action) => accounts::run(action),
        cli::Invocation::Autostart(choice) => cli::autostart(choice),
        cli::Invocation::Status { json } => remote::status(json),
        cli::Invocation::Ask(what, request) => remote::ask(what, request, drop),
        cli::Invocation::Tray { open_window } => app::run(open_window, None),
        cli::Invocation::Link(link) => match remote::invite_request(&link) {
            Ok(request) => remote::ask_or_start("invite", request),
            Err(e) => {
                eprintln!("deskbell: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// Runs one future to its end on a small runtime of its own: the terminal
/// commands' requests and probes.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => {
            eprintln!("deskbell: cannot start an async runtime: {e}");
            std::process::exit(2)
        }
    }
}
