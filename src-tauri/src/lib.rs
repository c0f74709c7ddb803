//! Deskbell's desktop shell. It parses the command line, runs `deskbell check`
//! headless, asks the running tray over its local socket (`status`, `open`,
//! `dnd`, `subscribe`), or starts the tray app. Business logic lives in
//! `deskbell-core`.

mod accounts;
mod autostart;
mod cli;
mod commands;
mod desktop;
mod local_api;
mod notify;
mod remote;
mod runtime;
mod secrets;
mod state;
mod tray;

use std::process::ExitCode;

/// Entry point shared by `main.rs`: the binary does nothing but call this.
pub fn run() -> ExitCode {
    match cli::parse() {
        cli::Invocation::Check(args) => cli::check(args),
        cli::Invocation::Account(action) => accounts::run(action),
        cli::Invocation::Autostart(choice) => cli::autostart(choice),
        cli::Invocation::Status { json } => remote::status(json),
        cli::Invocation::Ask(what, request) => remote::ask(what, request, drop),
        cli::Invocation::Desktop { open_window } => desktop::run(open_window),
    }
}
