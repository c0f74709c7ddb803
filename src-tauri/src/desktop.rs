//! The tray app's life cycle: starts in the tray, opens the window on demand,
//! and outlives it.

use std::process::ExitCode;

use tauri::{Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};

/// Label of the one main window.
pub const MAIN_WINDOW: &str = "main";

pub fn run() -> ExitCode {
    let _log_guard = init_logging();
    let app = tauri::Builder::default()
        // First: a second launch hands over to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Err(e) = open_main_window(app) {
                tracing::warn!("cannot open the window: {e}");
            }
        }))
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

/// Logs to stderr and to a daily file in `$XDG_STATE_HOME/deskbell/logs`
/// (seven kept). Nothing secret or customer-written is logged at any level:
/// the pipeline logs codes and states, never payloads.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let dir = deskbell_core::resume::state_dir().map(|d| d.join("logs"));
    let file = dir.and_then(|dir| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("deskbell")
            .filename_suffix("log")
            .max_log_files(7)
            .build(dir)
            .ok()
    });
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .try_init();
            None
        }
    }
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
