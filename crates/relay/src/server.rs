//! The relay's HTTP API (docs/stream-protocol.md): ingress, the SSE stream
//! with replay and resume, health and metrics. Shutdown ends every stream
//! after a complete event, then lets the log writer commit and stop.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use deskbell_core::stream::sse::{one_line_json, write_event};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, mpsc, watch};

use crate::log::{self, Stored, Writer};
use crate::tokens;

/// Largest accepted ingress body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Events read from the log per replay query.
const REPLAY_BATCH: usize = 1000;
/// The stream's starting id, for clients that sent no `Last-Event-ID`.
pub const POSITION_HEADER: &str = "deskbell-stream-position";
/// Live events buffered per process before a slow stream falls back to the log.
pub const LIVE_BUFFER: usize = 4096;

#[derive(Default)]
pub struct Metrics {
    events_in: AtomicU64,
    rejected_unauthorized: AtomicU64,
    rejected_bad_payload: AtomicU64,
    last_event_id: AtomicU64,
    next_client: AtomicU64,
    /// Per connected stream: the last id it was sent.
    clients: Mutex<HashMap<u64, Arc<AtomicU64>>>,
}

#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    data_dir: PathBuf,
    secret_hash: [u8; 32],
    live: broadcast::Sender<Arc<Stored>>,
    shutdown: watch::Receiver<bool>,
    keepalive: Duration,
    metrics: Metrics,
}

impl Relay {
    pub fn new(
        writer: Writer,
        data_dir: PathBuf,
        ingress_secret: &str,
        live: broadcast::Sender<Arc<Stored>>,
        shutdown: watch::Receiver<bool>,
        keepalive: Duration,
    ) -> Relay {
        let last = log::open_reader(&data_dir)
            .ok()
            .and_then(|c| log::bounds(&c).ok())
            .map(|(_, seq)| seq)
            .unwrap_or(0);
        let metrics = Metrics::default();
        metrics.last_event_id.store(last, Ordering::Relaxed);
        Relay {
            inner: Arc::new(Inner {
                writer,
                data_dir,
                secret_hash: Sha256::digest(ingress_secret.as_bytes()).into(),
                live,
                shutdown,
                keepalive,
                metrics,
            }),
        }
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/v1/events", post(ingest))
            .route("/v1/stream", get(stream))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn unauthorized() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        serde_json::json!({"error": "unauthorized"}),
    )
}

/// `400` for a body that is neither a product event nor a webhook body the
/// relay maps, counted and named.
fn bad_payload(r: &Inner, code: &str, message: String) -> Response {
    r.metrics
        .rejected_bad_payload
        .fetch_add(1, Ordering::Relaxed);
    json(
        StatusCode::BAD_REQUEST,
        serde_json::json!({"error": "bad_payload", "code": code, "message": message}),
    )
}

async fn ingest(State(relay): State<Relay>, headers: HeaderMap, body: Bytes) -> Response {
    let r = &relay.inner;
    if *r.shutdown.borrow() {
        let mut resp = json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"error": "shutting_down"}),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return resp;
    }
    // Hashing both sides makes the comparison constant-time whatever the lengths.
    let given: [u8; 32] = Sha256::digest(bearer(&headers).unwrap_or("").as_bytes()).into();
    if !bool::from(given.ct_eq(&r.secret_hash)) {
        r.metrics
            .rejected_unauthorized
            .fetch_add(1, Ordering::Relaxed);
        return unauthorized();
    }
    // A Freshdesk automation rule's webhook body becomes the product event
    // it stands for; product events pass through as they came.
    let body = if deskbell_core::webhook::is_webhook(&body) {
        match deskbell_core::webhook::to_product_event(&body) {
            Ok(event) => Bytes::from(event),
            Err(e) => return bad_payload(r, e.code(), e.to_string()),
        }
    } else {
        body
    };
    let event = match deskbell_core::decode(&body) {
        Ok(ev) => ev,
        Err(e) => return bad_payload(r, e.code(), e.to_string()),
    };
    let data = one_line_json(&body);
    match r.writer.append(event.name.as_str().to_owned(), data).await {
        Ok(id) => {
            r.metrics.events_in.fetch_add(1, Ordering::Relaxed);
            r.metrics.last_event_id.fetch_max(id, Ordering::Relaxed);
            json(StatusCode::ACCEPTED, serde_json::json!({"id": id}))
        }
        Err(e) => {
            tracing::error!("ingest failed: {e}");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"error": "log_unavailable"}),
            )
        }
    }
}

#[derive(Deserialize)]
struct StreamQuery {
    events: Option<String>,
    last_event_id: Option<String>,
}

async fn stream(
    State(relay): State<Relay>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Response {
    let Some(token) = bearer(&headers).map(str::to_owned) else {
        return unauthorized();
    };
    // A token that cannot be checked is not accepted.
    if !matches!(token_name(&relay.inner.data_dir, &token).await, Ok(Some(_))) {
        return unauthorized();
    }
    let raw_last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.last_event_id);
    let last_id = match raw_last.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<u64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "bad_last_event_id"}),
                );
            }
        },
    };
    let filter: Option<HashSet<String>> = q
        .events
        .map(|e| {
            e.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .filter(|f: &HashSet<String>| !f.is_empty());

    // Subscribe before reading the log, so nothing committed in between is missed.
    let live = relay.inner.live.subscribe();
    // A client without a resume point starts at the newest id. It learns that
    // from a header, which arrives with the response itself: a connection
    // that stalls before its first body byte still leaves it resumable.
    let start = match last_id {
        Some(id) => Start::After(id),
        None => {
            let dir = relay.inner.data_dir.clone();
            let seq = tokio::task::spawn_blocking(move || {
                log::open_reader(&dir).and_then(|c| log::bounds(&c))
            })
            .await
            .ok()
            .and_then(Result::ok)
            .map(|(_, seq)| seq);
            match seq {
                Some(seq) => Start::Newest(seq),
                None => {
                    return json(
                        StatusCode::SERVICE_UNAVAILABLE,
                        serde_json::json!({"error": "log_unavailable"}),
                    )
                }
            }
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let position = match start {
        Start::Newest(seq) => Some(seq),
        Start::After(_) => None,
    };
    tokio::spawn(run_stream(relay, token, start, filter, live, tx));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .header(
            POSITION_HEADER,
            position.map(|p| p.to_string()).unwrap_or_default(),
        )
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// One client's stream. Ends when the client goes, the token is revoked, or
/// the relay shuts down; always after a complete event.
/// Where a stream starts.
#[derive(Clone, Copy)]
enum Start {
    /// After the client's `Last-Event-ID`.
    After(u64),
    /// At the newest id when the client connected, new events only.
    Newest(u64),
}

async fn run_stream(
    relay: Relay,
    token: String,
    start: Start,
    filter: Option<HashSet<String>>,
    mut live: broadcast::Receiver<Arc<Stored>>,
    tx: mpsc::Sender<Bytes>,
) {
    let r = &relay.inner;
    let client = r.metrics.next_client.fetch_add(1, Ordering::Relaxed);
    let progress = Arc::new(AtomicU64::new(0));
    if let Ok(mut clients) = r.metrics.clients.lock() {
        clients.insert(client, progress.clone());
    }
    let mut shutdown = r.shutdown.clone();
    let mut s = StreamState {
        sent: 0,
        filter,
        tx,
        data_dir: r.data_dir.clone(),
        progress,
    };
    let result = async {
        s.send(Bytes::from_static(b"retry: 1000\n\n")).await?;
        s.start(start).await?;
        let mut keepalive = tokio::time::interval(r.keepalive);
        keepalive.tick().await;
        let mut quiet = true;
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return Ok(()),
                _ = s.tx.closed() => return Ok(()),
                _ = keepalive.tick() => {
                    // Revoked: end the stream. A read error is not a revocation.
                    if matches!(token_name(&r.data_dir, &token).await, Ok(None)) {
                        return Ok(());
                    }
                    if quiet {
                        s.send(Bytes::from_static(b": keepalive\n\n")).await?;
                    }
                    quiet = true;
                }
                ev = live.recv() => {
                    match ev {
                        Ok(ev) if ev.id <= s.sent => {}
                        // A gap: this stream missed a commit; the log has it.
                        Ok(ev) if ev.id > s.sent + 1 => s.replay_to(Some(ev.id)).await?,
                        Ok(ev) => s.send_events(&[ev.as_ref()]).await?,
                        Err(broadcast::error::RecvError::Lagged(_)) => s.replay_to(None).await?,
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    }
                    quiet = false;
                }
            }
        }
    }
    .await;
    let _: Result<(), ()> = result;
    if let Ok(mut clients) = r.metrics.clients.lock() {
        clients.remove(&client);
    }
}

/// The live token's name, or `None` when it is unknown or revoked; `Err`
/// when the store could not be read.
async fn token_name(data_dir: &std::path::Path, token: &str) -> Result<Option<String>, ()> {
    let (dir, token) = (data_dir.to_owned(), token.to_owned());
    tokio::task::spawn_blocking(move || {
        let conn = log::open_reader(&dir).map_err(|_| ())?;
        tokens::verify(&conn, &token).map_err(|_| ())
    })
    .await
    .map_err(|_| ())?
}

struct StreamState {
    /// The last id sent (or skipped by the filter).
    sent: u64,
    filter: Option<HashSet<String>>,
    tx: mpsc::Sender<Bytes>,
    data_dir: PathBuf,
    progress: Arc<AtomicU64>,
}

impl StreamState {
    async fn send(&mut self, bytes: Bytes) -> Result<(), ()> {
        self.tx.send(bytes).await.map_err(|_| ())
    }

    /// Where a new stream starts: a reset if the resume point is gone, then
    /// the replay; without a resume point, new events only.
    async fn start(&mut self, start: Start) -> Result<(), ()> {
        let last = match start {
            Start::Newest(seq) => {
                self.mark(seq);
                // Anything committed since the handler read `seq` is replayed.
                self.announce_position().await?;
                return self.replay_to(None).await;
            }
            Start::After(last) => last,
        };
        let dir = self.data_dir.clone();
        let (min, seq) = tokio::task::spawn_blocking(move || {
            log::open_reader(&dir).and_then(|c| log::bounds(&c))
        })
        .await
        .map_err(|_| ())?
        .map_err(|_| ())?;
        let reset = if last > seq {
            // Ahead of this log (it was replaced): start over from its end.
            Some((0, seq + 1))
        } else {
            match min {
                Some(min) if last + 1 < min => Some((min - last - 1, min)),
                None if last < seq => Some((seq - last, seq + 1)),
                _ => None,
            }
        };
        match reset {
            Some((dropped, resume_from)) => {
                let mut frame = String::new();
                let data =
                    serde_json::json!({"dropped": dropped, "resume_from": resume_from}).to_string();
                write_event(&mut frame, None, "reset", &data);
                self.send(Bytes::from(frame)).await?;
                self.mark(resume_from - 1);
            }
            None => self.mark(last),
        }
        self.announce_position().await?;
        self.replay_to(None).await
    }

    /// `id: N` alone: the client's resume point from here on, even if this
    /// connection drops before any event arrives.
    async fn announce_position(&mut self) -> Result<(), ()> {
        self.send(Bytes::from(format!("id: {}\n\n", self.sent)))
            .await
    }

    fn mark(&mut self, id: u64) {
        self.sent = id;
        self.progress.store(id, Ordering::Relaxed);
    }

    /// Sends stored events after `sent`, up to `until` (inclusive) or the end.
    async fn replay_to(&mut self, until: Option<u64>) -> Result<(), ()> {
        loop {
            let (dir, after) = (self.data_dir.clone(), self.sent);
            let batch = tokio::task::spawn_blocking(move || {
                log::open_reader(&dir).and_then(|c| log::read_after(&c, after, REPLAY_BATCH))
            })
            .await
            .map_err(|_| ())?
            .map_err(|_| ())?;
            let batch: Vec<Stored> = batch
                .into_iter()
                .filter(|e| until.is_none_or(|u| e.id <= u))
                .collect();
            let full = batch.len() == REPLAY_BATCH;
            if batch.is_empty() {
                return Ok(());
            }
            self.send_events(&batch.iter().collect::<Vec<_>>()).await?;
            if !full {
                return Ok(());
            }
        }
    }

    async fn send_events(&mut self, events: &[&Stored]) -> Result<(), ()> {
        let mut frame = String::new();
        let mut last = self.sent;
        for ev in events {
            last = ev.id;
            if self.filter.as_ref().is_some_and(|f| !f.contains(&ev.name)) {
                continue;
            }
            write_event(&mut frame, Some(ev.id), &ev.name, &ev.data);
        }
        if !frame.is_empty() {
            self.send(Bytes::from(frame)).await?;
        }
        self.mark(last);
        Ok(())
    }
}

async fn healthz(State(relay): State<Relay>) -> Response {
    if *relay.inner.shutdown.borrow() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics(State(relay): State<Relay>) -> Response {
    let m = &relay.inner.metrics;
    let last = m.last_event_id.load(Ordering::Relaxed);
    let (connected, slowest) = match m.clients.lock() {
        Ok(c) => (c.len(), c.values().map(|p| p.load(Ordering::Relaxed)).min()),
        Err(_) => (0, None),
    };
    let lag = slowest.map(|s| last.saturating_sub(s)).unwrap_or(0);
    let text = format!(
        "# HELP deskbell_relay_events_in_total Events accepted and committed to the log.\n\
         # TYPE deskbell_relay_events_in_total counter\n\
         deskbell_relay_events_in_total {}\n\
         # HELP deskbell_relay_events_rejected_total Ingress requests refused.\n\
         # TYPE deskbell_relay_events_rejected_total counter\n\
         deskbell_relay_events_rejected_total{{reason=\"unauthorized\"}} {}\n\
         deskbell_relay_events_rejected_total{{reason=\"bad_payload\"}} {}\n\
         # HELP deskbell_relay_clients_connected Open event streams.\n\
         # TYPE deskbell_relay_clients_connected gauge\n\
         deskbell_relay_clients_connected {connected}\n\
         # HELP deskbell_relay_last_event_id The newest event id.\n\
         # TYPE deskbell_relay_last_event_id gauge\n\
         deskbell_relay_last_event_id {last}\n\
         # HELP deskbell_relay_fanout_lag_events How many events the slowest open stream is behind.\n\
         # TYPE deskbell_relay_fanout_lag_events gauge\n\
         deskbell_relay_fanout_lag_events {lag}\n",
        m.events_in.load(Ordering::Relaxed),
        m.rejected_unauthorized.load(Ordering::Relaxed),
        m.rejected_bad_payload.load(Ordering::Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Resolves once the flag turns true (or its sender is gone). The guard
/// `wait_for` returns is dropped here, so callers' futures stay `Send`.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
