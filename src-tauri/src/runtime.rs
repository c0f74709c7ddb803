//! Wires the sources to the pipeline and the pipeline to the sinks:
//! each account's client -> one channel -> `deskbell_core::pipeline` ->
//! the notification sink. Timers (bursts, holds) tick here; the logic
//! itself lives in the core and takes `now` from this loop.

use chrono::Local;
use deskbell_core::config::{AccountConfig, Config, ConfigFile};
use deskbell_core::pipeline::Pipeline;
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::xelion_client::{XelionAccount, XelionClient};
use deskbell_core::stream::StreamOutput;
use tokio::sync::{mpsc, watch};

use crate::{notify, secrets};

/// Starts every configured account and the pipeline on Tauri's runtime.
/// Returns the stop switch for the clients.
pub fn start() -> watch::Sender<bool> {
    let config = match ConfigFile::default_location() {
        Some(file) => {
            let loaded = file.load();
            if let Some(problem) = &loaded.problem {
                tracing::error!(code = problem.code(), "{problem}; running on defaults");
            }
            loaded.config
        }
        None => Config::default(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, rx) = mpsc::channel::<(String, StreamOutput)>(1024);
    for account in &config.accounts {
        start_account(account, &config, tx.clone(), stop_rx.clone());
    }
    drop(tx);
    let sink = notify::spawn_sink();
    tauri::async_runtime::spawn(run_pipeline(config, rx, sink));
    stop_tx
}

fn start_account(
    account: &AccountConfig,
    config: &Config,
    tx: mpsc::Sender<(String, StreamOutput)>,
    stop: watch::Receiver<bool>,
) {
    let name = account.name().to_owned();
    let secret = match secrets::load(&name) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(account = %name, code = e.code(), "{e}");
            return;
        }
    };
    let url = match check_url(account.url()) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(account = %name, code = e.code(), "{e}");
            return;
        }
    };
    let (client_tx, mut client_rx) = mpsc::channel::<StreamOutput>(256);
    match account {
        AccountConfig::Relay { .. } => {
            let events = config
                .rules
                .subscriptions
                .event_names()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let endpoint = RelayEndpoint {
                base: url,
                token: secret,
                events,
            };
            match RelayClient::new(endpoint, None) {
                Ok(client) => {
                    tauri::async_runtime::spawn(client.run(client_tx, stop));
                }
                Err(e) => tracing::error!(account = %name, "cannot start the relay client: {e}"),
            }
        }
        AccountConfig::Xelion {
            tenant,
            user,
            user_space,
            admin,
            ..
        } => {
            let account = XelionAccount {
                base: url,
                tenant: tenant.clone(),
                user: user.clone(),
                password: secret,
                user_space: user_space.clone(),
                admin: *admin,
            };
            match XelionClient::new(account) {
                Ok(client) => {
                    tauri::async_runtime::spawn(client.run(client_tx, stop));
                }
                Err(e) => tracing::error!(account = %name, "cannot start the Xelion client: {e}"),
            }
        }
    }
    // Tag each output with its account on the way into the one pipeline.
    tauri::async_runtime::spawn(async move {
        while let Some(out) = client_rx.recv().await {
            if tx.send((name.clone(), out)).await.is_err() {
                break;
            }
        }
    });
}

async fn run_pipeline(
    config: Config,
    mut rx: mpsc::Receiver<(String, StreamOutput)>,
    sink: std::sync::mpsc::Sender<deskbell_core::coalesce::Delivery>,
) {
    let window = chrono::Duration::seconds(i64::from(config.coalesce_seconds));
    let mut pipeline = Pipeline::new(config.rules, config.identity, window);
    // Holds (quiet hours, do-not-disturb) end on the clock, not on an event.
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let deliveries = tokio::select! {
            msg = rx.recv() => match msg {
                None => break,
                Some((account, StreamOutput::Event(ev))) => {
                    let ingested = pipeline.ingest(ev.data.as_bytes(), Local::now().fixed_offset());
                    if let Err(e) = &ingested.classified.event {
                        // Counted in the pipeline's stats; the stream goes on.
                        tracing::warn!(%account, code = e.code(), "skipped a malformed event");
                    }
                    ingested.deliveries
                }
                Some((account, StreamOutput::State(state))) => {
                    tracing::info!(%account, ?state, "connection");
                    Vec::new()
                }
                Some((account, other)) => {
                    tracing::info!(%account, ?other, "stream");
                    Vec::new()
                }
            },
            _ = tick.tick() => pipeline.tick(Local::now().fixed_offset()),
        };
        for d in deliveries {
            if sink.send(d).is_err() {
                return;
            }
        }
    }
}
