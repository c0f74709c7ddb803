//! The window process's life: one window, connected to the tray; the
//! process ends when the window closes.

use std::process::ExitCode;

use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};

use crate::link::TrayLink;

/// Label of the one main window.
pub const MAIN_WINDOW: &str = "main";

pub fn run() -> ExitCode {
    init_logging();
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            crate::commands::get_snapshot,
            crate::commands::set_subscription,
            crate::commands::set_dnd,
            crate::commands::add_account,
            crate::commands::redeem_invite,
            crate::commands::update_account,
            crate::commands::test_connection,
            crate::commands::save_rules,
            crate::commands::remove_account,
            crate::commands::open_feed_item,
            crate::commands::act_on_feed_item,
            crate::commands::dismiss_away,
            crate::commands::start_tray,
        ])
        .setup(|app| {
            app.manage(TrayLink::new(app.handle().clone()));
            WebviewWindowBuilder::new(app, MAIN_WINDOW, WebviewUrl::App("index.html".into()))
                .title("Deskbell")
                .inner_size(960.0, 640.0)
                .min_inner_size(480.0, 360.0)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!());
    match app {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("deskbell-window: cannot show the window: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr: the tray keeps the log files; what the window has to
/// say (its link to the tray) is short.
fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
