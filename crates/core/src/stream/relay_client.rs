//! The desktop's client for the relay's SSE stream (docs/stream-protocol.md):
//! resume with Last-Event-ID, jittered backoff, 45 s idle timeout, replayed
//! duplicates dropped, 401/403 waits for new credentials.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{ACCEPT, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use thiserror::Error;
use tokio::sync::{mpsc, watch};

use super::backoff::Backoff;
use super::sse::{Frame, SseParser};
use super::supervise::{stopped, supervise, Connect, Ended};
use super::{ConnectionState, SkipReason, StreamEvent, StreamOutput};
use crate::secret::Secret;

/// Largest event accepted: the relay's 1 MiB payload cap plus framing.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024 + 4096;
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// The relay's header with the stream's starting id.
pub const POSITION_HEADER: &str = "deskbell-stream-position";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EndpointError {
    #[error("not a URL: {0}")]
    InvalidUrl(String),
    #[error("{0} is plain http to a host other than this machine; use https")]
    InsecureHttp(String),
    #[error("unsupported scheme {0}: use https")]
    UnsupportedScheme(String),
}

impl EndpointError {
    pub fn code(&self) -> &'static str {
        match self {
            EndpointError::InvalidUrl(_) => "invalid_url",
            EndpointError::InsecureHttp(_) => "insecure_http",
            EndpointError::UnsupportedScheme(_) => "unsupported_scheme",
        }
    }
}

/// `https://` anywhere; `http://` only to this machine.
pub fn check_url(raw: &str) -> Result<Url, EndpointError> {
    let url = Url::parse(raw.trim()).map_err(|_| EndpointError::InvalidUrl(raw.to_owned()))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(EndpointError::InsecureHttp(raw.to_owned())),
        other => Err(EndpointError::UnsupportedScheme(other.to_owned())),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[derive(Clone, Debug)]
pub struct RelayEndpoint {
    /// The relay's base URL, e.g. `https://relay.example.com/`.
    pub base: Url,
    /// Relays sharing its log, tried in order after `base` when the one in
    /// use fails (then `base` again).
    pub fallbacks: Vec<Url>,
    pub token: Secret,
    /// The stream's `?events=` filter; empty for all.
    pub events: Vec<String>,
}

impl RelayEndpoint {
    /// The `n`th relay to try: `base`, then each fallback, round again.
    pub fn base_at(&self, n: usize) -> &Url {
        match n % (1 + self.fallbacks.len()) {
            0 => &self.base,
            i => &self.fallbacks[i - 1],
        }
    }

    pub fn stream_url(&self) -> Url {
        self.stream_url_at(0)
    }

    pub fn stream_url_at(&self, n: usize) -> Url {
        let base = self.base_at(n);
        let mut url = base.join("v1/stream").unwrap_or_else(|_| base.clone());
        if !self.events.is_empty() {
            url.query_pairs_mut()
                .append_pair("events", &self.events.join(","));
        }
        url
    }
}

#[derive(Debug)]
pub struct RelayClient {
    http: reqwest::Client,
    endpoint: RelayEndpoint,
    backoff: Backoff,
    idle_timeout: Duration,
    /// The id of the last event handed on: the resume point.
    last_id: Option<u64>,
    /// Which of the endpoint's relays the next connection goes to.
    at: usize,
}

impl RelayClient {
    pub fn new(endpoint: RelayEndpoint, last_id: Option<u64>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("deskbell/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(RelayClient {
            http,
            endpoint,
            backoff: Backoff::default(),
            idle_timeout: IDLE_TIMEOUT,
            last_id,
            at: 0,
        })
    }

    /// Shorter timeouts for tests that prove the behaviour without waiting 45 s.
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Runs until `stop` turns true (or every receiver is gone).
    pub async fn run(self, tx: mpsc::Sender<StreamOutput>, stop: watch::Receiver<bool>) {
        supervise(self, tx, stop).await;
    }

    /// One connection to the relay in turn. When it fails, the next one
    /// goes to the next relay of the account, with the same resume point.
    async fn connect(
        &mut self,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> Ended {
        let ended = self.connect_to(self.at, tx, stop).await;
        if matches!(ended, Ended::Failed { .. }) && !self.endpoint.fallbacks.is_empty() {
            self.at = (self.at + 1) % (1 + self.endpoint.fallbacks.len());
            // The host only: a URL may carry a query.
            tracing::info!(
                next = self.endpoint.base_at(self.at).host_str().unwrap_or(""),
                "the relay failed; the next attempt goes to the account's next relay"
            );
        }
        ended
    }

    async fn connect_to(
        &mut self,
        at: usize,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> Ended {
        let mut req = self
            .http
            .get(self.endpoint.stream_url_at(at))
            .bearer_auth(self.endpoint.token.expose())
            .header(ACCEPT, "text/event-stream");
        if let Some(id) = self.last_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let sent = tokio::select! {
            r = tokio::time::timeout(self.idle_timeout, req.send()) => r,
            _ = stopped(stop) => return Ended::Stopped,
        };
        let mut resp = match sent {
            Err(_) => return failed(None, None, "no answer from the relay".into()),
            Ok(Err(e)) => return failed(None, None, describe(&e)),
            Ok(Ok(resp)) => resp,
        };
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Ended::Unauthorized(status.as_u16());
        }
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return failed(None, retry_after, format!("relay answered {status}"));
        }

        // Without a resume point, the relay's header says where this stream
        // starts (docs/stream-protocol.md): from now on it is resumable.
        if self.last_id.is_none() {
            self.last_id = resp
                .headers()
                .get(POSITION_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
        }
        let live_since = Instant::now();
        if send(
            tx,
            StreamOutput::State(ConnectionState::Live { since: Utc::now() }),
        )
        .await
        .is_err()
        {
            return Ended::Stopped;
        }
        let mut parser =
            SseParser::new(MAX_EVENT_BYTES).with_last_id(self.last_id.map(|i| i.to_string()));
        let mut frames = Vec::new();
        // Progress is a complete frame, not a byte: a stream trickling one
        // byte a second is as dead as a silent one.
        let mut last_progress = tokio::time::Instant::now();
        loop {
            let deadline = last_progress + self.idle_timeout;
            let chunk = tokio::select! {
                c = tokio::time::timeout_at(deadline, resp.chunk()) => c,
                _ = stopped(stop) => return Ended::Stopped,
            };
            let live_for = Some(live_since.elapsed());
            let bytes = match chunk {
                Err(_) => {
                    let secs = self.idle_timeout.as_secs_f32();
                    return failed(
                        live_for,
                        None,
                        format!("no complete event or keepalive for {secs} s"),
                    );
                }
                Ok(Err(e)) => return failed(live_for, None, describe(&e)),
                Ok(Ok(None)) => {
                    return failed(live_for, None, "the relay closed the stream".into())
                }
                Ok(Ok(Some(bytes))) => bytes,
            };
            parser.push(&bytes, &mut frames);
            if !frames.is_empty() {
                last_progress = tokio::time::Instant::now();
            }
            for frame in frames.drain(..) {
                if let Some(out) = self.on_frame(frame) {
                    if send(tx, out).await.is_err() {
                        return Ended::Stopped;
                    }
                }
            }
            // A bare `id:` (the relay's starting position) moves the resume
            // point too, so a first connection that drops loses nothing.
            if let Some(id) = parser.last_id().and_then(|s| s.parse::<u64>().ok()) {
                if self.last_id.is_none_or(|last| id > last) {
                    self.last_id = Some(id);
                }
            }
        }
    }

    fn on_frame(&mut self, frame: Frame) -> Option<StreamOutput> {
        let frame_kind = match frame {
            Frame::Oversized { .. } => FrameKind::Oversized,
            _ => FrameKind::Other,
        };
        match frame {
            Frame::Comment => None,
            Frame::Retry(ms) => {
                self.backoff = self.backoff.with_server_retry(ms);
                None
            }
            Frame::Oversized { id } | Frame::InvalidUtf8 { id } => {
                let reason = if matches!(frame_kind, FrameKind::Oversized) {
                    SkipReason::Oversized
                } else {
                    SkipReason::InvalidUtf8
                };
                // Skipped for good: do not fetch it again on the next resume.
                if let Some(id) = id.and_then(|i| i.parse::<u64>().ok()) {
                    self.last_id = Some(self.last_id.map_or(id, |l| l.max(id)));
                }
                Some(StreamOutput::Skipped(reason))
            }
            // One agent's latest state, before live events; no id: it is
            // not a place in the log to resume from.
            Frame::Event(ev) if ev.event == "team" => Some(StreamOutput::Team(ev.data)),
            Frame::Event(ev) if ev.event == "directory" => Some(StreamOutput::Directory(ev.data)),
            Frame::Event(ev) if ev.event == "me" => Some(StreamOutput::Me(ev.data)),
            Frame::Event(ev) if ev.event == "reset" => {
                #[derive(serde::Deserialize)]
                struct Reset {
                    dropped: u64,
                    resume_from: u64,
                }
                Some(match serde_json::from_str::<Reset>(&ev.data) {
                    Ok(r) => {
                        // The relay's log moved on (or was replaced): its word wins.
                        self.last_id = r.resume_from.checked_sub(1);
                        StreamOutput::Reset {
                            dropped: r.dropped,
                            resume_from: r.resume_from,
                        }
                    }
                    Err(_) => StreamOutput::Skipped(SkipReason::BadReset(ev.data)),
                })
            }
            Frame::Event(ev) => {
                let id = match ev.id.as_deref().map(str::parse::<u64>) {
                    Some(Ok(id)) => Some(id),
                    Some(Err(_)) => {
                        return Some(StreamOutput::Skipped(SkipReason::BadId(
                            ev.id.unwrap_or_default(),
                        )))
                    }
                    None => None,
                };
                if let (Some(id), Some(last)) = (id, self.last_id) {
                    if id <= last {
                        return None; // replayed: already handed on
                    }
                }
                if id.is_some() {
                    self.last_id = id;
                }
                Some(StreamOutput::Event(StreamEvent {
                    id,
                    name: ev.event,
                    data: ev.data,
                }))
            }
        }
    }
}

enum FrameKind {
    Oversized,
    Other,
}

fn failed(live_for: Option<Duration>, retry_after: Option<Duration>, reason: String) -> Ended {
    Ended::Failed {
        live_for,
        retry_after,
        reason,
    }
}

/// A reqwest error in words, without the URL (it may carry a query).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect to the relay"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "the stream broke off"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if let Some(problem) = super::certificate_problem(&detail) {
        problem
    } else if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

async fn send(tx: &mpsc::Sender<StreamOutput>, out: StreamOutput) -> Result<(), ()> {
    tx.send(out).await.map_err(|_| ())
}

impl Connect for RelayClient {
    fn backoff(&self) -> Backoff {
        self.backoff
    }

    fn connect_once(
        &mut self,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> impl std::future::Future<Output = Ended> + Send {
        self.connect(tx, stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback() {
        assert!(check_url("https://relay.example.com").is_ok());
        assert!(check_url("http://127.0.0.1:8787").is_ok());
        assert!(check_url("http://127.9.9.9:8787").is_ok());
        assert!(check_url("http://localhost:8787/").is_ok());
        assert!(check_url("http://[::1]:8787/").is_ok());
        assert_eq!(
            check_url("http://relay.example.com").unwrap_err().code(),
            "insecure_http"
        );
        assert_eq!(
            check_url("http://10.0.0.1").unwrap_err().code(),
            "insecure_http"
        );
        assert_eq!(
            check_url("ftp://x").unwrap_err().code(),
            "unsupported_scheme"
        );
        assert_eq!(check_url("not a url").unwrap_err().code(), "invalid_url");
    }

    #[test]
    fn stream_url_carries_the_filter() {
        let ep = RelayEndpoint {
            base: Url::parse("https://r.example/base/").unwrap(),
            fallbacks: vec![Url::parse("https://r2.example/").unwrap()],
            token: Secret::new("t"),
            events: vec!["onTicketCreate".into(), "onCallUpdate".into()],
        };
        assert_eq!(
            ep.stream_url().as_str(),
            "https://r.example/base/v1/stream?events=onTicketCreate%2ConCallUpdate"
        );
        // The fallback, then round to the first again.
        assert_eq!(
            ep.stream_url_at(1).as_str(),
            "https://r2.example/v1/stream?events=onTicketCreate%2ConCallUpdate"
        );
        assert_eq!(ep.stream_url_at(2), ep.stream_url());
    }
}
