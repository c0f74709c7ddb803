//! Logs to stderr and to a daily file in `$XDG_STATE_HOME/deskbell/logs`
//! (seven kept). Nothing secret or customer-written is logged at any level:
//! the pipeline logs codes and states, never payloads.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keep the guard for the process's life: dropping it flushes the file.
pub fn init() -> Option<WorkerGuard> {
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
    // Colours only for a terminal: a session log or journald gets text.
    let stderr = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
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
