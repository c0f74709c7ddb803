//! The tray app's life cycle: starts in the tray, opens the window on demand,
//! and outlives it.

use std::process::ExitCode;

use tauri::{Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};

/// Label of the one main window.
pub const MAIN_WINDOW: &str = "main";

pub fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let app = tauri::Builder::default()
        .setup(|app| {
            crate::runtime::start(app.handle())?;
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(err) => {
            eprintln!("deskbell: cannot start the desktop app: {err}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|_app, event| {
        // Closing the last window must not quit: the tray lives on. An explicit
        // exit (Quit in the menu) carries a code and goes through.
        if let RunEvent::ExitRequested { api, code, .. } = event {
            if code.is_none() {
                api.prevent_exit();
            }
        }
    });
    ExitCode::SUCCESS
}

/// Shows the main window, creating it (and its webview) if it was closed.
pub fn open_main_window(app: &tauri::AppHandle) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        window.show()?;
        return window.set_focus();
    }
    WebviewWindowBuilder::new(app, MAIN_WINDOW, WebviewUrl::App("index.html".into()))
        .title("Deskbell")
        .inner_size(960.0, 640.0)
        .min_inner_size(480.0, 360.0)
        .build()?;
    Ok(())
}
