//! The Xelion client against a PBX double that follows the public API.

mod common;
// Shared with the desktop tests (tests/desktop_actions.rs).
#[path = "../../../tests/doubles/xelion_server.rs"]
mod xelion_server;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deskbell_core::pipeline::Classifier;
use deskbell_core::rules::{Identity, Rules, Skip, Verdict};
use deskbell_core::secret::Secret;
use deskbell_core::stream::xelion_client::{Timing, XelionAccount, XelionClient, ADMIN_EVENTS};
use deskbell_core::stream::{ConnectionState, StreamOutput};
use tokio::sync::{mpsc, watch};
use xelion_server::{Push, XelionServer, PASSWORD, TENANT, USER};

#[derive(Default)]
struct Seen {
    states: Vec<ConnectionState>,
    notified: Vec<String>,
    duplicates: u32,
    decoded: u32,
    /// Each catch-up, as the titles of what it notifies.
    caught_up: Vec<Vec<String>>,
}

struct Run {
    seen: Arc<Mutex<Seen>>,
    stop: watch::Sender<bool>,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn timing() -> Timing {
    Timing {
        heartbeat: Duration::from_millis(200),
        idle: Duration::from_secs(1),
        renew_at: 0.8,
    }
}

fn start(server: &XelionServer, password: &str, admin: bool) -> Run {
    let account = XelionAccount {
        base: server.base.parse().unwrap(),
        tenant: TENANT.into(),
        user: USER.into(),
        password: Secret::new(password),
        user_space: None,
        admin,
    };
    let client = XelionClient::new(account).unwrap().with_timing(timing());
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(client.run(tx, stop_rx));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    tokio::spawn(async move {
        let mut classifier = Classifier::new(Rules::default(), Identity::default());
        while let Some(out) = rx.recv().await {
            match out {
                StreamOutput::State(st) => s.lock().unwrap().states.push(st),
                StreamOutput::Event(ev) => {
                    let c = classifier.classify_bytes(ev.data.as_bytes(), chrono::Utc::now());
                    let mut seen = s.lock().unwrap();
                    seen.decoded += c.event.is_ok() as u32;
                    match c.verdict {
                        Some(Verdict::Notify(n)) => {
                            seen.notified.extend(n.into_iter().map(|n| n.title))
                        }
                        Some(Verdict::Skip(Skip::DuplicateEvent)) => seen.duplicates += 1,
                        _ => {}
                    }
                }
                StreamOutput::CatchUp(payloads) => {
                    let titles = payloads
                        .iter()
                        .filter_map(|p| {
                            match classifier
                                .classify_bytes(p.as_bytes(), chrono::Utc::now())
                                .verdict
                            {
                                Some(Verdict::Notify(n)) => Some(n[0].title.clone()),
                                _ => None,
                            }
                        })
                        .collect();
                    s.lock().unwrap().caught_up.push(titles);
                }
                _ => {}
            }
        }
    });
    Run { seen, stop }
}

async fn wait(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    f()
}

fn fixture(name: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(&common::bytes(name)).unwrap();
    v.to_string()
}

async fn live(run: &Run) {
    let ok = wait(Duration::from_secs(10), || {
        matches!(
            run.seen.lock().unwrap().states.last(),
            Some(ConnectionState::Live { .. })
        )
    })
    .await;
    assert!(ok, "{:?}", run.seen.lock().unwrap().states);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_call_notifies_once_and_heartbeats_keep_the_socket() {
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    let run = start(&server, PASSWORD, false);
    live(&run).await;
    assert!(
        wait(Duration::from_secs(2), || server
            .shared
            .subscriptions
            .lock()
            .unwrap()
            .len()
            == 1)
        .await
    );
    assert_eq!(
        server.shared.subscriptions.lock().unwrap()[0],
        ["missedCallEvent"]
    );

    server.push(Push::Notification(fixture("xelion/missed-call.json")));
    server.push(Push::Notification(fixture(
        "xelion/missed-call-repeated.json",
    )));
    assert!(
        wait(Duration::from_secs(5), || run.seen.lock().unwrap().decoded
            == 2)
        .await
    );
    {
        let seen = run.seen.lock().unwrap();
        assert_eq!(seen.notified, ["Missed call from +31201234567"]);
        assert_eq!(seen.duplicates, 1);
    }

    // Past the idle timeout, alive on heartbeat echoes alone.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(server.shared.echoes.load(Ordering::Relaxed) >= 3);
    assert_eq!(server.shared.connections.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_subscribes_to_call_events_and_the_repeated_hangup_is_deduped() {
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    let run = start(&server, PASSWORD, true);
    live(&run).await;
    assert!(
        wait(Duration::from_secs(2), || server
            .shared
            .subscriptions
            .lock()
            .unwrap()
            .len()
            == 1)
        .await
    );
    assert_eq!(server.shared.subscriptions.lock().unwrap()[0], ADMIN_EVENTS);
    // The attendant transfer: C->A, A->B twice with one callId, C->B.
    for name in [
        "xelion/hangup-customer-to-a.json",
        "xelion/hangup-a-to-b-first.json",
        "xelion/hangup-a-to-b-second.json",
    ] {
        server.push(Push::Notification(fixture(name)));
    }
    assert!(
        wait(Duration::from_secs(5), || run.seen.lock().unwrap().decoded
            == 3)
        .await
    );
    assert_eq!(run.seen.lock().unwrap().duplicates, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_is_renewed_before_valid_until() {
    let server = XelionServer::start(Duration::from_secs(2)).await;
    let run = start(&server, PASSWORD, false);
    live(&run).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(server.shared.renewals.load(Ordering::Relaxed) >= 1);
    assert_eq!(
        server.shared.logins.load(Ordering::Relaxed),
        1,
        "renewed, not logged in again"
    );
    assert_eq!(server.shared.connections.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_past_the_idle_timeout_reconnects() {
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    server.shared.echo.store(false, Ordering::Relaxed);
    let run = start(&server, PASSWORD, false);
    live(&run).await;
    assert!(
        wait(Duration::from_secs(6), || server
            .shared
            .connections
            .load(Ordering::Relaxed)
            >= 2)
        .await
    );
    assert!(run.seen.lock().unwrap().states.iter().any(|s| matches!(
        s,
        ConnectionState::BackingOff { reason, .. } if reason.starts_with("no message or heartbeat echo")
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_reconnects_and_delivers_again() {
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    let run = start(&server, PASSWORD, false);
    live(&run).await;
    server.push(Push::Drop);
    assert!(
        wait(Duration::from_secs(5), || server
            .shared
            .connections
            .load(Ordering::Relaxed)
            == 2)
        .await
    );
    live(&run).await;
    server.push(Push::Notification(fixture("xelion/missed-call.json")));
    assert!(
        wait(Duration::from_secs(5), || run
            .seen
            .lock()
            .unwrap()
            .notified
            .len()
            == 1)
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_means_sign_in_needed_without_retrying() {
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    let run = start(&server, "wrong", false);
    assert!(
        wait(Duration::from_secs(5), || matches!(
            run.seen.lock().unwrap().states.last(),
            Some(ConnectionState::SignInNeeded { status: 401 })
        ))
        .await
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(server.shared.logins.load(Ordering::Relaxed), 1);
}

#[test]
fn plain_http_pbx_is_refused_off_this_machine() {
    let account = XelionAccount {
        base: "http://pbx.example.com/".parse().unwrap(),
        tenant: TENANT.into(),
        user: USER.into(),
        password: Secret::new(PASSWORD),
        user_space: None,
        admin: false,
    };
    let err = XelionClient::new(account).unwrap_err();
    assert!(err.to_string().contains("use https"), "{err}");
}

#[tokio::test]
async fn test_connection_logs_in_once_and_names_a_refused_password() {
    use deskbell_core::config::AccountConfig;
    use deskbell_core::stream::probe::probe;
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    let account = AccountConfig::Xelion {
        name: "pbx".into(),
        url: server.base.clone(),
        tenant: TENANT.into(),
        user: USER.into(),
        user_space: None,
        admin: false,
    };
    probe(&account, &Secret::new(PASSWORD)).await.unwrap();
    let e = probe(&account, &Secret::new("wrong")).await.unwrap_err();
    assert_eq!(e.code(), "probe_refused", "{e}");
    assert_eq!(
        e.to_string(),
        "the server refused the user name or password (401)"
    );
    assert_eq!(server.shared.logins.load(Ordering::Relaxed), 2);
}

/// A missed call with its own id, number and date, as the PBX reports it.
fn missed_call(id: &str, number: &str, date: &str) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&common::bytes("xelion/missed-call.json")).unwrap();
    let n = &mut v["notification"];
    n["callId"] = serde_json::json!(id);
    n["callerPhoneNumber"] = serde_json::json!(number);
    n["date"] = serde_json::json!(date);
    n.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_time_offline_the_missed_calls_come_as_one_catch_up() {
    let server = XelionServer::start(Duration::from_secs(3600)).await;
    let run = start(&server, PASSWORD, false);
    live(&run).await;
    // The first connection has nothing to catch up on.
    assert!(server.shared.searches.lock().unwrap().is_empty());
    let seen_live = missed_call("call-1", "+31201110001", "2026-12-03T09:00:00+01:00");
    server.push(Push::Notification(
        serde_json::json!({"notificationType": "missedCallEvent", "oid": "1", "notification": seen_live})
            .to_string(),
    ));
    assert!(
        wait(Duration::from_secs(5), || run
            .seen
            .lock()
            .unwrap()
            .notified
            .len()
            == 1)
        .await
    );

    // Offline: two calls missed, one answered, and the one seen live.
    *server.shared.communications.lock().unwrap() = vec![
        (true, seen_live),
        (
            true,
            missed_call("call-2", "+31201110002", "2026-12-03T09:05:00+01:00"),
        ),
        (
            false,
            missed_call("call-3", "+31201110003", "2026-12-03T09:06:00+01:00"),
        ),
        (
            true,
            missed_call("call-4", "+31201110004", "2026-12-03T09:07:00+01:00"),
        ),
    ];
    server.push(Push::Drop);
    assert!(
        wait(Duration::from_secs(10), || !run
            .seen
            .lock()
            .unwrap()
            .caught_up
            .is_empty())
        .await,
        "a catch-up after the reconnect"
    );
    let seen = run.seen.lock().unwrap();
    assert_eq!(
        seen.caught_up,
        [vec![
            "Missed call from +31201110002".to_owned(),
            "Missed call from +31201110004".to_owned()
        ]],
        "only missed ones, after the last seen, oldest first, in one"
    );
    let searches = server.shared.searches.lock().unwrap();
    assert_eq!(searches.len(), 1);
    assert!(searches[0].contains("missed=true"), "{searches:?}");
    assert!(
        searches[0].contains("after=2026-12-03T08%3A00%3A00Z"),
        "{searches:?}"
    );
}
