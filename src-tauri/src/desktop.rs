//! The tray app's life cycle: starts in the tray, opens the window on demand,
//! and outlives it.

use std::process::ExitCode;

use tauri::{Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};

/// Label of the one main window.
pub const MAIN_WINDOW: &str = "main";

pub fn run(open_window: bool) -> ExitCode {
    let started = std::time::Instant::now();
    limit_toolkit_memory();
    let _log_guard = init_logging();
    tracing::debug!(elapsed = ?started.elapsed(), "logging ready");
    let app = tauri::Builder::default()
        // First: a second launch hands over to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Err(e) = open_main_window(app) {
                tracing::warn!("cannot open the window: {e}");
            }
        }))
        .invoke_handler(tauri::generate_handler![
            crate::commands::get_snapshot,
            crate::commands::set_subscription,
            crate::commands::set_dnd,
            crate::commands::add_account,
            crate::commands::update_account,
            crate::commands::test_connection,
            crate::commands::save_rules,
            crate::commands::remove_account,
            crate::commands::open_feed_item,
            crate::commands::dismiss_away,
        ])
        .setup(move |app| {
            tracing::debug!(elapsed = ?started.elapsed(), "setting up");
            crate::runtime::start(app.handle())?;
            crate::local_api::start(app.handle());
            tracing::info!(elapsed = ?started.elapsed(), "in the tray");
            if open_window {
                open_main_window(app.handle())?;
            }
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
    app.run(|_app, event| match event {
        // Closing the last window must not quit: the tray lives on. An explicit
        // exit (Quit in the menu) carries a code and goes through.
        RunEvent::ExitRequested { api, code, .. } if code.is_none() => api.prevent_exit(),
        RunEvent::WindowEvent {
            event: tauri::WindowEvent::Destroyed,
            ..
        } => release_freed_memory(),
        RunEvent::Exit => crate::local_api::stop(),
        _ => {}
    });
    ExitCode::SUCCESS
}

/// GTK 3 on X11 opens a GL context at start only to pick visuals, loading
/// the GL driver (Mesa's llvmpipe alone is 50 MB) into an app that draws a
/// tray icon and a menu. WebKit does its own GL, so the webview is unaffected.
/// Set before any thread starts; a user's own setting wins.
fn limit_toolkit_memory() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}

/// The webview's heap, freed when its window closes, goes back to the OS:
/// the app lives on in the tray all day, and glibc keeps freed pages.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
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
    // The appender prunes old files before it creates its directory.
    let dir = dir.filter(|dir| std::fs::create_dir_all(dir).is_ok());
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

/// Opens the window at an account's edit form (its secret was refused):
/// the request rides on the next snapshot the window reads, so a window
/// that is only now being created gets it too.
pub fn open_account_edit(app: &tauri::AppHandle, name: &str) -> tauri::Result<()> {
    use tauri::Emitter;
    if let Some(state) = app.try_state::<crate::state::AppState>() {
        if let Ok(mut v) = state.view.lock() {
            v.edit_request = Some(name.to_owned());
        }
    }
    open_main_window(app)?;
    app.emit(crate::runtime::events::VIEW_CHANGED, ())
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
