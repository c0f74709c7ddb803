//! The tray process's life: the local socket first (it is the single-
//! instance lock: a second `deskbell` asks the first to open its window and
//! exits), then the core's daemon with this desktop's sinks, the tray, and
//! the local API, until Quit or a signal.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use deskbell_core::daemon::{self, Command, Files};
use deskbell_core::local::server::{self, Bound};
use deskbell_core::local::{path, Push, Request};
use deskbell_core::view::AccountClick;
use tokio::sync::{broadcast, mpsc};

use crate::desktop::OsDesktop;
use crate::local_api::{self, TrayApi};
use crate::menu::MenuId;
use crate::tray::Tray;
use crate::window::Windows;

/// `pending`: a request to answer once serving (a clicked invitation link
/// that found no tray running).
pub fn run(open_window: bool, pending: Option<Request>) -> ExitCode {
    let started = Instant::now();
    let _log_guard = crate::logging::init();
    // Two workers: the streams, the pipeline and the socket are all I/O.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("deskbell")
        .enable_all()
        .build();
    match runtime {
        Ok(rt) => rt.block_on(serve(open_window, pending, started)),
        Err(e) => {
            eprintln!("deskbell: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(open_window: bool, pending: Option<Request>, started: Instant) -> ExitCode {
    let socket = path::socket_path();
    let listener = match server::bind(&socket).await {
        Ok(Bound::Listening(listener, _)) => Some(listener),
        Ok(Bound::AlreadyRunning(_)) => {
            // Launched again (the menu entry, a second login): the running
            // tray opens its window, and this process is done.
            tracing::info!("Deskbell already runs; opening its window");
            let request = pending.unwrap_or(Request::OpenWindow { account: None });
            return crate::remote::ask_async("open", request, drop).await;
        }
        // The tray still notifies; only the window and the terminal
        // commands cannot reach it.
        Err(e) => {
            tracing::error!(code = e.code(), "no local API: {e}");
            None
        }
    };
    let (desktop, shown, mut pressed) = OsDesktop::new();
    let handle = daemon::start(Arc::new(desktop), Files::user());
    let (pushes, _) = broadcast::channel::<Push>(256);
    local_api::forward_pushes(&handle, pushes.clone());
    let api = Arc::new(TrayApi {
        daemon: handle.clone(),
        windows: Windows::default(),
        pushes,
    });
    let (clicks, mut clicked) = mpsc::unbounded_channel();
    let first = handle.view().map(|v| v.tray(chrono::Utc::now()));
    let tray = match first {
        Some(view) => match Tray::spawn(view, shown, clicks).await {
            Ok(tray) => Some(tray),
            Err(e) => {
                tracing::error!("no tray icon: {e}");
                None
            }
        },
        None => None,
    };
    if let Some(listener) = listener {
        tracing::info!(socket = %socket.display(), "local API listening");
        let api: Arc<dyn server::LocalApi> = api.clone();
        tokio::spawn(server::serve(listener, api));
    }
    tracing::info!(elapsed = ?started.elapsed(), "in the tray");
    match pending {
        // It opens the window itself, on its outcome.
        Some(request) => {
            let api: Arc<dyn server::LocalApi> = api.clone();
            tokio::spawn(async move {
                let outcome = api.answer(request).await;
                tracing::info!(?outcome, "the link's request");
            });
        }
        None if open_window => {
            api.open_window(None);
        }
        None => {}
    }
    loop {
        tokio::select! {
            Some(id) = clicked.recv() => {
                if !on_click(id, &api, tray.as_ref()).await {
                    break;
                }
            }
            Some(p) = pressed.recv() => {
                if let Err(e) = api.daemon.send(Command::Act(Box::new(p))) {
                    tracing::warn!("a pressed button: {e}");
                }
            }
            () = terminated() => break,
        }
    }
    tracing::info!("quitting");
    // Every window closes with the tray; one still starting is ended.
    let _ = api.pushes.send(Push::Quitting);
    // The menu's D-Bus reply to the Quit click and the push go out first.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    api.windows.close();
    if let Some(tray) = tray {
        tray.shutdown().await;
    }
    // The next start need not reclaim it.
    let _ = std::fs::remove_file(&socket);
    ExitCode::SUCCESS
}

/// SIGTERM or SIGINT (a logout, `kill`, Ctrl-C in a terminal).
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One click in the tray; false: quit.
async fn on_click(id: MenuId, api: &TrayApi, tray: Option<&Tray>) -> bool {
    let command = match id {
        MenuId::Quit => return false,
        MenuId::Open => {
            api.open_window(None);
            return true;
        }
        // An OS setting, not a rule: applied here, with the OS as the truth.
        MenuId::StartAtLogin => {
            let on = !crate::autostart::is_on().unwrap_or(false);
            if let Err(e) = crate::autostart::set(on) {
                tracing::warn!(code = e.code(), "{e}");
            }
            if let Some(tray) = tray {
                tray.set_start_at_login(crate::autostart::is_on().unwrap_or(false))
                    .await;
            }
            return true;
        }
        MenuId::Account(index) => {
            let account = api.daemon.view().and_then(|v| {
                let a = v.accounts.get(index)?;
                Some((a.name.clone(), a.click()?))
            });
            match account {
                Some((_, AccountClick::RetryKeyring)) => Command::Reconnect(index),
                Some((name, AccountClick::ReplaceSecret)) => {
                    api.open_window(Some(name));
                    return true;
                }
                None => return true,
            }
        }
        MenuId::Dnd(choice) => Command::SetDnd(choice),
        MenuId::Subscription(kind) => {
            let on = api
                .daemon
                .view()
                .map(|v| !v.subscriptions.is_on(kind))
                .unwrap_or(true);
            Command::SetSubscription(kind, on)
        }
    };
    if let Err(e) = api.daemon.send(command) {
        tracing::warn!("{e}");
    }
    true
}
