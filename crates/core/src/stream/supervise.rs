//! The reconnect loop both live sources share: report the state, connect,
//! and after a failure wait per the backoff policy; stop on request, and on
//! refused credentials wait for new ones instead of retrying.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use super::backoff::Backoff;
use super::{ConnectionState, StreamOutput};

/// How one connection ended.
pub(crate) enum Ended {
    Stopped,
    Unauthorized(u16),
    Failed {
        live_for: Option<Duration>,
        retry_after: Option<Duration>,
        reason: String,
    },
}

impl Ended {
    pub(crate) fn failed(live_for: Option<Duration>, reason: impl Into<String>) -> Ended {
        Ended::Failed {
            live_for,
            retry_after: None,
            reason: reason.into(),
        }
    }
}

/// A source that can make one connection at a time.
pub(crate) trait Connect {
    /// The policy for the next wait (the relay's `retry:` may change it).
    fn backoff(&self) -> Backoff;

    /// One connection, until it fails, the credentials are refused, or `stop`.
    fn connect_once(
        &mut self,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> impl Future<Output = Ended> + Send;
}

pub(crate) async fn supervise<C: Connect>(
    mut source: C,
    tx: mpsc::Sender<StreamOutput>,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures: u32 = 0;
    loop {
        if *stop.borrow()
            || tx
                .send(StreamOutput::State(ConnectionState::Connecting))
                .await
                .is_err()
        {
            break;
        }
        match source.connect_once(&tx, &mut stop).await {
            Ended::Stopped => break,
            Ended::Unauthorized(status) => {
                let _ = tx
                    .send(StreamOutput::State(ConnectionState::SignInNeeded {
                        status,
                    }))
                    .await;
                // New credentials mean a new client: this one waits to be stopped.
                stopped(&mut stop).await;
                break;
            }
            Ended::Failed {
                live_for,
                retry_after,
                reason,
            } => {
                let backoff = source.backoff();
                if live_for.is_some_and(|t| t >= backoff.reset_after) {
                    failures = 0;
                }
                let delay = backoff
                    .honour_retry_after(backoff.delay(failures, fastrand::f64()), retry_after);
                failures = failures.saturating_add(1);
                let retry_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                let state = ConnectionState::BackingOff {
                    attempt: failures,
                    retry_at,
                    reason,
                };
                if tx.send(StreamOutput::State(state)).await.is_err() {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stopped(&mut stop) => break,
                }
            }
        }
    }
    let _ = tx.send(StreamOutput::State(ConnectionState::Stopped)).await;
}

/// Resolves once the flag turns true (or its sender is gone). The guard
/// `wait_for` returns is dropped here, so callers' futures stay `Send`.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
