//! The desktop's client for a Xelion PBX, with the agent's own login
//! (docs/stream-protocol.md, "Xelion"): log in, renew the session before
//! `validUntil`, open the WebSocket, subscribe, echo-test as a heartbeat,
//! and reconnect with the same backoff as the relay client.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;

use super::backoff::Backoff;
use super::supervise::{stopped, supervise, Connect, Ended};
use super::{ConnectionState, StreamEvent, StreamOutput};
use crate::secret::Secret;

/// The notification types an ordinary agent may subscribe to; the others
/// need an admin account.
pub const AGENT_EVENTS: &[&str] = &["missedCallEvent"];
pub const ADMIN_EVENTS: &[&str] = &[
    "missedCallEvent",
    "newCallEvent",
    "callConnectedEvent",
    "callHungUpEvent",
    "channelHungUpEvent",
];

#[derive(Clone, Debug)]
pub struct XelionAccount {
    /// e.g. `https://pbx.example.com/`
    pub base: Url,
    pub tenant: String,
    pub user: String,
    pub password: Secret,
    pub user_space: Option<String>,
    /// Subscribe to every call event, not only missed calls.
    pub admin: bool,
}

impl XelionAccount {
    pub(crate) fn api(&self, path: &str) -> Url {
        let tenant: String = self
            .tenant
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        self.base
            .join(&format!("api/v1/{tenant}/{path}"))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// The `me/login` request's body (the probe sends the same).
    pub(crate) fn login_body(&self) -> serde_json::Value {
        serde_json::json!({
            "userName": self.user,
            "password": self.password.expose(),
            "userSpace": self.user_space.as_deref().unwrap_or("deskbell"),
        })
    }

    fn websocket_url(&self) -> Url {
        let mut url = self.api("me/websocket");
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        let _ = url.set_scheme(scheme);
        url
    }
}

#[derive(Clone, Debug)]
pub struct Timing {
    pub heartbeat: Duration,
    /// No message (a notification or a heartbeat echo) for this long: dead.
    pub idle: Duration,
    /// Renew when this fraction of the session's validity has passed.
    pub renew_at: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            heartbeat: Duration::from_secs(15),
            idle: Duration::from_secs(45),
            renew_at: 0.8,
        }
    }
}

#[derive(Debug)]
pub struct XelionClient {
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    account: XelionAccount,
    backoff: Backoff,
    timing: Timing,
    /// When the last live session ended, until a catch-up covered it.
    offline_since: Option<DateTime<Utc>>,
    /// The date of the last missed call handed on: a catch-up starts there.
    last_missed: Option<DateTime<Utc>>,
    /// The current session reached `Live`.
    was_live: bool,
}

/// At most this many missed calls are fetched in one catch-up.
const CATCH_UP_LIMIT: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    authentication: String,
    valid_until: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum XelionSetupError {
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
    #[error(transparent)]
    Endpoint(#[from] super::relay_client::EndpointError),
}

impl XelionClient {
    pub fn new(account: XelionAccount) -> Result<Self, XelionSetupError> {
        use rustls_platform_verifier::BuilderVerifierExt;
        super::relay_client::check_url(account.base.as_str())?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("deskbell/", env!("CARGO_PKG_VERSION")))
            .build()?;
        // The same provider and verifier as reqwest, chosen explicitly so no
        // process-wide default is needed.
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
        Ok(XelionClient {
            http,
            tls: Arc::new(tls),
            account,
            backoff: Backoff::default(),
            timing: Timing::default(),
            offline_since: None,
            last_missed: None,
            was_live: false,
        })
    }

    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    pub async fn run(self, tx: mpsc::Sender<StreamOutput>, stop: watch::Receiver<bool>) {
        supervise(self, tx, stop).await;
    }

    async fn login(&self) -> Result<Session, Ended> {
        let resp = self
            .http
            .post(self.account.api("me/login"))
            .json(&self.account.login_body())
            .send()
            .await
            .map_err(|e| fail(None, e))?;
        session_from(resp).await
    }

    async fn renew(&self, token: &str) -> Result<Session, Ended> {
        let resp = self
            .http
            .post(self.account.api("me/renew"))
            .header("Authorization", format!("xelion {token}"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .map_err(|e| fail(None, e))?;
        session_from(resp).await
    }

    /// The missed calls since the connection went down (from the last one
    /// seen, or from when it went down), by Xelion's communications search
    /// (docs/actions.md has what is assumed of it). A failed search costs
    /// the summary, never the connection.
    async fn catch_up(&mut self, token: &str, tx: &mpsc::Sender<StreamOutput>) {
        let Some(offline) = self.offline_since else {
            return;
        };
        // A dead socket is noticed only after `idle`: calls in that time
        // were missed too.
        let noticed_late = chrono::Duration::from_std(self.timing.idle).unwrap_or_default();
        let since = self
            .last_missed
            .map_or(offline - noticed_late, |m| m.min(offline));
        let mut url = self.account.api("communications");
        url.query_pairs_mut()
            .append_pair("missed", "true")
            .append_pair(
                "after",
                &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .append_pair("limit", &CATCH_UP_LIMIT.to_string());
        let answer = self
            .http
            .get(url)
            .header("Authorization", format!("xelion {token}"))
            .send()
            .await;
        let body: serde_json::Value = match answer {
            Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
            Ok(r) => {
                tracing::warn!(
                    status = r.status().as_u16(),
                    "the missed-call catch-up was refused"
                );
                return;
            }
            Err(e) => {
                tracing::warn!("the missed-call catch-up failed: {}", e.without_url());
                return;
            }
        };
        self.offline_since = None;
        let mut calls: Vec<(DateTime<Utc>, String)> = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .take(CATCH_UP_LIMIT)
            .filter_map(|item| {
                let call = item.get("object").unwrap_or(item);
                let date = call["date"]
                    .as_str()
                    .and_then(|d| DateTime::parse_from_rfc3339(d).ok())?
                    .with_timezone(&Utc);
                // Strictly after: the last one seen was shown already.
                (date > since).then(|| {
                    let payload = serde_json::json!({
                        "notificationType": "missedCallEvent",
                        "oid": call.get("oid").cloned().unwrap_or(serde_json::Value::Null),
                        "notification": call,
                    });
                    (date, payload.to_string())
                })
            })
            .collect();
        calls.sort_by_key(|(date, _)| *date);
        if let Some((latest, _)) = calls.last() {
            self.last_missed = Some(*latest);
        }
        if !calls.is_empty() {
            let payloads = calls.into_iter().map(|(_, p)| p).collect();
            let _ = tx.send(StreamOutput::CatchUp(payloads)).await;
        }
    }

    /// The date of a missed call handed on, for the next catch-up.
    fn saw(&mut self, text: &str) {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        if v["notificationType"] != "missedCallEvent" {
            return;
        }
        if let Some(date) = v["notification"]["date"]
            .as_str()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        {
            let date = date.with_timezone(&Utc);
            if self.last_missed.is_none_or(|m| date > m) {
                self.last_missed = Some(date);
            }
        }
    }

    /// One session; when a live one ends, the time offline starts.
    async fn session_then_offline(
        &mut self,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> Ended {
        self.was_live = false;
        let ended = self.session(tx, stop).await;
        if self.was_live && self.offline_since.is_none() {
            self.offline_since = Some(Utc::now());
        }
        ended
    }

    /// One login and one WebSocket, until it fails or `stop`.
    async fn session(
        &mut self,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> Ended {
        let mut session = match self.login().await {
            Ok(s) => s,
            Err(ended) => return ended,
        };
        let mut request = match self.account.websocket_url().as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => return Ended::failed(None, format!("bad WebSocket URL: {e}")),
        };
        if let Ok(v) = HeaderValue::from_str(&format!("xelion {}", session.authentication)) {
            request.headers_mut().insert("Authorization", v);
        }
        let connector = Some(Connector::Rustls(self.tls.clone()));
        let connect =
            tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector);
        let (mut ws, _) = match tokio::time::timeout(Duration::from_secs(15), connect).await {
            Err(_) => return Ended::failed(None, "WebSocket connect timed out"),
            Ok(Err(e)) => return Ended::failed(None, format!("WebSocket: {e}")),
            Ok(Ok(pair)) => pair,
        };
        let events = if self.account.admin {
            ADMIN_EVENTS
        } else {
            AGENT_EVENTS
        };
        let subscribe = serde_json::json!({ "subscribe": events }).to_string();
        if let Err(e) = ws.send(Message::text(subscribe)).await {
            return Ended::failed(None, format!("subscribe: {e}"));
        }
        let live_since = tokio::time::Instant::now();
        if tx
            .send(StreamOutput::State(ConnectionState::Live {
                since: Utc::now(),
            }))
            .await
            .is_err()
        {
            return Ended::Stopped;
        }
        self.was_live = true;
        // Subscribed first: a call missed during the search arrives live.
        self.catch_up(&session.authentication, tx).await;
        let mut heartbeat = tokio::time::interval(self.timing.heartbeat);
        heartbeat.tick().await;
        let mut test_seq: u64 = 0;
        let mut last_message = tokio::time::Instant::now();
        let mut renew_at = self.renew_deadline(&session);
        loop {
            let live_for = Some(live_since.elapsed());
            tokio::select! {
                _ = stopped(stop) => {
                    let _ = ws.close(None).await;
                    return Ended::Stopped;
                }
                _ = tokio::time::sleep_until(last_message + self.timing.idle) => {
                    let secs = self.timing.idle.as_secs_f32();
                    return Ended::failed(live_for, format!("no message or heartbeat echo for {secs} s"));
                }
                _ = heartbeat.tick() => {
                    test_seq += 1;
                    let ping = serde_json::json!({ "test": test_seq }).to_string();
                    if let Err(e) = ws.send(Message::text(ping)).await {
                        return Ended::failed(live_for, format!("heartbeat: {e}"));
                    }
                }
                _ = sleep_until_opt(renew_at) => {
                    match self.renew(&session.authentication).await {
                        Ok(renewed) => {
                            session = renewed;
                            renew_at = self.renew_deadline(&session);
                        }
                        // The socket may outlive a failed renewal; the next
                        // connection logs in again.
                        Err(Ended::Unauthorized(_)) => return Ended::failed(live_for, "session expired"),
                        Err(_) => renew_at = Some(tokio::time::Instant::now() + Duration::from_secs(5)),
                    }
                }
                msg = ws.next() => {
                    let msg = match msg {
                        None => return Ended::failed(live_for, "the PBX closed the WebSocket"),
                        Some(Err(e)) => return Ended::failed(live_for, format!("WebSocket: {e}")),
                        Some(Ok(m)) => m,
                    };
                    last_message = tokio::time::Instant::now();
                    if let Message::Text(text) = msg {
                        if let Some(name) = notification_type(text.as_str()) {
                            self.saw(text.as_str());
                            let ev = StreamEvent { id: None, name, data: text.as_str().to_owned() };
                            if tx.send(StreamOutput::Event(ev)).await.is_err() {
                                return Ended::Stopped;
                            }
                        }
                    }
                }
            }
        }
    }

    fn renew_deadline(&self, session: &Session) -> Option<tokio::time::Instant> {
        let until = session
            .valid_until
            .as_deref()
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())?;
        let left = (until.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default();
        Some(tokio::time::Instant::now() + left.mul_f64(self.timing.renew_at.clamp(0.1, 0.95)))
    }
}

/// A notification's type; heartbeat echoes and anything else give `None`.
fn notification_type(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "notificationType")]
        notification_type: Option<String>,
    }
    serde_json::from_str::<Head>(text).ok()?.notification_type
}

async fn session_from(resp: reqwest::Response) -> Result<Session, Ended> {
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(Ended::Unauthorized(status.as_u16()));
    }
    if !status.is_success() {
        return Err(Ended::failed(None, format!("PBX answered {status}")));
    }
    resp.json::<Session>().await.map_err(|e| fail(None, e))
}

fn fail(live_for: Option<Duration>, e: reqwest::Error) -> Ended {
    let what = if e.is_connect() {
        "cannot connect to the PBX"
    } else {
        "request to the PBX failed"
    };
    Ended::failed(live_for, what.to_owned())
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Connect for XelionClient {
    fn backoff(&self) -> Backoff {
        self.backoff
    }

    fn connect_once(
        &mut self,
        tx: &mpsc::Sender<StreamOutput>,
        stop: &mut watch::Receiver<bool>,
    ) -> impl std::future::Future<Output = Ended> + Send {
        self.session_then_offline(tx, stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_api_layout() {
        let a = XelionAccount {
            base: Url::parse("https://pbx.example.com/").unwrap(),
            tenant: "master".into(),
            user: "tom".into(),
            password: Secret::new("pw"),
            user_space: None,
            admin: false,
        };
        assert_eq!(
            a.api("me/login").as_str(),
            "https://pbx.example.com/api/v1/master/me/login"
        );
        assert_eq!(
            a.websocket_url().as_str(),
            "wss://pbx.example.com/api/v1/master/me/websocket"
        );
        assert!(!format!("{a:?}").contains("\"pw\""));
    }

    #[test]
    fn only_notifications_are_events() {
        assert_eq!(
            notification_type(r#"{"notificationType":"missedCallEvent","oid":"1"}"#).as_deref(),
            Some("missedCallEvent")
        );
        assert_eq!(notification_type(r#"{"test":3}"#), None);
        assert_eq!(notification_type("not json"), None);
    }
}
