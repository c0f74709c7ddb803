//! The relay's HTTP API (docs/stream-protocol.md): ingress, the SSE stream
//! with replay and resume, health and metrics. Shutdown ends every stream
//! after a complete event, then lets the log writer commit and stop.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use deskbell_core::secret::Secret;
use deskbell_core::stream::sse::{one_line_json, write_event};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, mpsc, watch};

use crate::backend::{EventLog, NewEvent};
use crate::log::{self, Appended, Once, Stored};
use crate::tokens::{TokenError, TokenOwner};
use deskbell_core::directory::WhoAmI;

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
    rejected_too_large: AtomicU64,
    /// Requests from the forwarding app in the last minute, against the
    /// platform's 50; and the minute a warning was last logged.
    forwarding: Mutex<(MinuteWindow, u64)>,
    last_event_id: AtomicU64,
    next_client: AtomicU64,
    /// Per connected stream: the last id it was sent.
    clients: Mutex<HashMap<u64, Arc<AtomicU64>>>,
    /// Invitation codes refused in the last minute: past
    /// [`REDEEM_FAILURES_PER_MINUTE`], every redemption waits.
    redeem_failures: Mutex<MinuteWindow>,
    invites_redeemed: AtomicU64,
    invites_refused: AtomicU64,
}

/// Wrong invitation codes the relay takes per minute, from anyone: with
/// 60-bit codes that live a day, guessing one stays out of reach.
pub const REDEEM_FAILURES_PER_MINUTE: u32 = 20;

#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    log: Arc<dyn EventLog>,
    /// Whether the log answered the last health check (`watch_log`).
    log_up: Arc<AtomicBool>,
    /// The accepted ingress secrets, hashed: the current one, and the one
    /// being rotated out.
    secret_hashes: Vec<[u8; 32]>,
    shutdown: watch::Receiver<bool>,
    keepalive: Duration,
    metrics: Metrics,
    /// Set when the relay polls Freshcaller's API.
    polls: Option<Arc<crate::freshcaller::PollMetrics>>,
    /// Who is who, as one line of JSON (`crate::directory`); `None` until
    /// first read, or when no API is configured.
    directory: watch::Sender<Option<Arc<str>>>,
    /// Its parts, per product (`crate::directory::Part`).
    directory_parts: Mutex<[Option<deskbell_core::directory::Directory>; 2]>,
    /// Set when the relay reads the directory.
    directory_metrics: std::sync::OnceLock<Arc<crate::directory::DirectoryMetrics>>,
    /// Set when the relay may assign tickets (`[freshdesk]`).
    assigner: std::sync::OnceLock<crate::assign::Assigner>,
}

/// The platform's limit for the forwarding app: 50 requests a minute per
/// app and account (Freshworks' request-method documentation).
pub const FORWARDING_BUDGET_PER_MINUTE: u32 = 50;
/// The share of it past which the relay warns.
const FORWARDING_WARN_AT: u32 = FORWARDING_BUDGET_PER_MINUTE * 4 / 5;

/// How many things happened in the last 60 s, counted in one-second
/// buckets; `now` (Unix seconds) is passed in.
#[derive(Debug)]
pub struct MinuteWindow {
    buckets: [(u64, u32); 60],
}

impl Default for MinuteWindow {
    fn default() -> Self {
        MinuteWindow {
            buckets: [(0, 0); 60],
        }
    }
}

impl MinuteWindow {
    pub fn add(&mut self, now: u64) {
        let slot = &mut self.buckets[(now % 60) as usize];
        if slot.0 != now {
            *slot = (now, 0);
        }
        slot.1 += 1;
    }

    pub fn count(&self, now: u64) -> u32 {
        self.buckets
            .iter()
            .filter(|(at, _)| *at + 60 > now && *at <= now)
            .map(|(_, n)| n)
            .sum()
    }
}

impl Relay {
    pub async fn new(
        log: Arc<dyn EventLog>,
        ingress_secrets: &[Secret],
        shutdown: watch::Receiver<bool>,
        keepalive: Duration,
        polls: Option<Arc<crate::freshcaller::PollMetrics>>,
    ) -> Relay {
        let bounds = log.bounds().await;
        let log_up = Arc::new(AtomicBool::new(bounds.is_ok()));
        let metrics = Metrics::default();
        metrics
            .last_event_id
            .store(bounds.map(|b| b.last).unwrap_or(0), Ordering::Relaxed);
        tokio::spawn(watch_log(log.clone(), log_up.clone(), shutdown.clone()));
        Relay {
            inner: Arc::new(Inner {
                log,
                log_up,
                secret_hashes: ingress_secrets
                    .iter()
                    .map(|s| Sha256::digest(s.expose().as_bytes()).into())
                    .collect(),
                shutdown,
                keepalive,
                metrics,
                polls,
                directory: watch::channel(None).0,
                directory_parts: Mutex::new([None, None]),
                directory_metrics: std::sync::OnceLock::new(),
                assigner: std::sync::OnceLock::new(),
            }),
        }
    }

    /// One product's part of the directory streams get from now on; `true`
    /// when the whole changed (the open streams are sent it again).
    pub fn set_directory_part(
        &self,
        part: crate::directory::Part,
        directory: deskbell_core::directory::Directory,
    ) -> bool {
        let Ok(mut parts) = self.inner.directory_parts.lock() else {
            return false;
        };
        parts[part.slot()] = Some(directory);
        let whole = crate::directory::merged(&*parts);
        drop(parts);
        let json: Arc<str> = whole.to_json().into();
        self.inner.directory.send_if_modified(|held| {
            if held.as_deref() == Some(&*json) {
                return false;
            }
            *held = Some(json);
            true
        })
    }

    /// Who `owner` is, from the directory and the team's state (an unbound
    /// token: its name alone).
    pub async fn whoami(&self, owner: &TokenOwner) -> Result<WhoAmI, log::LogError> {
        let directory = self
            .inner
            .directory_parts
            .lock()
            .map(|parts| crate::directory::merged(&*parts))
            .unwrap_or_default();
        let team = match owner.email {
            Some(_) => self.inner.log.team().await?,
            None => Vec::new(),
        };
        Ok(WhoAmI::resolve(
            &owner.name,
            owner.email.as_deref(),
            &directory,
            team.iter().map(String::as_str),
        ))
    }

    /// "Assign to me" goes through `assigner` from now on.
    pub fn allow_assignments(&self, assigner: crate::assign::Assigner) {
        let _ = self.inner.assigner.set(assigner);
    }

    /// `/metrics` shows these from now on.
    pub fn show_directory_metrics(&self, metrics: Arc<crate::directory::DirectoryMetrics>) {
        let _ = self.inner.directory_metrics.set(metrics);
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/v1/events", post(ingest))
            .route("/v1/stream", get(stream))
            .route("/v1/me", get(me))
            .route("/v1/invites/redeem", post(redeem))
            .route("/v1/tickets/{id}/assign", post(assign))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }
}

/// `503 {"error": ...}` with `Retry-After` (seconds): not now, try again.
fn unavailable(error: &str, retry_after: &'static str) -> Response {
    let mut resp = json(
        StatusCode::SERVICE_UNAVAILABLE,
        serde_json::json!({ "error": error }),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    resp
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
    tracing::warn!(
        status = 400,
        reason = "bad_payload",
        code,
        "ingress refused"
    );
    json(
        StatusCode::BAD_REQUEST,
        serde_json::json!({"error": "bad_payload", "code": code, "message": message}),
    )
}

/// Ingress: one log line per outcome, with the status and the reason;
/// never the body, the secret or anything customer-written.
async fn ingest(
    State(relay): State<Relay>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let r = &relay.inner;
    if *r.shutdown.borrow() {
        tracing::info!(status = 503, reason = "shutting_down", "ingress refused");
        return unavailable("shutting_down", "5");
    }
    // Hashing both sides makes the comparison constant-time whatever the
    // lengths; every accepted secret is compared, so timing says nothing
    // about which one matched.
    let given: [u8; 32] = Sha256::digest(bearer(&headers).unwrap_or("").as_bytes()).into();
    let known = r
        .secret_hashes
        .iter()
        .fold(subtle::Choice::from(0), |ok, h| ok | given.ct_eq(h));
    if !bool::from(known) {
        r.metrics
            .rejected_unauthorized
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(status = 401, reason = "unauthorized", "ingress refused");
        return unauthorized();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_refused(r, rejection),
    };
    // A Freshdesk automation rule's webhook body becomes the product event
    // it stands for; product events pass through as they came.
    let body = if deskbell_core::webhook::is_webhook(&body) {
        match deskbell_core::webhook::to_product_event(&body) {
            Ok(event) => Bytes::from(event),
            Err(e) => return bad_payload(r, e.code(), e.to_string()),
        }
    } else {
        count_forwarding(r);
        body
    };
    match relay.accept(&body).await {
        Ok(accepted) => {
            let Accepted {
                appended: Appended { id, duplicate },
                name,
            } = accepted;
            tracing::info!(status = 202, id, event = %name, bytes = body.len(), duplicate, "event accepted");
            let mut answer = serde_json::json!({"id": id});
            if duplicate {
                answer["duplicate"] = true.into();
            }
            json(StatusCode::ACCEPTED, answer)
        }
        Err(Refusal::BadPayload(e)) => bad_payload(r, e.code(), e.to_string()),
        Err(Refusal::LogUnavailable(e)) => {
            tracing::error!(
                status = 503,
                reason = "log_unavailable",
                "ingress failed: {e}"
            );
            // Nothing was stored: the sender retries (the platform does, up
            // to three times), and a retried body is stored once.
            unavailable("log_unavailable", "2")
        }
    }
}

/// An event the log took (or already had).
#[derive(Debug)]
pub struct Accepted {
    pub appended: Appended,
    pub name: String,
}

#[derive(Debug)]
pub enum Refusal {
    BadPayload(deskbell_core::DecodeError),
    LogUnavailable(log::LogError),
}

/// How long the relay remembers a missed call it stored, so the same call
/// pushed by the forwarding app and found by the poller is one event.
pub const MISSED_CALL_MEMORY_SECS: i64 = 24 * 3600;

/// The key that keeps one event per missed call: its root call id, as the
/// desktop's own notification key has it.
pub fn missed_call_once(event: &deskbell_core::DecodedEvent) -> Option<Once> {
    use deskbell_core::rules::missed_call::missed;
    use deskbell_core::rules::CallTable;
    use deskbell_core::Event;
    match &event.event {
        Event::CallCreated(c) | Event::CallUpdated(c)
            if missed(&c.call, &CallTable::default()).is_ok() =>
        {
            Some(Once {
                key: format!("missed_call:{}", c.call.call_key()),
                for_secs: MISSED_CALL_MEMORY_SECS,
            })
        }
        _ => None,
    }
}

/// An agent update's board key and own time: kept past the log's retention.
pub fn team_member(event: &deskbell_core::DecodedEvent) -> Option<log::TeamMember> {
    match &event.event {
        deskbell_core::Event::AgentUpdated(update) => Some(log::TeamMember {
            agent: update.agent.key()?.to_string(),
            stamp: event.timestamp.map(|t| t.0.timestamp_millis()),
        }),
        _ => None,
    }
}

impl Relay {
    /// Decodes a product event and appends it, one-line JSON, to the log;
    /// a missed call already stored is answered with its id. Both the
    /// ingress and the API poller come through here.
    pub async fn accept(&self, body: &[u8]) -> Result<Accepted, Refusal> {
        let r = &self.inner;
        let event = deskbell_core::decode(body).map_err(Refusal::BadPayload)?;
        let once = missed_call_once(&event);
        let team = team_member(&event);
        let name = event.name.as_str().to_owned();
        let appended = r
            .log
            .append(NewEvent {
                name: name.clone(),
                data: one_line_json(body),
                once,
                team,
            })
            .await
            .map_err(Refusal::LogUnavailable)?;
        if !appended.duplicate {
            r.metrics.events_in.fetch_add(1, Ordering::Relaxed);
            r.metrics
                .last_event_id
                .fetch_max(appended.id, Ordering::Relaxed);
        }
        Ok(Accepted { appended, name })
    }
}

/// Counts a request from the forwarding app (webhook rules have limits of
/// their own), and warns once a minute while the app nears its budget: past
/// it the platform drops events.
fn count_forwarding(r: &Inner) {
    let now = log::now_secs().max(0) as u64;
    let Ok(mut forwarding) = r.metrics.forwarding.lock() else {
        return;
    };
    let (window, warned_minute) = &mut *forwarding;
    window.add(now);
    let count = window.count(now);
    if count >= FORWARDING_WARN_AT && *warned_minute != now / 60 {
        *warned_minute = now / 60;
        tracing::warn!(
            requests_last_minute = count,
            budget = FORWARDING_BUDGET_PER_MINUTE,
            "the forwarding app nears the platform's 50 requests a minute: past it, \
             Freshworks drops events (see the admin guide's sizing table)"
        );
    }
}

/// A body that could not be read: over the size limit (`413`, counted as
/// `too_large`), or cut off on the way.
fn body_refused(r: &Inner, rejection: BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        r.metrics.rejected_too_large.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(status = 413, reason = "too_large", "ingress refused");
        return json(
            StatusCode::PAYLOAD_TOO_LARGE,
            serde_json::json!({
                "error": "too_large",
                "message": format!("the body is over the relay's limit of {MAX_BODY} bytes"),
                "max_bytes": MAX_BODY,
            }),
        );
    }
    let status = rejection.status();
    tracing::warn!(
        status = status.as_u16(),
        reason = "unreadable_body",
        "ingress refused"
    );
    json(
        status,
        serde_json::json!({"error": "unreadable_body", "message": rejection.body_text()}),
    )
}

#[derive(Deserialize)]
struct StreamQuery {
    events: Option<String>,
    last_event_id: Option<String>,
}

/// The bearer's token owner; the refusal to answer otherwise: 401 for no
/// token or one that is not live, 503 while the store cannot say.
async fn owner_of(relay: &Relay, headers: &HeaderMap, what: &str) -> Result<TokenOwner, Response> {
    let Some(token) = bearer(headers) else {
        tracing::warn!(status = 401, reason = "no_token", "{what} refused");
        return Err(unauthorized());
    };
    match relay.inner.log.token_owner(token).await {
        Ok(Some(owner)) => Ok(owner),
        Ok(None) => {
            tracing::warn!(status = 401, reason = "unknown_token", "{what} refused");
            Err(unauthorized())
        }
        // Not accepted, and not a 401 either: a desktop takes that as a
        // revoked token and waits for new credentials. This happens while a
        // relay that just started still reads the shared token bucket.
        Err(e) => {
            tracing::error!(
                status = 503,
                reason = "token_store_unavailable",
                "{what} refused: {e}"
            );
            Err(unavailable("token_store_unavailable", "1"))
        }
    }
}

/// `GET /v1/me`: who the bearer's token belongs to.
async fn me(State(relay): State<Relay>, headers: HeaderMap) -> Response {
    let owner = match owner_of(&relay, &headers, "me").await {
        Ok(owner) => owner,
        Err(refused) => return refused,
    };
    match relay.whoami(&owner).await {
        Ok(me) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            me.to_json(),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(status = 503, reason = "log_unavailable", token = %owner.name, "me refused: {e}");
            unavailable("log_unavailable", "1")
        }
    }
}

/// `POST /v1/tickets/{id}/assign`: the ticket to the bearer's own
/// Freshdesk agent, if it has none. Every outcome is logged with the
/// token's name.
async fn assign(
    State(relay): State<Relay>,
    axum::extract::Path(ticket): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    use crate::assign::AssignError;
    use deskbell_core::directory::Product;
    let owner = match owner_of(&relay, &headers, "assignment").await {
        Ok(owner) => owner,
        Err(refused) => return refused,
    };
    // The path is the client's: only an id goes into the log as it came.
    let logged =
        if ticket.len() <= 20 && !ticket.is_empty() && ticket.bytes().all(|b| b.is_ascii_digit()) {
            ticket.clone()
        } else {
            "(not an id)".to_owned()
        };
    let refuse = |e: AssignError| {
        tracing::warn!(token = %owner.name, ticket = %logged, reason = e.code(), "assignment refused ({})", e.code());
        json(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_GATEWAY),
            serde_json::json!({"error": e.code(), "message": e.to_string()}),
        )
    };
    let Some(assigner) = relay.inner.assigner.get() else {
        return refuse(AssignError::NotConfigured);
    };
    let me = match relay.whoami(&owner).await {
        Ok(me) => me,
        Err(e) => {
            tracing::error!(
                status = 503,
                reason = "log_unavailable",
                "assignment refused: {e}"
            );
            return unavailable("log_unavailable", "1");
        }
    };
    let Some(agent) = me.agents.iter().find(|a| a.product == Product::Freshdesk) else {
        return refuse(AssignError::NoAgent);
    };
    let directory = relay
        .inner
        .directory_parts
        .lock()
        .map(|parts| crate::directory::merged(&*parts))
        .unwrap_or_default();
    let name_of = |id: &str| {
        directory
            .agents
            .iter()
            .find(|a| a.product == Product::Freshdesk && a.id == id)
            .and_then(|a| a.name.clone())
    };
    match assigner.assign(&ticket, &agent.id, name_of).await {
        Ok(done) => {
            let outcome = match &done {
                crate::assign::Assigned::Assigned { .. } => "assigned",
                crate::assign::Assigned::AlreadyYours { .. } => "already_yours",
                crate::assign::Assigned::Taken { .. } => "taken",
            };
            tracing::info!(token = %owner.name, ticket = %logged, agent = %agent.id, outcome, "assignment");
            let body = serde_json::to_value(&done).unwrap_or_default();
            json(StatusCode::OK, body)
        }
        Err(e @ AssignError::RateLimited(after)) => {
            let mut resp = refuse(e);
            let secs = after.map_or(60, |d| d.as_secs().max(1));
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => refuse(e),
    }
}

#[derive(Deserialize)]
struct RedeemRequest {
    code: String,
}

/// `POST /v1/invites/redeem {"code": ...}`: a new token for the code's
/// name, once. Neither the code nor the token is logged.
async fn redeem(State(relay): State<Relay>, body: Result<Bytes, BytesRejection>) -> Response {
    let r = &relay.inner;
    let now = log::now_secs();
    let failures = r
        .metrics
        .redeem_failures
        .lock()
        .map(|w| w.count(now as u64))
        .unwrap_or(0);
    if failures >= REDEEM_FAILURES_PER_MINUTE {
        tracing::warn!(
            status = 429,
            reason = "too_many_attempts",
            "invitation refused"
        );
        let mut resp = json(
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({"error": "too_many_attempts"}),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return resp;
    }
    let Some(code) = body
        .ok()
        .and_then(|b| serde_json::from_slice::<RedeemRequest>(&b).ok())
        .map(|r| r.code)
    else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "bad_request", "message": "expected {\"code\": \"...\"}"}),
        );
    };
    match r.log.redeem(&code, now).await {
        Ok(redeemed) => {
            r.metrics.invites_redeemed.fetch_add(1, Ordering::Relaxed);
            tracing::info!(token = %redeemed.owner.name, bound = redeemed.owner.email.is_some(), "invitation redeemed: a new token");
            json(
                StatusCode::OK,
                serde_json::json!({
                    "name": redeemed.owner.name,
                    "email": redeemed.owner.email,
                    "token": redeemed.token.expose(),
                }),
            )
        }
        Err(log::LogError::Tokens(e)) => {
            r.metrics.invites_refused.fetch_add(1, Ordering::Relaxed);
            let status = match &e {
                TokenError::InviteUnknown => StatusCode::NOT_FOUND,
                TokenError::InviteUsed | TokenError::InviteExpired => StatusCode::GONE,
                TokenError::Exists(_) => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            if matches!(e, TokenError::InviteUnknown) {
                if let Ok(mut w) = r.metrics.redeem_failures.lock() {
                    w.add(now as u64);
                }
            }
            tracing::warn!(
                status = status.as_u16(),
                reason = e.code(),
                "invitation refused"
            );
            let name = match &e {
                TokenError::Exists(name) => Some(name.clone()),
                _ => None,
            };
            json(
                status,
                serde_json::json!({"error": e.code(), "message": e.to_string(), "name": name}),
            )
        }
        Err(e) => {
            tracing::error!(
                status = 503,
                reason = "token_store_unavailable",
                "invitation refused: {e}"
            );
            unavailable("token_store_unavailable", "1")
        }
    }
}

async fn stream(
    State(relay): State<Relay>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Response {
    // A token that cannot be checked is not accepted.
    let owner = match owner_of(&relay, &headers, "stream").await {
        Ok(owner) => owner,
        Err(refused) => return refused,
    };
    let Some(token) = bearer(&headers).map(str::to_owned) else {
        return unauthorized();
    };
    let name = owner.name.clone();
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
                tracing::warn!(status = 400, reason = "bad_last_event_id", token = %name, "stream refused");
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
    let live = relay.inner.log.follow();
    // A client without a resume point starts at the newest id. It learns that
    // from a header, which arrives with the response itself: a connection
    // that stalls before its first body byte still leaves it resumable.
    let start = match last_id {
        Some(id) => Start::After(id),
        None => {
            let seq = relay.inner.log.bounds().await.ok().map(|b| b.last);
            match seq {
                Some(seq) => Start::Newest(seq),
                None => {
                    tracing::error!(status = 503, reason = "log_unavailable", token = %name, "stream refused");
                    return json(
                        StatusCode::SERVICE_UNAVAILABLE,
                        serde_json::json!({"error": "log_unavailable"}),
                    );
                }
            }
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let position = match start {
        Start::Newest(seq) => Some(seq),
        Start::After(_) => None,
    };
    tracing::info!(
        token = %name,
        resume = %match start {
            Start::After(id) => id.to_string(),
            Start::Newest(_) => "newest".to_owned(),
        },
        events = %filter.as_ref().map_or("all".to_owned(), |f| {
            let mut names: Vec<&str> = f.iter().map(String::as_str).collect();
            names.sort_unstable();
            names.join(",")
        }),
        "stream opened"
    );
    tokio::spawn(run_stream(relay, token, owner, start, filter, live, tx));
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

/// Where a stream starts.
#[derive(Clone, Copy)]
enum Start {
    /// After the client's `Last-Event-ID`.
    After(u64),
    /// At the newest id when the client connected, new events only.
    Newest(u64),
}

/// Why a stream ended, as its log line says.
#[derive(Clone, Copy, Debug)]
enum Closed {
    ClientGone,
    Revoked,
    ShuttingDown,
    LogUnavailable,
}

impl Closed {
    fn as_str(self) -> &'static str {
        match self {
            Closed::ClientGone => "client_gone",
            Closed::Revoked => "revoked",
            Closed::ShuttingDown => "shutting_down",
            Closed::LogUnavailable => "log_unavailable",
        }
    }
}

/// One client's stream. Ends when the client goes, the token is revoked, or
/// the relay shuts down; always after a complete event.
async fn run_stream(
    relay: Relay,
    token: String,
    owner: TokenOwner,
    start: Start,
    filter: Option<HashSet<String>>,
    mut live: broadcast::Receiver<Arc<Stored>>,
    tx: mpsc::Sender<Bytes>,
) {
    let r = &relay.inner;
    let name = owner.name.clone();
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
        log: r.log.clone(),
        progress,
    };
    let ended: Result<std::convert::Infallible, Closed> = async {
        s.send(Bytes::from_static(b"retry: 1000\n\n")).await?;
        // Said as soon as it is sent: a client may drop the stream the
        // moment it reads the reset.
        if let Some((dropped, resume_from)) = s.start(start).await? {
            tracing::info!(token = %name, dropped, resume_from, "stream reset: the resume point is older than the log");
        }
        // Names first: the team's rows and the replayed events read by them.
        let mut directory = r.directory.subscribe();
        let held = directory.borrow_and_update().clone();
        if let Some(data) = held {
            s.send_directory(&data).await?;
        }
        s.send_team().await?;
        // Who the token is, read by the rules before any event.
        s.send_me(&relay, &owner).await?;
        s.replay_to(None).await?;
        let mut keepalive = tokio::time::interval(r.keepalive);
        keepalive.tick().await;
        let mut quiet = true;
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return Err(Closed::ShuttingDown),
                _ = s.tx.closed() => return Err(Closed::ClientGone),
                Ok(()) = directory.changed() => {
                    let held = directory.borrow_and_update().clone();
                    if let Some(data) = held {
                        s.send_directory(&data).await?;
                        s.send_me(&relay, &owner).await?;
                    }
                    quiet = false;
                }
                _ = keepalive.tick() => {
                    // Revoked: end the stream. A read error is not a revocation.
                    if matches!(r.log.token_owner(&token).await, Ok(None)) {
                        return Err(Closed::Revoked);
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
                        Err(broadcast::error::RecvError::Closed) => return Err(Closed::ShuttingDown),
                    }
                    quiet = false;
                }
            }
        }
    }
    .await;
    let closed = match ended {
        Ok(never) => match never {},
        Err(closed) => closed,
    };
    tracing::info!(token = %name, reason = closed.as_str(), last_id = s.sent, "stream closed");
    if let Ok(mut clients) = r.metrics.clients.lock() {
        clients.remove(&client);
    }
}

/// A stream ends on a log error; the reason goes to the log, the client
/// resumes elsewhere or later.
fn log_unavailable(e: log::LogError) -> Closed {
    tracing::warn!("a stream could not read the log: {e}");
    Closed::LogUnavailable
}

struct StreamState {
    /// The last id sent (or skipped by the filter).
    sent: u64,
    filter: Option<HashSet<String>>,
    tx: mpsc::Sender<Bytes>,
    log: Arc<dyn EventLog>,
    progress: Arc<AtomicU64>,
}

impl StreamState {
    async fn send(&mut self, bytes: Bytes) -> Result<(), Closed> {
        self.tx.send(bytes).await.map_err(|_| Closed::ClientGone)
    }

    /// Where a new stream starts: a reset if the resume point is gone, and
    /// the position announced; without a resume point, the newest. Says what
    /// a reset dropped, and where it resumed. The team and the replay follow.
    async fn start(&mut self, start: Start) -> Result<Option<(u64, u64)>, Closed> {
        let last = match start {
            Start::Newest(seq) => {
                self.mark(seq);
                // Anything committed since the handler read `seq` is replayed.
                self.announce_position().await?;
                return Ok(None);
            }
            Start::After(last) => last,
        };
        let bounds = self.log.bounds().await.map_err(log_unavailable)?;
        let (min, seq) = (bounds.first, bounds.last);
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
        Ok(reset)
    }

    /// `id: N` alone: the client's resume point from here on, even if this
    /// connection drops before any event arrives.
    async fn announce_position(&mut self) -> Result<(), Closed> {
        self.send(Bytes::from(format!("id: {}\n\n", self.sent)))
            .await
    }

    /// The directory, one `directory` event without an id: it is no place
    /// in the log. Sent whatever the stream's filter: every kind's
    /// notifications read names from it.
    async fn send_directory(&mut self, data: &str) -> Result<(), Closed> {
        let mut frame = String::new();
        write_event(&mut frame, None, "directory", data);
        self.send(Bytes::from(frame)).await
    }

    /// Who the stream's token belongs to, one `me` event without an id
    /// (what `GET /v1/me` answers), for a token bound to an email: of an
    /// unbound one there is nothing to say.
    async fn send_me(&mut self, relay: &Relay, owner: &TokenOwner) -> Result<(), Closed> {
        if owner.email.is_none() {
            return Ok(());
        }
        let me = relay.whoami(owner).await.map_err(log_unavailable)?;
        let mut frame = String::new();
        write_event(&mut frame, None, "me", &me.to_json());
        self.send(Bytes::from(frame)).await
    }

    /// Each agent's latest state, one `team` event each, without ids (they
    /// are no place in the log), when the stream carries agent updates.
    async fn send_team(&mut self) -> Result<(), Closed> {
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !f.contains("onAgentUpdate"))
        {
            return Ok(());
        }
        let team = self.log.team().await.map_err(log_unavailable)?;
        let mut frame = String::new();
        for data in &team {
            write_event(&mut frame, None, "team", data);
        }
        if !frame.is_empty() {
            self.send(Bytes::from(frame)).await?;
        }
        Ok(())
    }

    fn mark(&mut self, id: u64) {
        self.sent = id;
        self.progress.store(id, Ordering::Relaxed);
    }

    /// Sends stored events after `sent`, up to `until` (inclusive) or the end.
    async fn replay_to(&mut self, until: Option<u64>) -> Result<(), Closed> {
        loop {
            let batch = self
                .log
                .read_after(self.sent, REPLAY_BATCH)
                .await
                .map_err(log_unavailable)?;
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

    async fn send_events(&mut self, events: &[&Stored]) -> Result<(), Closed> {
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
    } else if !relay.inner.log_up.load(Ordering::Relaxed) {
        // A load balancer sends agents to a relay that can serve them.
        (StatusCode::SERVICE_UNAVAILABLE, "log unavailable\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

/// How long the log has to answer the health check's read, and how often
/// it is asked. Checked in the background: `/healthz` stays an in-memory
/// answer however often a load balancer asks.
const LOG_CHECK: Duration = Duration::from_secs(2);
const LOG_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Keeps `log_up` current until the relay shuts down.
async fn watch_log(
    log: Arc<dyn EventLog>,
    up: Arc<AtomicBool>,
    mut shutdown: watch::Receiver<bool>,
) {
    // `Relay::new` made the first check.
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            _ = tokio::time::sleep(LOG_CHECK_EVERY) => {}
        }
        let reachable = crate::backend::reachable(log.as_ref(), LOG_CHECK).await;
        if up.swap(reachable, Ordering::Relaxed) != reachable {
            if reachable {
                tracing::info!(backend = log.kind(), "the log answers again");
            } else {
                tracing::error!(
                    backend = log.kind(),
                    "the log does not answer: /healthz says 503"
                );
            }
        }
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
    let now = log::now_secs().max(0) as u64;
    let forwarded = m.forwarding.lock().map(|f| f.0.count(now)).unwrap_or(0);
    let log_up = u8::from(relay.inner.log_up.load(Ordering::Relaxed));
    let backend = relay.inner.log.kind();
    let mut text = format!(
        "# HELP deskbell_relay_events_in_total Events accepted and committed to the log.\n\
         # TYPE deskbell_relay_events_in_total counter\n\
         deskbell_relay_events_in_total {}\n\
         # HELP deskbell_relay_events_rejected_total Ingress requests refused.\n\
         # TYPE deskbell_relay_events_rejected_total counter\n\
         deskbell_relay_events_rejected_total{{reason=\"unauthorized\"}} {}\n\
         deskbell_relay_events_rejected_total{{reason=\"bad_payload\"}} {}\n\
         deskbell_relay_events_rejected_total{{reason=\"too_large\"}} {}\n\
         # HELP deskbell_relay_clients_connected Open event streams.\n\
         # TYPE deskbell_relay_clients_connected gauge\n\
         deskbell_relay_clients_connected {connected}\n\
         # HELP deskbell_relay_last_event_id The newest event id.\n\
         # TYPE deskbell_relay_last_event_id gauge\n\
         deskbell_relay_last_event_id {last}\n\
         # HELP deskbell_relay_fanout_lag_events How many events the slowest open stream is behind.\n\
         # TYPE deskbell_relay_fanout_lag_events gauge\n\
         deskbell_relay_fanout_lag_events {lag}\n\
         # HELP deskbell_relay_forwarding_requests_last_minute Requests from the forwarding app in the last 60 s (webhook rules not counted).\n\
         # TYPE deskbell_relay_forwarding_requests_last_minute gauge\n\
         deskbell_relay_forwarding_requests_last_minute {forwarded}\n\
         # HELP deskbell_relay_forwarding_budget_per_minute The platform's limit for the forwarding app, per minute and account.\n\
         # TYPE deskbell_relay_forwarding_budget_per_minute gauge\n\
         deskbell_relay_forwarding_budget_per_minute {FORWARDING_BUDGET_PER_MINUTE}\n\
         # HELP deskbell_relay_log_up Whether the log answers a read (1) or not (0), and what keeps it.\n\
         # TYPE deskbell_relay_log_up gauge\n\
         deskbell_relay_log_up{{backend=\"{backend}\"}} {log_up}\n",
        m.events_in.load(Ordering::Relaxed),
        m.rejected_unauthorized.load(Ordering::Relaxed),
        m.rejected_bad_payload.load(Ordering::Relaxed),
        m.rejected_too_large.load(Ordering::Relaxed),
    );
    text.push_str(&format!(
        "# HELP deskbell_relay_invites_total Invitation codes redeemed (a new token) or refused (unknown, used, expired, name taken).\n\
         # TYPE deskbell_relay_invites_total counter\n\
         deskbell_relay_invites_total{{outcome=\"redeemed\"}} {}\n\
         deskbell_relay_invites_total{{outcome=\"refused\"}} {}\n",
        m.invites_redeemed.load(Ordering::Relaxed),
        m.invites_refused.load(Ordering::Relaxed),
    ));
    if let Some(polls) = &relay.inner.polls {
        text.push_str(&polls.render(chrono::Utc::now()));
    }
    if let Some(directory) = relay.inner.directory_metrics.get() {
        let (agents, groups) = relay
            .inner
            .directory_parts
            .lock()
            .map(|parts| {
                parts
                    .iter()
                    .flatten()
                    .fold((0, 0), |(a, g), p| (a + p.agents.len(), g + p.groups.len()))
            })
            .unwrap_or_default();
        text.push_str(&directory.render(agents, groups));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Resolves once the flag turns true (or its sender is gone). The guard
/// `wait_for` returns is dropped here, so callers' futures stay `Send`.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minute_window_forgets_what_is_older_than_sixty_seconds() {
        let mut w = MinuteWindow::default();
        for t in [1000, 1000, 1030, 1059] {
            w.add(t);
        }
        assert_eq!(w.count(1059), 4);
        assert_eq!(w.count(1060), 2);
        assert_eq!(w.count(1089), 2);
        assert_eq!(w.count(1090), 1);
        // The bucket of second 1000 is reused at 1060.
        w.add(1060);
        assert_eq!(w.count(1060), 3);
        assert_eq!(w.count(2000), 0);
    }
}
