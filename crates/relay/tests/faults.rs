//! The desktop's SSE client against a real relay through a fault-injecting
//! proxy: after every fault, each acknowledged event reaches the pipeline
//! exactly once, within the time docs/stream-protocol.md promises.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deskbell_core::pipeline::Classifier;
use deskbell_core::rules::{Identity, Rules};
use deskbell_core::secret::Secret;
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::{ConnectionState, SkipReason, StreamOutput};
use support::proxy::{Fault, FaultProxy};
use support::{add_token, post, ticket, wait, Relay, TempDir};
use tokio::sync::{mpsc, watch};

/// Tests shorten the 45 s idle timeout; the logic is the same.
const IDLE: Duration = Duration::from_secs(2);
/// After a fault: first retry within 1 s, plus the idle timeout for faults
/// that leave the connection silent, plus slack for a loaded machine.
const RECOVERY: Duration = Duration::from_secs(12);

#[derive(Default)]
struct Seen {
    ids: Vec<u64>,
    states: Vec<ConnectionState>,
    skipped: Vec<SkipReason>,
    malformed: u64,
    notified: u64,
}

struct Harness {
    relay: Relay,
    proxy: FaultProxy,
    seen: Arc<Mutex<Seen>>,
    stop: watch::Sender<bool>,
    _dir: TempDir,
}

impl Harness {
    async fn start(tag: &str) -> Harness {
        let dir = TempDir::new(tag);
        let relay = Relay::start(&dir.0, "keepalive_seconds = 1");
        let token = add_token(&dir.0, "agent");
        let proxy = FaultProxy::start(relay.addr.parse().unwrap()).await;
        let endpoint = RelayEndpoint {
            base: check_url(&proxy.base()).unwrap(),
            fallbacks: Vec::new(),
            token: Secret::new(token),
            events: vec![],
        };
        let client = RelayClient::new(endpoint, None)
            .unwrap()
            .with_idle_timeout(IDLE);
        let (tx, mut rx) = mpsc::channel(1024);
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(client.run(tx, stop_rx));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let s = seen.clone();
        // The pipeline: what the app does with the client's output.
        tokio::spawn(async move {
            let mut classifier = Classifier::new(Rules::default(), Identity::default());
            while let Some(out) = rx.recv().await {
                let mut seen = s.lock().unwrap();
                match out {
                    StreamOutput::Event(ev) => {
                        let c = classifier.classify_bytes(ev.data.as_bytes(), chrono::Utc::now());
                        if c.event.is_err() {
                            seen.malformed += 1;
                        }
                        if let Some(deskbell_core::rules::Verdict::Notify(n)) = c.verdict {
                            seen.notified += n.len() as u64;
                        }
                        if let Some(id) = ev.id {
                            seen.ids.push(id);
                        }
                    }
                    StreamOutput::State(st) => seen.states.push(st),
                    StreamOutput::Skipped(why) => seen.skipped.push(why),
                    StreamOutput::Reset { .. }
                    | StreamOutput::Team(_)
                    | StreamOutput::Me(_)
                    | StreamOutput::CatchUp(_)
                    | StreamOutput::Directory(_) => {}
                }
            }
        });
        let h = Harness {
            relay,
            proxy,
            seen,
            stop,
            _dir: dir,
        };
        h.wait_live().await;
        h
    }

    async fn wait_live(&self) {
        let ok = wait(Duration::from_secs(10), || {
            matches!(
                self.seen.lock().unwrap().states.last(),
                Some(ConnectionState::Live { .. })
            )
        })
        .await;
        assert!(
            ok,
            "client went live: {:?}",
            self.seen.lock().unwrap().states
        );
    }

    async fn post_n(&self, from: u64, n: u64) -> Vec<u64> {
        let mut acked = Vec::new();
        for i in from..from + n {
            acked.push(
                post(&self.relay.base(), &ticket(i))
                    .await
                    .expect("acknowledged"),
            );
        }
        acked
    }

    /// Every id in `acked` delivered, none twice, within `within`.
    async fn assert_exactly_once(&self, acked: &[u64], within: Duration) {
        let all = wait(within, || {
            let seen = self.seen.lock().unwrap();
            acked.iter().all(|id| seen.ids.contains(id))
        })
        .await;
        // Copy out, so a failing assert cannot poison the pipeline's lock.
        let (ids, states) = {
            let seen = self.seen.lock().unwrap();
            (seen.ids.clone(), seen.states.clone())
        };
        let missing: Vec<_> = acked.iter().filter(|id| !ids.contains(id)).collect();
        let last_states: Vec<_> = states.iter().rev().take(6).collect();
        assert!(
            all,
            "missing {} of {}: {:?}; last states {last_states:?}",
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(20)]
        );
        let mut counts: HashMap<u64, u32> = HashMap::new();
        for id in &ids {
            *counts.entry(*id).or_default() += 1;
        }
        let dups: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(dups.is_empty(), "delivered twice: {dups:?}");
    }

    fn reconnects(&self) -> usize {
        let states = self.seen.lock().unwrap().states.clone();
        states
            .iter()
            .filter(|s| matches!(s, ConnectionState::Connecting))
            .count()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn break_mid_event(reset: bool) {
    let h = Harness::start(if reset { "reset" } else { "close" }).await;
    let mut acked = h.post_n(0, 5).await;
    h.assert_exactly_once(&acked, RECOVERY).await;
    h.proxy.fault(if reset {
        Fault::ResetMidEvent
    } else {
        Fault::CloseMidEvent
    });
    acked.extend(h.post_n(5, 5).await);
    h.assert_exactly_once(&acked, RECOVERY).await;
    assert!(h.reconnects() >= 2, "it reconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_event() {
    break_mid_event(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_mid_event() {
    break_mid_event(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_with_the_connection_open() {
    let h = Harness::start("stall").await;
    h.proxy.fault(Fault::Stall);
    let acked = h.post_n(0, 5).await;
    // Silence past the idle timeout: dropped, resumed, delivered.
    h.assert_exactly_once(&acked, IDLE + RECOVERY).await;
    assert!(h.seen.lock().unwrap().states.iter().any(|s| matches!(
        s,
        ConnectionState::BackingOff { reason, .. } if reason.starts_with("no complete event or keepalive")
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickle_of_one_byte_per_second() {
    let h = Harness::start("trickle").await;
    h.proxy.fault(Fault::Trickle);
    let acked = h.post_n(0, 3).await;
    h.assert_exactly_once(&acked, IDLE + RECOVERY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_event_is_skipped_and_the_stream_goes_on() {
    let h = Harness::start("oversized").await;
    let mut big = b"event: onTicketCreate\ndata: ".to_vec();
    big.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    big.extend(b"\n\n");
    h.proxy.fault(Fault::Inject(big));
    let acked = h.post_n(0, 3).await;
    h.assert_exactly_once(&acked, RECOVERY).await;
    assert_eq!(h.seen.lock().unwrap().skipped, [SkipReason::Oversized]);
    assert_eq!(h.reconnects(), 1, "no reconnect needed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_data_line_is_counted_and_skipped() {
    let h = Harness::start("malformed").await;
    h.proxy.fault(Fault::Inject(
        b"event: onTicketCreate\ndata: {\"event\": \"onTicketCreate\", \n\n".to_vec(),
    ));
    let acked = h.post_n(0, 3).await;
    h.assert_exactly_once(&acked, RECOVERY).await;
    assert!(
        wait(Duration::from_secs(2), || h.seen.lock().unwrap().malformed
            == 1)
        .await
    );
    assert_eq!(h.seen.lock().unwrap().notified, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_is_counted_and_skipped() {
    let h = Harness::start("utf8").await;
    h.proxy.fault(Fault::Inject(
        b"event: onTicketCreate\ndata: {\"event\":\"\xff\xfe\"}\n\n".to_vec(),
    ));
    let acked = h.post_n(0, 3).await;
    h.assert_exactly_once(&acked, RECOVERY).await;
    let skipped = h.seen.lock().unwrap().skipped.clone();
    assert_eq!(skipped, [SkipReason::InvalidUtf8]);
    assert_eq!(h.reconnects(), 1, "no reconnect needed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_zero_is_clamped_not_a_hot_loop() {
    let h = Harness::start("retry0").await;
    h.proxy
        .on_connect(Some(Fault::InjectThenClose(b"retry: 0\n\n".to_vec())));
    h.proxy
        .fault(Fault::InjectThenClose(b"retry: 0\n\n".to_vec()));
    let before = h.proxy.connections();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = h.proxy.connections() - before;
    // A hot loop would make hundreds; 250 ms minimum with backoff: a handful.
    assert!((1..=12).contains(&during), "{during} connections in 3 s");
    h.proxy.on_connect(None);
    let acked = h.post_n(0, 3).await;
    h.assert_exactly_once(&acked, RECOVERY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_while_posting_then_restarted() {
    let mut h = Harness::start("kill9").await;
    let mut acked = h.post_n(0, 20).await;
    let base = h.relay.base();
    // Keep posting from another task while the relay dies and comes back.
    let poster = tokio::spawn(async move {
        let mut acked = Vec::new();
        for i in 100..400u64 {
            if let Ok(id) = post(&base, &ticket(i)).await {
                acked.push(id);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        acked
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.relay.kill9();
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.relay.restart();
    acked.extend(poster.await.unwrap());
    acked.extend(h.post_n(1000, 5).await);
    assert!(
        acked.len() > 100,
        "most posts were acknowledged: {}",
        acked.len()
    );
    h.assert_exactly_once(&acked, RECOVERY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_ten_thousand_events_under_random_faults() {
    let h = Arc::new(Harness::start("soak").await);
    let total: u64 = 10_000;
    let posters = 8;
    let mut tasks = Vec::new();
    for p in 0..posters {
        let base = h.relay.base();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut rng = fastrand::Rng::with_seed(p);
            for i in (p..total).step_by(posters as usize) {
                acked.push(post(&base, &ticket(i)).await.expect("acknowledged"));
                if rng.u8(..) < 32 {
                    tokio::time::sleep(Duration::from_millis(rng.u64(0..4))).await;
                }
            }
            acked
        }));
    }
    let faulter = {
        let h = h.clone();
        tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(42);
            let mut n = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(rng.u64(300..900))).await;
                let fault = match rng.u8(0..6) {
                    0 => Fault::ResetMidEvent,
                    1 => Fault::CloseMidEvent,
                    2 => Fault::Stall,
                    3 => Fault::Inject(b"event: onTicketCreate\ndata: {oops\n\n".to_vec()),
                    4 => Fault::Inject(b"data: \xff\xfe\n\n".to_vec()),
                    _ => Fault::Trickle,
                };
                h.proxy.fault(fault);
                n += 1;
                if n >= 40 {
                    return n;
                }
            }
        })
    };
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    faulter.abort();
    assert_eq!(acked.len() as u64, total);
    h.assert_exactly_once(&acked, Duration::from_secs(60)).await;
    let seen = h.seen.lock().unwrap();
    assert_eq!(seen.ids.len() as u64, total, "nothing extra, nothing twice");
    assert_eq!(seen.notified, total, "one notification per ticket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_token_means_sign_in_needed_and_no_retries() {
    let dir = TempDir::new("refused");
    let relay = Relay::start(&dir.0, "");
    let proxy = FaultProxy::start(relay.addr.parse().unwrap()).await;
    let endpoint = RelayEndpoint {
        base: check_url(&proxy.base()).unwrap(),
        fallbacks: Vec::new(),
        token: Secret::new("dbr_not_a_token"),
        events: vec![],
    };
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(RelayClient::new(endpoint, None).unwrap().run(tx, stop_rx));
    let mut states = Vec::new();
    while let Ok(Some(StreamOutput::State(s))) =
        tokio::time::timeout(Duration::from_secs(3), rx.recv()).await
    {
        states.push(s);
    }
    assert_eq!(
        states,
        [
            ConnectionState::Connecting,
            ConnectionState::SignInNeeded { status: 401 }
        ]
    );
    assert_eq!(proxy.connections(), 1, "no retry with refused credentials");
    // It waits for new credentials, and stops when told.
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .unwrap()
        .unwrap();
}

/// A stand-in relay that refuses the first streams with a status and a
/// Retry-After, then serves one event.
async fn refusing_relay(
    status: u16,
    retry_after: &'static str,
    refusals: u32,
) -> (String, Arc<AtomicU32>) {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/v1/stream",
        axum::routing::get(move || {
            let h = h.clone();
            async move {
                if h.fetch_add(1, Ordering::SeqCst) < refusals {
                    let code = StatusCode::from_u16(status).unwrap();
                    return (code, [("retry-after", retry_after)], "busy").into_response();
                }
                (
                    [("content-type", "text/event-stream")],
                    "id: 7\nevent: onTicketCreate\ndata: {}\n\n",
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/"), hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_503_and_429_is_honoured_and_never_gives_up() {
    for status in [503u16, 429] {
        let (base, hits) = refusing_relay(status, "2", 2).await;
        let endpoint = RelayEndpoint {
            base: check_url(&base).unwrap(),
            fallbacks: Vec::new(),
            token: Secret::new("t"),
            events: vec![],
        };
        let (tx, mut rx) = mpsc::channel(64);
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(RelayClient::new(endpoint, None).unwrap().run(tx, stop_rx));
        let start = tokio::time::Instant::now();
        let mut waits = Vec::new();
        let event = loop {
            match tokio::time::timeout(Duration::from_secs(15), rx.recv())
                .await
                .unwrap()
                .unwrap()
            {
                StreamOutput::State(ConnectionState::BackingOff { retry_at, .. }) => {
                    waits.push(retry_at)
                }
                StreamOutput::Event(ev) => break ev,
                _ => {}
            }
        };
        let took = start.elapsed();
        assert_eq!(event.id, Some(7));
        assert_eq!(hits.load(Ordering::SeqCst), 3, "two refusals, then served");
        // Two waits of at least the 2 s asked for, not the ~1 s backoff.
        assert!(took >= Duration::from_millis(3900), "{status}: {took:?}");
        assert_eq!(waits.len(), 2);
        let _ = stop.send(true);
    }
}

/// The client against the real relay: the team's state comes first, as
/// `Team` outputs that carry no resume point, then live events.
#[tokio::test]
async fn the_client_gets_the_team_before_live_events() {
    let dir = TempDir::new("team-client");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent");
    let base = relay.base();
    post(
        &base,
        &support::fixture("freshcaller/agent-update-busy.json"),
    )
    .await
    .unwrap();
    let endpoint = RelayEndpoint {
        base: check_url(&base).unwrap(),
        fallbacks: Vec::new(),
        token: Secret::new(token),
        events: vec!["onAgentUpdate".into(), "onTicketCreate".into()],
    };
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(RelayClient::new(endpoint, None).unwrap().run(tx, stop_rx));
    let mut outputs = Vec::new();
    let live = loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            StreamOutput::State(ConnectionState::Live { .. }) => {
                post(&base, &ticket(1)).await.unwrap();
            }
            StreamOutput::Event(ev) => break ev,
            other => outputs.push(other),
        }
    };
    let team: Vec<&StreamOutput> = outputs
        .iter()
        .filter(|o| matches!(o, StreamOutput::Team(_)))
        .collect();
    assert_eq!(team.len(), 1, "{outputs:?}");
    assert!(matches!(team[0], StreamOutput::Team(data) if data.contains("\"onAgentUpdate\"")));
    assert_eq!(live.name, "onTicketCreate");
    assert_eq!(live.id, Some(2));
    let _ = stop.send(true);
}
