//! Whole-process figures for the event stream, each beside a baseline
//! measured in the same run on the same machine:
//! - ingest to decoded event in a client over loopback, 1,000 paced events
//!   (baseline: a bare loopback HTTP round trip to /healthz);
//! - durable ingests per second (baseline: the same number of /healthz
//!   round trips at the same concurrency);
//! - replay of a 100,000-event backlog of 3 KB payloads to the last event
//!   decoded (baseline: reading the same rows straight from SQLite);
//! - fan-out of one event to 2,000 connected clients, post to each client's
//!   decoded event (baseline: the one-client latency of the first figure).
//!
//! Run: cargo bench -p deskbell-relay --bench stream_harness
//! Writes target/bench/stream.json. Not a test: nothing here can fail CI.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deskbell_core::secret::Secret;
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::StreamOutput;
use tokio::sync::{mpsc, watch};

const SECRET: &str = "bench-secret";
const FANOUT_CLIENTS: usize = 2000;

fn main() {
    // `cargo bench` passes --bench; a filter argument is ignored here.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let summary = rt.block_on(run());
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
    let (mut decoded, stop) = client(&relay.base, &token, None);
    wait_live(&relay.base).await;
    let mut sent = std::collections::HashMap::new();
    for n in 0..1000u64 {
        let t0 = Instant::now();
        let id = post(&c, &relay.base, payload(n, 1500)).await;
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
    let n_total = 20_000u64;
    let senders = 64u64;
    let body = Arc::new(payload(1, 1500));
    let t0 = Instant::now();
    concurrently(senders, n_total / senders, {
        let (c, base, body) = (c.clone(), base.clone(), body.clone());
        move || {
            let (c, base, body) = (c.clone(), base.clone(), body.clone());
            async move {
                post(&c, &base, body.to_vec()).await;
            }
        }
    })
    .await;
    let ingest_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    concurrently(senders, n_total / senders, {
        let (c, base) = (c.clone(), base.clone());
        move || {
            let (c, base) = (c.clone(), base.clone());
            async move { healthz(&c, &base).await }
        }
    })
    .await;
    let healthz_s = t0.elapsed().as_secs_f64();
    let ingested = (n_total / senders) * senders;
    drop(relay);

    // 3. Replay of a backlog of 100k 3 KB events.
    let (relay, token) = start_relay("replay");
    let base = Arc::new(relay.base.clone());
    let body = Arc::new(payload(2, 1600));
    let payload_bytes = body.len();
    concurrently(senders, 100_000 / senders + 1, {
        let (c, base, body) = (c.clone(), base.clone(), body.clone());
        move || {
            let (c, base, body) = (c.clone(), base.clone(), body.clone());
            async move {
                post(&c, &base, body.to_vec()).await;
            }
        }
    })
    .await;
    let last_id = post(&c, &base, body.to_vec()).await;
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
    let mut clients: Vec<_> = (0..FANOUT_CLIENTS)
        .map(|_| client(&relay.base, &token, None))
        .collect();
    wait_clients(&relay.base, FANOUT_CLIENTS).await;
    let mut fanout = Vec::new();
    for n in 0..5u64 {
        let t0 = Instant::now();
        let id = post(&c, &relay.base, payload(n, 1500)).await;
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
