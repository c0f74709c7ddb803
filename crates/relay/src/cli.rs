//! `deskbell-relay serve | backup FILE | restore FILE | token add NAME |
//! token list | token revoke NAME`, every subcommand with `--data DIR`
//! (default: the installed service's data, see `config::find_data_dir`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::sync::{broadcast, watch};

use crate::config::{self, RelayConfig};
use crate::log::{self, Writer};
use crate::server::{Relay, LIVE_BUFFER};
use crate::tokens;

#[derive(Parser)]
#[command(
    name = "deskbell-relay",
    version,
    about = "Event relay for Deskbell desktops"
)]
struct Cli {
    /// Where the log and tokens live (default: /var/lib/deskbell-relay, the
    /// installed service's, when it exists; else $XDG_DATA_HOME/deskbell-relay).
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay.
    Serve {
        /// Address to listen on (default 127.0.0.1:8787; port 0 picks one).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// TOML config (listen, ingress_secret, retention, keepalive_seconds);
        /// default: /etc/deskbell-relay/relay.toml when it exists.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Copy the log and tokens to FILE, safely while the relay runs.
    Backup { file: PathBuf },
    /// Put a backup in place as the log. Refused while a relay serves from
    /// the data directory (stop it first). The log it replaces is kept beside it.
    Restore { file: PathBuf },
    /// Manage agent tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token for NAME; it is printed once, on the last line.
    Add { name: String },
    /// List token names and their state (never the tokens).
    List,
    /// Revoke NAME's token; its open streams close.
    Revoke { name: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let may_create = matches!(cli.command, Command::Serve { .. });
    let data = match cli.data {
        Some(dir) => dir,
        None => match config::find_data_dir(may_create) {
            Ok(dir) => dir,
            Err(e) => {
                eprintln!("deskbell-relay: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let result = match cli.command {
        Command::Serve { listen, config } => serve(data, listen, config),
        Command::Token { action } => token(data, action),
        Command::Backup { file } => log::backup(&data, &file)
            .map(|()| println!("Backed up {} to {}", data.display(), file.display()))
            .map_err(|e| e.to_string()),
        Command::Restore { file } => log::restore(&data, &file)
            .map(|kept| {
                println!("Restored {} into {}", file.display(), data.display());
                if let Some(kept) = kept {
                    println!("The previous log is kept as {}", kept.display());
                }
            })
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deskbell-relay: {message}");
            ExitCode::FAILURE
        }
    }
}

fn token(data: PathBuf, action: TokenAction) -> Result<(), String> {
    let conn = log::open(&data).map_err(|e| e.to_string())?;
    match action {
        TokenAction::Add { name } => {
            let token = tokens::add(&conn, &name).map_err(|e| e.to_string())?;
            println!("Token for {name} (shown once; give it to the agent's Deskbell):");
            println!("{}", token.expose());
        }
        TokenAction::List => {
            for t in tokens::list(&conn).map_err(|e| e.to_string())? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", date(at)),
                    None => "active".to_owned(),
                };
                println!("{}\t{state}\tcreated {}", t.name, date(t.created_at));
            }
        }
        TokenAction::Revoke { name } => {
            tokens::revoke(&conn, &name).map_err(|e| e.to_string())?;
            println!("Revoked {name}");
        }
    }
    Ok(())
}

/// A stored Unix time as the admin reads it.
fn date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

fn serve(data: PathBuf, listen: Option<SocketAddr>, config: Option<PathBuf>) -> Result<(), String> {
    use std::io::IsTerminal;
    // Level from RUST_LOG; colour only on a terminal (journald shows codes raw).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let config_path = config.or_else(config::default_config);
    let mut config = RelayConfig::load(config_path.as_deref()).map_err(|e| e.to_string())?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    let secrets = config.ingress_secrets().map_err(|e| e.to_string())?;
    // Held until the process ends: `restore` refuses meanwhile.
    let _lock = crate::lock::acquire(&data).map_err(|e| e.to_string())?;
    let conn = log::open(&data).map_err(|e| e.to_string())?;
    let (live, _) = broadcast::channel(LIVE_BUFFER);
    let (writer, writer_thread) = Writer::start(conn, config.retention.clone(), live.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let polls = config
            .freshcaller
            .as_ref()
            .map(|_| Arc::new(crate::freshcaller::PollMetrics::default()));
        let log = Arc::new(crate::backend::SqliteLog::new(data.clone(), writer, live));
        let relay = Relay::new(
            log,
            &secrets,
            stop_rx.clone(),
            config.keepalive(),
            polls.clone(),
        )
        .await;
        if let (Some(fc), Some(polls)) = (config.freshcaller.clone(), polls) {
            let host = fc.url.clone();
            let poller = crate::freshcaller::Poller::new(fc, relay.clone(), polls)
                .map_err(|e| format!("[freshcaller]: {e}"))?;
            tracing::info!(url = %host, "polling Freshcaller's API for calls and agent statuses");
            tokio::spawn(poller.run(stop_rx));
        }
        // Tests and scripts wait for this line.
        println!("deskbell-relay: listening on http://{addr}");
        tracing::info!(
            %addr,
            data = %data.display(),
            config = %config_path.as_deref().map_or("none (defaults)".into(), |p| p.display().to_string()),
            previous_secret_accepted = secrets.len() > 1,
            "relay started"
        );
        let stop_tx = Arc::new(stop_tx);
        let signal_tx = stop_tx.clone();
        axum::serve(listener, relay.router())
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                tracing::info!("shutting down: closing streams");
                let _ = signal_tx.send(true);
            })
            .await
            .map_err(|e| e.to_string())
    });
    // The router (and its writer handle) is gone: the writer commits what it
    // has and stops.
    drop(runtime);
    let _ = writer_thread.join();
    result
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
