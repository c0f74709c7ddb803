//! Whole-process figures for the event stream, each beside a baseline
//! measured in the same run on the same machine:
//! - ingest to decoded event in a client over loopback, 1,000 paced events
//!   (baseline: a bare loopback HTTP round trip to /healthz);
//! - durable ingests per second (baseline: the same number of /healthz
//!   round trips at the same concurrency);
//! - replay of a 100,000-event backlog of 3 KB payloads to the last event
//!   decoded (baseline: reading the same rows straight from SQLite);
//! - fan-out of one event to 2,000 connected clients, post to each client's
//!   decoded event (baseline: the one-client latency of the first figure);
//! - the first, second and fourth again with the log in JetStream (a real
//!   3-node cluster on loopback, 3 replicas), beside the SQLite figures of
//!   the same run, and the longest time without a 202 across a kill -9 of
//!   the stream's leader.
//!
//! Run: cargo bench -p deskbell-relay --bench stream_harness
//! Writes target/bench/stream.json. Not a test: nothing here can fail CI.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deskbell_core::secret::Secret;
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::StreamOutput;
use tokio::sync::{mpsc, watch};

// The tests' relay helpers, for the JetStream figures: a real 3-node
// cluster and relays on it.
#[path = "../tests/support/mod.rs"]
mod support;

const SECRET: &str = support::SECRET;
const FANOUT_CLIENTS: usize = 2000;

fn main() {
    // `cargo bench` passes --bench; a filter argument is ignored here.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut summary = rt.block_on(run());
    let ha = rt.block_on(ha(&summary));
    if let (Some(all), Some(ha)) = (summary.as_object_mut(), ha.as_object()) {
        all.extend(ha.clone());
    }
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&out).unwrap();
    let text = serde_json::to_string_pretty(&summary).unwrap();
    std::fs::write(out.join("stream.json"), &text).unwrap();
    println!("{text}");
}

struct Relay {
    child: std::process::Child,
    base: String,
    _dir: PathBuf,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn start_relay(tag: &str) -> (Relay, String) {
    let dir = std::env::temp_dir().join(format!("deskbell-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_deskbell-relay");
    let out = Command::new(bin)
        .arg("--data")
        .arg(&dir)
        .args(["token", "add", "bench"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let mut child = Command::new(bin)
        .arg("--data")
        .arg(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DESKBELL_RELAY_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = format!("http://{}/", line.rsplit("http://").next().unwrap().trim());
    (
        Relay {
            child,
            base,
            _dir: dir,
        },
        token,
    )
}

fn payload(n: u64, pad: usize) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/freshdesk/ticket-create.json"
    );
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["data"]["ticket"]["id"] = n.into();
    v["data"]["ticket"]["description_text"] = "x".repeat(pad).into();
    serde_json::to_vec(&v).unwrap()
}

async fn healthz(c: &reqwest::Client, base: &str) {
    c.get(format!("{base}healthz"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
}

/// `per_task` requests from each of `tasks` concurrent tasks; `request`
/// makes one.
async fn concurrently<F, Fut>(tasks: u64, per_task: u64, request: F)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    request().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn post(c: &reqwest::Client, base: &str, body: Vec<u8>) -> u64 {
    let r = c
        .post(format!("{base}v1/events"))
        .bearer_auth(SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
}

/// A client that records when each id was decoded.
fn client(
    base: &str,
    token: &str,
    last: Option<u64>,
) -> (mpsc::Receiver<(u64, Instant)>, watch::Sender<bool>) {
    let endpoint = RelayEndpoint {
        base: check_url(base).unwrap(),
        fallbacks: Vec::new(),
        token: Secret::new(token),
        events: vec![],
    };
    let (tx, mut rx) = mpsc::channel(4096);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(RelayClient::new(endpoint, last).unwrap().run(tx, stop_rx));
    let (out_tx, out_rx) = mpsc::channel(1 << 17);
    tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            if let StreamOutput::Event(ev) = out {
                if deskbell_core::decode(ev.data.as_bytes()).is_ok() {
                    let _ = out_tx.send((ev.id.unwrap_or(0), Instant::now())).await;
                }
            }
        }
    });
    (out_rx, stop)
}

async fn wait_live(base: &str) {
    wait_clients(base, 1).await
}

/// Until the relay counts `n` connected stream clients (or about 30 s).
async fn wait_clients(base: &str, n: usize) {
    let c = http();
    let want = format!("deskbell_relay_clients_connected {n}");
    for _ in 0..1500 {
        let m = c
            .get(format!("{base}metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if m.lines().any(|l| l == want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run() -> serde_json::Value {
    let c = http();

    // 1. Ingest to decoded event, paced.
    let (relay, token) = start_relay("latency");
    let lat = paced_latency(&c, &relay.base, &token).await;
    let mut rtt = Vec::new();
    for _ in 0..1000 {
        let t0 = Instant::now();
        healthz(&c, &relay.base).await;
        rtt.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    rtt.sort_by(f64::total_cmp);
    drop(relay);

    // 2. Durable ingest rate at 64 concurrent senders.
    let (relay, _) = start_relay("ingest");
    let base = Arc::new(relay.base.clone());
    let senders = SENDERS;
    let ingest_s = durable_ingest_s(&c, &relay.base, 1).await;
    let t0 = Instant::now();
    concurrently(senders, INGESTS / senders, {
        let (c, base) = (c.clone(), base.clone());
        move || {
            let (c, base) = (c.clone(), base.clone());
            async move { healthz(&c, &base).await }
        }
    })
    .await;
    let healthz_s = t0.elapsed().as_secs_f64();
    let ingested = ingested();
    drop(relay);

    // 3. Replay of a backlog of 100k 3 KB events.
    let (relay, token) = start_relay("replay");
    let base = Arc::new(relay.base.clone());
    let payload_bytes = payload(1_000_000, 1600).len();
    post_distinct(&c, &base, 100_000 / senders + 1, 1_000_000, 1600).await;
    let last_id = post(&c, &base, payload(2_000_000, 1600)).await;
    let t0 = Instant::now();
    let (mut decoded, stop) = client(&relay.base, &token, Some(last_id - 100_000));
    let mut got = 0u64;
    loop {
        let (id, _) = decoded.recv().await.unwrap();
        got += 1;
        if id == last_id {
            break;
        }
    }
    let replay_s = t0.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let db = relay._dir.clone();
    let t0 = Instant::now();
    let rows = tokio::task::spawn_blocking(move || {
        let conn = deskbell_relay::log::open_reader(&db).unwrap();
        let mut after = last_id - 100_000;
        let mut n = 0;
        loop {
            let batch = deskbell_relay::log::read_after(&conn, after, 1000).unwrap();
            if batch.is_empty() {
                return n;
            }
            n += batch.len();
            after = batch.last().unwrap().id;
        }
    })
    .await
    .unwrap();
    let sqlite_s = t0.elapsed().as_secs_f64();
    drop(relay);

    // 4. Fan-out: one event to 2,000 connected clients, five times; the
    // time from the post to each client's decoded event.
    let (relay, token) = start_relay("fanout");
    let fanout = fanout_latency(&c, &relay.base, &token).await;
    drop(relay);

    serde_json::json!({
        "ingest_to_client_p50_ms": percentile(&lat, 0.5),
        "ingest_to_client_p99_ms": percentile(&lat, 0.99),
        "baseline_loopback_http_roundtrip_p50_ms": percentile(&rtt, 0.5),
        "baseline_loopback_http_roundtrip_p99_ms": percentile(&rtt, 0.99),
        "ingest_to_client_p99_vs_roundtrip_p99_ratio": percentile(&lat, 0.99) / percentile(&rtt, 0.99),
        "ingest_durable_events_per_s": ingested as f64 / ingest_s,
        "baseline_healthz_requests_per_s": ingested as f64 / healthz_s,
        "ingest_durable_vs_healthz_ratio": healthz_s / ingest_s,
        "replay_100k_s": replay_s,
        "replay_events": got,
        "replay_payload_bytes": payload_bytes,
        "baseline_sqlite_read_100k_s": sqlite_s,
        "baseline_sqlite_rows": rows,
        "replay_vs_sqlite_read_ratio": replay_s / sqlite_s,
        "concurrent_senders": senders,
        "fanout_2k_clients_p50_ms": percentile(&fanout, 0.5),
        "fanout_2k_clients_p99_ms": percentile(&fanout, 0.99),
        "fanout_2k_vs_one_client_p99_ratio": percentile(&fanout, 0.99) / percentile(&lat, 0.99),
        "fanout_clients": FANOUT_CLIENTS,
    })
}

const INGESTS: u64 = 20_000;
const SENDERS: u64 = 64;

/// How many posts `durable_ingest_s` makes.
fn ingested() -> u64 {
    (INGESTS / SENDERS) * SENDERS
}

/// Post to decoded event in one client, 1,000 paced events; sorted, in ms.
async fn paced_latency(c: &reqwest::Client, base: &str, token: &str) -> Vec<f64> {
    let (mut decoded, stop) = client(base, token, None);
    wait_live(base).await;
    let mut sent = std::collections::HashMap::new();
    for n in 0..1000u64 {
        let t0 = Instant::now();
        let id = post(c, base, payload(n, 1500)).await;
        sent.insert(id, t0);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut lat = Vec::new();
    while lat.len() < 1000 {
        let (id, t1) = decoded.recv().await.unwrap();
        if let Some(t0) = sent.get(&id) {
            lat.push((t1 - *t0).as_secs_f64() * 1000.0);
        }
    }
    let _ = stop.send(true);
    lat.sort_by(f64::total_cmp);
    lat
}

/// Seconds for `ingested()` durable posts from 64 concurrent senders.
async fn durable_ingest_s(c: &reqwest::Client, base: &str, first: u64) -> f64 {
    post_distinct(c, base, INGESTS / SENDERS, first, 1500).await
}

/// `per_sender` posts from each of 64 concurrent senders, each a distinct
/// body (the relay stores an identical retry once) numbered from `first`,
/// padded by `pad` bytes; the seconds it took.
async fn post_distinct(
    c: &reqwest::Client,
    base: &str,
    per_sender: u64,
    first: u64,
    pad: usize,
) -> f64 {
    let next = Arc::new(AtomicU64::new(first));
    let base = Arc::new(base.to_owned());
    let t0 = Instant::now();
    concurrently(SENDERS, per_sender, {
        let (c, base, next) = (c.clone(), base.clone(), next.clone());
        move || {
            let (c, base) = (c.clone(), base.clone());
            let body = payload(next.fetch_add(1, Ordering::Relaxed), pad);
            async move {
                post(&c, &base, body).await;
            }
        }
    })
    .await;
    t0.elapsed().as_secs_f64()
}

/// One event to 2,000 connected clients, five times: post to each client's
/// decoded event; sorted, in ms.
async fn fanout_latency(c: &reqwest::Client, base: &str, token: &str) -> Vec<f64> {
    let mut clients: Vec<_> = (0..FANOUT_CLIENTS)
        .map(|_| client(base, token, None))
        .collect();
    wait_clients(base, FANOUT_CLIENTS).await;
    let mut fanout = Vec::new();
    for n in 0..5u64 {
        let t0 = Instant::now();
        let id = post(c, base, payload(900_000 + n, 1500)).await;
        for (decoded, _) in clients.iter_mut() {
            loop {
                let (got, t1) = decoded.recv().await.unwrap();
                if got == id {
                    fanout.push((t1 - t0).as_secs_f64() * 1000.0);
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (_, stop) in &clients {
        let _ = stop.send(true);
    }
    fanout.sort_by(f64::total_cmp);
    fanout
}

/// One relay on a fresh 3-node cluster: the `ha_*` figures, each beside the
/// SQLite figure of the same run.
async fn ha(sqlite: &serde_json::Value) -> serde_json::Value {
    let c = http();
    let mut cluster = support::nats::Cluster::start(3);
    let log = format!("log = \"{}\"\n[nats]\nstream = \"BENCH\"\n", cluster.url());
    let init = support::relay_cli_with(&log, &["init", "--replicas", "3"]);
    assert!(init.status.success(), "{init:?}");
    let token = support::token_printed(support::relay_cli_with(&log, &["token", "add", "bench"]));
    let (dir_a, dir_b) = (
        support::TempDir::new("bench-ha-a"),
        support::TempDir::new("bench-ha-b"),
    );
    let quiet = |dir: &support::TempDir| dir.0.join("relay.log");
    let relay = support::Relay::start_on_log(&dir_a.0, &log, "", &quiet(&dir_a));
    let base = relay.base();

    let lat = paced_latency(&c, &base, &token).await;
    let ingest_rate = ingested() as f64 / durable_ingest_s(&c, &base, 10_000).await;
    // 2,000 clients of one relay: its one consumer feeds them all.
    let fanout = fanout_latency(&c, &base, &token).await;

    // Failover: events posted every 10 ms (to this relay, else a second
    // one, as a load balancer would), the stream's leader killed; the
    // longest time without a 202.
    let other = support::Relay::start_on_log(&dir_b.0, &log, "", &quiet(&dir_b));
    let relays = [base.clone(), other.base()];
    let mut last_ok = Instant::now();
    let mut longest = Duration::ZERO;
    let mut killed_at = None;
    let start = Instant::now();
    let mut n = 2_000_000u64;
    while start.elapsed() < Duration::from_secs(20) {
        if killed_at.is_none() && start.elapsed() > Duration::from_secs(3) {
            if let Some(leader) = cluster.stream_leader("BENCH") {
                cluster.kill9(leader);
                killed_at = Some(Instant::now());
            }
        }
        let body = payload(n, 500);
        let mut stored = false;
        for relay in &relays {
            let r = c
                .post(format!("{relay}v1/events"))
                .bearer_auth(SECRET)
                .timeout(Duration::from_secs(10))
                .body(body.clone())
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 202) {
                stored = true;
                break;
            }
        }
        if stored {
            n += 1;
            longest = longest.max(last_ok.elapsed());
            last_ok = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop((relay, other));

    let sq = |k: &str| sqlite[k].as_f64().unwrap_or(f64::NAN);
    serde_json::json!({
        "ha_replicas": 3,
        "ha_ingest_durable_events_per_s": ingest_rate,
        "ha_ingest_durable_vs_sqlite_ratio": ingest_rate / sq("ingest_durable_events_per_s"),
        "ha_ingest_to_client_p50_ms": percentile(&lat, 0.5),
        "ha_ingest_to_client_p99_ms": percentile(&lat, 0.99),
        "ha_ingest_to_client_p99_vs_sqlite_ratio": percentile(&lat, 0.99) / sq("ingest_to_client_p99_ms"),
        "ha_fanout_2k_clients_p99_ms": percentile(&fanout, 0.99),
        "ha_fanout_2k_vs_sqlite_ratio": percentile(&fanout, 0.99) / sq("fanout_2k_clients_p99_ms"),
        "ha_failover_s": longest.as_secs_f64(),
        "ha_failover_leader_killed": killed_at.is_some(),
    })
}
