//! `deskbell-relay serve | init | backup FILE | restore FILE | token add NAME
//! [--email EMAIL] | token list | token revoke NAME | invite NAME [--email
//! EMAIL]`. Every subcommand takes `--data DIR`
//! (default: the installed service's data, see `config::find_data_dir`),
//! `--config FILE` and `--log URL` (SQLite in the data directory, or a NATS
//! JetStream cluster shared by several relays).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::sync::{broadcast, watch};

use crate::backend::{EventLog, SqliteLog};
use crate::config::{self, LogTarget, RelayConfig};
use crate::jetstream::{self, JetStreamLog, Names, TokenStore};
use crate::log::{self, Writer};
use crate::server::{Relay, LIVE_BUFFER};
use crate::tokens::{self, TokenInfo};

#[derive(Parser)]
#[command(
    name = "deskbell-relay",
    version,
    about = "Event relay for Deskbell desktops"
)]
struct Cli {
    /// Where the SQLite log and tokens live (default: /var/lib/deskbell-relay,
    /// the installed service's, when it exists; else $XDG_DATA_HOME/deskbell-relay).
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Where the log is: nats://HOST:PORT[,HOST:PORT...] for a JetStream
    /// cluster several relays share; default: the config's `log`, else
    /// SQLite in the data directory.
    #[arg(long, global = true, value_name = "URL")]
    log: Option<String>,
    /// TOML config (listen, ingress_secret, log, [nats], retention, ...);
    /// default: /etc/deskbell-relay/relay.toml when it exists.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
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
    },
    /// Create the JetStream stream and buckets of a nats:// log, or check
    /// them and apply the config's retention and the replicas given. Run once
    /// per cluster before any relay serves from it.
    Init {
        /// Copies of every event, on that many NATS nodes (1 to 5).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=5))]
        replicas: u8,
    },
    /// Copy the SQLite log and tokens to FILE, safely while the relay runs.
    Backup { file: PathBuf },
    /// Put a backup in place as the SQLite log. Refused while a relay serves
    /// from the data directory (stop it first). The log it replaces is kept beside it.
    Restore { file: PathBuf },
    /// Manage agent tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Invite an agent: prints a one-time code (on the last line) and a
    /// deskbell:// link that their Deskbell exchanges for a token of its
    /// own, which goes straight into their keyring.
    Invite {
        /// The token's name, as `token add` takes it.
        name: String,
        /// The agent's email: binds the token to the agent (see `token add`).
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// How long the code works.
        #[arg(long, value_name = "HOURS", default_value_t = tokens::INVITE_HOURS)]
        valid_hours: u32,
        /// The relay's URL as desktops reach it, for the link (default: the
        /// config's `public_url`).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token for NAME; it is printed once, on the last line.
    Add {
        name: String,
        /// The agent's email: `GET /v1/me` then says who the token is (their
        /// agent ids and groups), so their Deskbell knows "me" untyped.
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
    },
    /// List token names and their state (never the tokens).
    List,
    /// Revoke NAME's token; its open streams close.
    Revoke { name: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deskbell-relay: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let config_path = cli.config.or_else(config::default_config);
    if let Command::Serve { listen } = cli.command {
        let data = data_dir(cli.data, true)?;
        return serve(data, listen, config_path, cli.log);
    }
    let config = RelayConfig::load_admin(config_path.as_deref()).map_err(|e| e.to_string())?;
    let target = config
        .log_target(cli.log.as_deref())
        .map_err(|e| e.to_string())?;
    match (cli.command, target) {
        // Returned above, with the config `serve` loads itself.
        (Command::Serve { .. }, _) => Ok(()),
        (Command::Init { replicas }, LogTarget::Nats { servers }) => block_on(async {
            let client = jetstream::connect(&servers, &config.nats).await?;
            let names = Names::new(&config.nats.stream);
            // Said once per new refusal, not once a second.
            let mut said = String::new();
            let made = jetstream::init(client, &names, replicas.into(), &config.retention, |e| {
                let now = e.to_string();
                if now != said {
                    eprintln!(
                        "the cluster is not ready yet, asking again (for up to {} s): {now}",
                        jetstream::INIT_WAIT.as_secs()
                    );
                    said = now;
                }
            })
            .await?;
            for (name, made) in made {
                let what = match made {
                    jetstream::Made::Created => "created",
                    jetstream::Made::Checked => "exists, settings applied",
                };
                println!("{name}: {what}");
            }
            println!("Relays may now serve with --log {}", servers.join(","));
            Ok::<_, log::LogError>(())
        }),
        (Command::Init { .. }, LogTarget::Sqlite) => Err(
            "init is for a nats:// log (give --log or `log` in the config); the SQLite log \
             is made by `serve`"
                .to_owned(),
        ),
        (Command::Token { action }, LogTarget::Nats { servers }) => block_on(async {
            let client = jetstream::connect(&servers, &config.nats).await?;
            let store = TokenStore::open(client, &Names::new(&config.nats.stream)).await?;
            let done = match action {
                TokenAction::Add { name, email } => store
                    .add(&name, email.as_deref())
                    .await
                    .map(|t| added(&name, t)),
                TokenAction::List => store.list().await.map(|l| print_tokens(&l)),
                TokenAction::Revoke { name } => store.revoke(&name).await.map(|()| revoked(&name)),
            };
            done.map_err(log::LogError::from)
        }),
        (Command::Token { action }, LogTarget::Sqlite) => token(data_dir(cli.data, false)?, action),
        (
            Command::Invite {
                name,
                email,
                valid_hours,
                url,
            },
            target,
        ) => {
            let url = url.or_else(|| config.public_url.clone());
            let now = log::now_secs();
            let invitation = match target {
                LogTarget::Nats { servers } => block_on(async {
                    let client = jetstream::connect(&servers, &config.nats).await?;
                    let store = TokenStore::open(client, &Names::new(&config.nats.stream)).await?;
                    store
                        .invite(&name, email.as_deref(), valid_hours, now)
                        .await
                        .map_err(log::LogError::from)
                })?,
                LogTarget::Sqlite => {
                    let conn = log::open(&data_dir(cli.data, false)?).map_err(|e| e.to_string())?;
                    tokens::invite(&conn, &name, email.as_deref(), valid_hours, now)
                        .map_err(|e| e.to_string())?
                }
            };
            invited(&name, url.as_deref(), &invitation);
            Ok(())
        }
        (Command::Backup { file }, LogTarget::Sqlite) => {
            let data = data_dir(cli.data, false)?;
            log::backup(&data, &file)
                .map(|()| println!("Backed up {} to {}", data.display(), file.display()))
                .map_err(|e| e.to_string())
        }
        (Command::Restore { file }, LogTarget::Sqlite) => {
            let data = data_dir(cli.data, false)?;
            log::restore(&data, &file)
                .map(|kept| {
                    println!("Restored {} into {}", file.display(), data.display());
                    if let Some(kept) = kept {
                        println!("The previous log is kept as {}", kept.display());
                    }
                })
                .map_err(|e| e.to_string())
        }
        (Command::Backup { .. } | Command::Restore { .. }, LogTarget::Nats { .. }) => Err(
            "backup and restore are for the SQLite log; a JetStream log is backed up with \
             `nats stream backup` (see docs/relay-ha.md)"
                .to_owned(),
        ),
    }
}

fn data_dir(flag: Option<PathBuf>, may_create: bool) -> Result<PathBuf, String> {
    match flag {
        Some(dir) => Ok(dir),
        None => config::find_data_dir(may_create).map_err(|e| e.to_string()),
    }
}

/// Runs an admin command's async work on a small runtime of its own.
fn block_on<T, E: std::fmt::Display>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(work)
        .map_err(|e| e.to_string())
}

fn added(name: &str, token: deskbell_core::secret::Secret) {
    println!("Token for {name} (shown once; give it to the agent's Deskbell):");
    println!("{}", token.expose());
}

/// The link and the code, the code alone on the last line (for scripts).
fn invited(name: &str, url: Option<&str>, invitation: &tokens::Invitation) {
    let code = invitation.code.expose();
    println!(
        "Invitation for {name}, valid until {} (works once).",
        date(invitation.expires_at)
    );
    match url {
        Some(url) => println!(
            "Link: {}",
            deskbell_core::invite::InviteLink {
                relay: url.to_owned(),
                code: code.to_owned(),
                name: Some(name.to_owned()),
            }
            .to_url()
        ),
        None => println!(
            "(give --url or the config's public_url for a deskbell:// link; the agent then \
             types the relay's URL beside the code)"
        ),
    }
    println!("In Deskbell: Accounts, \"I have an invitation\", or `deskbell account add {name} --relay URL --invite CODE`. The code:");
    println!("{code}");
}

fn revoked(name: &str) {
    println!("Revoked {name}");
}

fn print_tokens(list: &[TokenInfo]) {
    for t in list {
        let state = match t.revoked_at {
            Some(at) => format!("revoked {}", date(at)),
            None => "active".to_owned(),
        };
        let email = t.email.as_deref().unwrap_or("(no email)");
        println!(
            "{}\t{email}\t{state}\tcreated {}",
            t.name,
            date(t.created_at)
        );
    }
}

fn token(data: PathBuf, action: TokenAction) -> Result<(), String> {
    let conn = log::open(&data).map_err(|e| e.to_string())?;
    match action {
        TokenAction::Add { name, email } => added(
            &name,
            tokens::add(&conn, &name, email.as_deref()).map_err(|e| e.to_string())?,
        ),
        TokenAction::List => print_tokens(&tokens::list(&conn).map_err(|e| e.to_string())?),
        TokenAction::Revoke { name } => {
            tokens::revoke(&conn, &name).map_err(|e| e.to_string())?;
            revoked(&name);
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

fn serve(
    data: PathBuf,
    listen: Option<SocketAddr>,
    config_path: Option<PathBuf>,
    log_flag: Option<String>,
) -> Result<(), String> {
    use std::io::IsTerminal;
    // Level from RUST_LOG; colour only on a terminal (journald shows codes raw).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let mut config = RelayConfig::load(config_path.as_deref()).map_err(|e| e.to_string())?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    let target = config
        .log_target(log_flag.as_deref())
        .map_err(|e| e.to_string())?;
    let secrets = config.ingress_secrets().map_err(|e| e.to_string())?;
    let (live, _) = broadcast::channel(LIVE_BUFFER);
    // The SQLite log's lock (held until the process ends: `restore` refuses
    // meanwhile) and its writer thread, joined once the server is gone.
    let mut sqlite = None;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(async {
        let (log, where_): (Arc<dyn EventLog>, String) = match &target {
            LogTarget::Sqlite => {
                let lock = crate::lock::acquire(&data).map_err(|e| e.to_string())?;
                let conn = log::open(&data).map_err(|e| e.to_string())?;
                let (writer, thread) =
                    Writer::start(conn, config.retention.clone(), live.clone());
                sqlite = Some((lock, thread));
                (
                    Arc::new(SqliteLog::new(data.clone(), writer, live)),
                    data.display().to_string(),
                )
            }
            LogTarget::Nats { servers } => {
                let client = jetstream::connect(servers, &config.nats)
                    .await
                    .map_err(|e| e.to_string())?;
                let names = Names::new(&config.nats.stream);
                let log = JetStreamLog::open(client, names, live)
                    .await
                    .map_err(|e| e.to_string())?;
                (
                    Arc::new(log),
                    format!("{} stream {}", servers.join(","), config.nats.stream),
                )
            }
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let polls = config
            .freshcaller
            .as_ref()
            .map(|_| Arc::new(crate::freshcaller::PollMetrics::default()));
        let kind = log.kind();
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
            tokio::spawn(poller.run(stop_rx.clone()));
        }
        if let Some(fd) = &config.freshdesk {
            let metrics = Arc::new(crate::directory::DirectoryMetrics::default());
            let refresher = crate::directory::Refresher::new(
                fd,
                std::time::Duration::from_secs(config.directory_refresh_seconds),
                relay.clone(),
                metrics.clone(),
            )
            .map_err(|e| format!("[freshdesk]: {e}"))?;
            relay.show_directory_metrics(metrics);
            relay.allow_assignments(
                crate::assign::Assigner::new(fd).map_err(|e| format!("[freshdesk]: {e}"))?,
            );
            tracing::info!(
                url = %fd.url,
                every_s = config.directory_refresh_seconds,
                "reading the directory (agents and groups) from Freshdesk's API"
            );
            tokio::spawn(refresher.run(stop_rx.clone()));
        }
        // Tests and scripts wait for this line.
        println!("deskbell-relay: listening on http://{addr}");
        tracing::info!(
            %addr,
            log = kind,
            at = %where_,
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
    if let Some((_lock, writer_thread)) = sqlite {
        let _ = writer_thread.join();
    }
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
