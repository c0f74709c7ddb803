//! A Xelion PBX double that follows the public API as documented in
//! docs/stream-protocol.md and docs/actions.md, for the core's tests and
//! the desktop tests: login, renewal, the WebSocket with subscribe
//! and the `test` echo, notifications pushed by the test, and
//! `me/device/pbx_call` (the PBX rings the user's phone, then the number).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use tokio::sync::broadcast;

pub const USER: &str = "tom";
pub const PASSWORD: &str = "correct horse";
pub const TENANT: &str = "master";

#[derive(Clone, Debug)]
pub enum Push {
    Notification(String),
    /// Drop every open socket.
    Drop,
}

pub struct Shared {
    validity: Mutex<Duration>,
    tokens: Mutex<HashMap<String, chrono::DateTime<Utc>>>,
    pub logins: AtomicU32,
    pub renewals: AtomicU32,
    pub connections: AtomicU32,
    pub subscriptions: Mutex<Vec<Vec<String>>>,
    pub echo: AtomicBool,
    pub echoes: AtomicU32,
    push: broadcast::Sender<Push>,
    next: AtomicU32,
    /// The numbers `pbx_call` was asked to call, in order.
    pub calls: Mutex<Vec<String>>,
    /// The user has no phone device: `pbx_call` answers 404.
    pub no_device: AtomicBool,
    /// The communications the search finds, as (missed, object).
    pub communications: Mutex<Vec<(bool, serde_json::Value)>>,
    /// The searches asked for, by their query strings.
    pub searches: Mutex<Vec<String>>,
}

pub struct XelionServer {
    pub base: String,
    pub shared: Arc<Shared>,
}

impl XelionServer {
    pub async fn start(validity: Duration) -> XelionServer {
        let shared = Arc::new(Shared {
            validity: Mutex::new(validity),
            tokens: Mutex::new(HashMap::new()),
            logins: AtomicU32::new(0),
            renewals: AtomicU32::new(0),
            connections: AtomicU32::new(0),
            subscriptions: Mutex::new(Vec::new()),
            echo: AtomicBool::new(true),
            echoes: AtomicU32::new(0),
            push: broadcast::channel(64).0,
            next: AtomicU32::new(1),
            calls: Mutex::new(Vec::new()),
            no_device: AtomicBool::new(false),
            communications: Mutex::new(Vec::new()),
            searches: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/api/v1/{tenant}/me/login", post(login))
            .route("/api/v1/{tenant}/me/renew", post(renew))
            .route("/api/v1/{tenant}/me/websocket", get(websocket))
            .route("/api/v1/{tenant}/me/device/pbx_call", post(pbx_call))
            .route("/api/v1/{tenant}/communications", get(communications))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        XelionServer {
            base: format!("http://{addr}/"),
            shared,
        }
    }

    pub fn push(&self, p: Push) {
        let _ = self.shared.push.send(p);
    }
}

fn issue(s: &Shared) -> serde_json::Value {
    let token = format!("xt-{}", s.next.fetch_add(1, Ordering::Relaxed));
    let validity = *s.validity.lock().unwrap();
    let until = Utc::now() + chrono::Duration::from_std(validity).unwrap();
    s.tokens.lock().unwrap().insert(token.clone(), until);
    serde_json::json!({ "authentication": token, "validUntil": until.to_rfc3339(), "version": "6.0" })
}

fn valid(s: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("xelion "))
    else {
        return false;
    };
    s.tokens
        .lock()
        .unwrap()
        .get(token)
        .is_some_and(|until| *until > Utc::now())
}

async fn login(State(s): State<Arc<Shared>>, Json(body): Json<serde_json::Value>) -> Response {
    s.logins.fetch_add(1, Ordering::Relaxed);
    if body["userName"] == USER && body["password"] == PASSWORD && body["userSpace"].is_string() {
        Json(issue(&s)).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "invalid credentials"})),
        )
            .into_response()
    }
}

/// The communications search: `missed=true` keeps missed calls only,
/// `after` (RFC 3339) those later than it; `{"data": [{"object": ...}]}`.
async fn communications(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if !valid(&s, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let query = query.unwrap_or_default();
    s.searches.lock().unwrap().push(query.clone());
    let mut missed_only = false;
    let mut after = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.replace("%3A", ":").replace("%2B", "+");
        match k {
            "missed" => missed_only = v == "true",
            "after" => after = chrono::DateTime::parse_from_rfc3339(&v).ok(),
            _ => {}
        }
    }
    let data: Vec<serde_json::Value> = s
        .communications
        .lock()
        .unwrap()
        .iter()
        .filter(|(missed, _)| *missed || !missed_only)
        .filter(|(_, c)| {
            let date = c["date"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok());
            match (after, date) {
                (Some(a), Some(d)) => d >= a,
                _ => true,
            }
        })
        .map(|(_, c)| serde_json::json!({ "object": c }))
        .collect();
    Json(serde_json::json!({ "data": data })).into_response()
}

async fn pbx_call(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if !valid(&s, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if s.no_device.load(Ordering::Relaxed) {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"message": "no device for this user"})),
        )
            .into_response();
    }
    match body["number"].as_str() {
        Some(n) if !n.trim().is_empty() => {
            s.calls.lock().unwrap().push(n.to_owned());
            Json(serde_json::json!({"status": "calling"})).into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"message": "number is required"})),
        )
            .into_response(),
    }
}

async fn renew(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !valid(&s, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    s.renewals.fetch_add(1, Ordering::Relaxed);
    Json(issue(&s)).into_response()
}

async fn websocket(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !valid(&s, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    s.connections.fetch_add(1, Ordering::Relaxed);
    let rx = s.push.subscribe();
    ws.on_upgrade(move |socket| serve_socket(s, socket, rx))
}

async fn serve_socket(s: Arc<Shared>, mut socket: WebSocket, mut rx: broadcast::Receiver<Push>) {
    loop {
        tokio::select! {
            push = rx.recv() => match push {
                Ok(Push::Notification(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() { return }
                }
                Ok(Push::Drop) | Err(_) => return,
            },
            msg = socket.recv() => {
                let Some(Ok(Message::Text(text))) = msg else {
                    match msg { Some(Ok(_)) => continue, _ => return }
                };
                let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                if let Some(list) = v.get("subscribe").and_then(|l| l.as_array()) {
                    let names = list.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect();
                    s.subscriptions.lock().unwrap().push(names);
                } else if v.get("test").is_some() && s.echo.load(Ordering::Relaxed) {
                    s.echoes.fetch_add(1, Ordering::Relaxed);
                    if socket.send(Message::Text(text)).await.is_err() { return }
                }
            }
        }
    }
}
