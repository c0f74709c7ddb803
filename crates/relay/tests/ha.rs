//! Several relays on one JetStream cluster (three real nats-server nodes on
//! loopback), under the faults a contact center meets: the stream's leader
//! killed while events arrive, a relay killed under its desktops.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deskbell_core::pipeline::Classifier;
use deskbell_core::rules::{Identity, Rules, Verdict};
use deskbell_core::secret::Secret;
use deskbell_core::stream::backoff::Backoff;
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::StreamOutput;
use support::nats::Cluster;
use support::proxy::{Fault, FaultProxy};
use support::{http, relay_cli_with, ticket, wait, Relay, Sse, TempDir, SECRET};
use tokio::sync::{mpsc, watch};

/// These start clusters of their own, whichever log the pass gives other
/// tests: the JetStream pass of `scripts/test` need not run them again.
fn ran_in_the_first_pass() -> bool {
    support::backend::nats().is_some()
}

/// The config naming the cluster's stream; every relay of a test shares it.
fn log_config(cluster: &Cluster, stream: &str) -> String {
    format!(
        "log = \"{}\"\n[nats]\nstream = \"{stream}\"\n",
        cluster.url()
    )
}

/// `init`, then one token; the token.
fn prepare(log: &str) -> String {
    let init = relay_cli_with(log, &["init", "--replicas", "3"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    support::token_printed(relay_cli_with(log, &["token", "add", "agent-1"]))
}

/// A relay's log less its per-event lines, the last 40: what a failure shows.
fn tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("event accepted"))
        .collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A desktop's stream client on two relays (the second its fallback), and
/// what its pipeline made of each event: (id, ticket, notifications).
struct Desktop {
    seen: Arc<Mutex<Vec<(u64, u64, u64)>>>,
    stop: watch::Sender<bool>,
}

impl Desktop {
    fn start(first: &str, then: &str, token: &str, idle_secs: u64) -> Desktop {
        let endpoint = RelayEndpoint {
            base: check_url(first).unwrap(),
            fallbacks: vec![check_url(then).unwrap()],
            token: Secret::new(token),
            events: vec![],
        };
        // Retries within 5 s, not the product's minute: under the soak's
        // faults every second, the product's backoff climbs to its cap, and
        // two unlucky retries after the faults end outlast the wait for the
        // last events. What is tested here is the relays.
        let backoff = Backoff {
            cap: Duration::from_secs(5),
            ..Backoff::default()
        };
        let client = RelayClient::new(endpoint, Some(0))
            .unwrap()
            .with_idle_timeout(Duration::from_secs(idle_secs))
            .with_backoff(backoff);
        let (tx, mut rx) = mpsc::channel(1024);
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(client.run(tx, stop_rx));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = seen.clone();
        tokio::spawn(async move {
            let mut classifier = Classifier::new(Rules::default(), Identity::default());
            while let Some(out) = rx.recv().await {
                if let StreamOutput::Event(ev) = out {
                    let c = classifier.classify_bytes(ev.data.as_bytes(), chrono::Utc::now());
                    let notified = match c.verdict {
                        Some(Verdict::Notify(n)) => n.len() as u64,
                        _ => 0,
                    };
                    // Only the relay's events have ids; injected garbage
                    // has none (and must notify nobody).
                    match ev.id {
                        Some(id) => into
                            .lock()
                            .unwrap()
                            .push((id, ticket_of(&ev.data), notified)),
                        None => assert_eq!(notified, 0, "garbage notified"),
                    }
                }
            }
        });
        Desktop { seen, stop }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A 3-node cluster with `stream` made, a token, and two relays on it
/// (`extra` config for both; their logs in their data directories).
struct TwoRelays {
    cluster: Cluster,
    token: String,
    a: Relay,
    b: Relay,
    a_dir: TempDir,
    b_dir: TempDir,
}

impl TwoRelays {
    fn start(stream: &str, extra: &str) -> TwoRelays {
        let cluster = Cluster::start(3);
        let log = log_config(&cluster, stream);
        let token = prepare(&log);
        let tag = stream.to_lowercase();
        let (a_dir, b_dir) = (
            TempDir::new(&format!("{tag}-a")),
            TempDir::new(&format!("{tag}-b")),
        );
        let a = Relay::start_on_log(&a_dir.0, &log, extra, &a_dir.0.join("relay.log"));
        let b = Relay::start_on_log(&b_dir.0, &log, extra, &b_dir.0.join("relay.log"));
        TwoRelays {
            cluster,
            token,
            a,
            b,
            a_dir,
            b_dir,
        }
    }
}

/// What one POST got: a 202 with its id, or the status (0: no answer).
async fn post_once(base: &str, body: &[u8]) -> Result<(u64, bool), u16> {
    let resp = http()
        .post(format!("{base}v1/events"))
        .bearer_auth(SECRET)
        .header("content-type", "application/json")
        .timeout(Duration::from_secs(20))
        .body(body.to_vec())
        .send()
        .await
        .map_err(|_| 0u16)?;
    let status = resp.status().as_u16();
    if status != 202 {
        if status == 503 {
            assert!(
                resp.headers().contains_key("retry-after"),
                "a 503 says when to retry"
            );
        }
        return Err(status);
    }
    let v: serde_json::Value = resp.json().await.map_err(|_| 1u16)?;
    Ok((v["id"].as_u64().unwrap(), v["duplicate"] == true))
}

/// The ticket id a stored event carries (0 for anything else, such as the
/// garbage a fault proxy injects).
fn ticket_of(data: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v["data"]["ticket"]["id"].as_u64())
        .unwrap_or(0)
}

/// Reads a stream from `after` into `into` (id to ticket), reopening it
/// whenever it ends, until `stop`.
fn collect(
    base: String,
    token: String,
    into: Arc<Mutex<Vec<(u64, u64)>>>,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !*stop.borrow() {
            let last = into.lock().unwrap().last().map(|e| e.0).unwrap_or(0);
            let Ok(mut s) = Sse::open(&base, &token, Some(last), "").await else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            while let Some(e) = s.next_event(Duration::from_secs(30)).await {
                if let Some(id) = e.id.as_deref().and_then(|i| i.parse().ok()) {
                    into.lock().unwrap().push((id, ticket_of(&e.data)));
                }
                if *stop.borrow() {
                    return;
                }
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_kill_loses_no_acknowledged_event_and_retried_posts_are_stored_once() {
    if ran_in_the_first_pass() {
        return;
    }
    let TwoRelays {
        mut cluster,
        token,
        a: relay_a,
        b: relay_b,
        // Kept to the end: the relays' configs and logs are in them.
        a_dir: _a_dir,
        b_dir: _b_dir,
    } = TwoRelays::start("HA", "");

    let delivered = Arc::new(Mutex::new(Vec::new()));
    let (stop, stop_rx) = watch::channel(false);
    let reader = collect(relay_b.base(), token.clone(), delivered.clone(), stop_rx);

    // Posted through A, each until it gets its 202 (as the platform retries).
    const N: u64 = 300;
    let mut acked: BTreeMap<u64, u64> = BTreeMap::new();
    let mut refused: HashMap<u16, u32> = HashMap::new();
    let mut last_202 = Instant::now();
    let mut longest_gap = Duration::ZERO;
    let mut killed = None;
    for n in 1..=N {
        if n == 100 {
            let leader = cluster
                .stream_leader("HA")
                .expect("the stream has a leader");
            cluster.kill9(leader);
            killed = Some(leader);
        }
        let (id, refusals) = post_until_stored(&[relay_a.base()], 0, &ticket(n)).await;
        for status in refusals {
            *refused.entry(status).or_default() += 1;
        }
        acked.insert(n, id);
        longest_gap = longest_gap.max(last_202.elapsed());
        last_202 = Instant::now();
    }
    assert!(killed.is_some());
    // During the election, only "not stored, retry" answers.
    assert!(
        refused.keys().all(|s| *s == 503),
        "answers other than 202 and 503: {refused:?}"
    );

    // Everything acknowledged arrives through B, once.
    wait(Duration::from_secs(60), || {
        delivered.lock().unwrap().len() >= acked.len()
    })
    .await;
    let _ = stop.send(true);
    reader.abort();
    let delivered = delivered.lock().unwrap().clone();
    let mut ids: Vec<u64> = delivered.iter().map(|e| e.0).collect();
    ids.dedup();
    assert_eq!(ids.len(), delivered.len(), "an id delivered twice");
    let by_ticket: BTreeMap<u64, u64> = delivered.iter().map(|&(id, t)| (t, id)).collect();
    assert_eq!(
        by_ticket.len(),
        delivered.len(),
        "a ticket stored twice (a retry after a lost ack)"
    );
    assert_eq!(by_ticket, acked, "delivered through B = acknowledged by A");
    eprintln!(
        "ha: {N} events through a leader kill; longest time without a 202: {:.1} s; \
         refused meanwhile: {refused:?}",
        longest_gap.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_desktop_fails_over_to_the_next_relay_and_resumes_with_nothing_lost_or_doubled() {
    if ran_in_the_first_pass() {
        return;
    }
    let TwoRelays {
        cluster,
        token,
        a: mut relay_a,
        b: relay_b,
        // Kept to the end: the relays' configs and logs are in them.
        a_dir: _a_dir,
        b_dir: _b_dir,
    } = TwoRelays::start("FAILOVER", "");

    // The desktop's own client: A first, then B.
    let desktop = Desktop::start(&relay_a.base(), &relay_b.base(), &token, 5);
    let got = desktop.seen.clone();

    // Events go in through B (the platform's load balancer may pick either).
    let mut acked = BTreeMap::new();
    for n in 1..=100u64 {
        if n == 50 {
            // Wait until the desktop has the first half from A, then kill A.
            wait(Duration::from_secs(20), || got.lock().unwrap().len() >= 49).await;
            assert_eq!(got.lock().unwrap().len(), 49, "the first half through A");
            relay_a.kill9();
        }
        let (id, _) = post_once(&relay_b.base(), &ticket(n)).await.unwrap();
        acked.insert(n, id);
    }
    wait(Duration::from_secs(30), || {
        got.lock().unwrap().len() >= acked.len()
    })
    .await;
    drop(desktop);
    let got: Vec<(u64, u64)> = got.lock().unwrap().iter().map(|s| (s.0, s.1)).collect();
    let by_ticket: BTreeMap<u64, u64> = got.iter().map(|&(id, t)| (t, id)).collect();
    assert_eq!(
        by_ticket.len(),
        got.len(),
        "an event delivered twice: {got:?}"
    );
    assert_eq!(by_ticket, acked, "every event once, across the failover");
    drop(cluster);
}

/// Posts `body` to `relays` in turn from `first`, until one answers 202
/// (within 60 s): what the platform's retries do against a load balancer.
/// The id, and the statuses refused on the way (0: no answer).
async fn post_until_stored(relays: &[String], first: usize, body: &[u8]) -> (u64, Vec<u16>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut at = first;
    let mut refused = Vec::new();
    loop {
        match post_once(&relays[at % relays.len()], body).await {
            Ok((id, _)) => return (id, refused),
            Err(status) => {
                refused.push(status);
                assert!(
                    Instant::now() < deadline,
                    "not stored within 60 s: {refused:?}"
                );
                at += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak_ten_thousand_events_across_two_relays_under_faults_a_node_kill_and_a_relay_kill() {
    if ran_in_the_first_pass() {
        return;
    }
    let TwoRelays {
        mut cluster,
        token,
        a: mut relay_a,
        b: relay_b,
        a_dir,
        b_dir,
    } = TwoRelays::start("SOAK", "keepalive_seconds = 1");
    let proxy_a = Arc::new(FaultProxy::start(relay_a.addr.parse().unwrap()).await);
    let proxy_b = Arc::new(FaultProxy::start(relay_b.addr.parse().unwrap()).await);

    // A desktop on A, then B, through proxies that break its streams.
    let desktop = Desktop::start(&proxy_a.base(), &proxy_b.base(), &token, 2);
    let seen = desktop.seen.clone();

    let total: u64 = 10_000;
    let posters = 8u64;
    let relays = vec![relay_a.base(), relay_b.base()];
    let mut tasks = Vec::new();
    for p in 0..posters {
        let relays = relays.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in (p..total).step_by(posters as usize) {
                acked.push(post_until_stored(&relays, i as usize, &ticket(i)).await.0);
            }
            acked
        }));
    }
    let faulter = {
        let (pa, pb) = (proxy_a.clone(), proxy_b.clone());
        tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(7);
            loop {
                tokio::time::sleep(Duration::from_millis(rng.u64(300..900))).await;
                let fault = match rng.u8(0..4) {
                    0 => Fault::ResetMidEvent,
                    1 => Fault::CloseMidEvent,
                    2 => Fault::Stall,
                    _ => Fault::Inject(b"event: onTicketCreate\ndata: {oops\n\n".to_vec()),
                };
                if rng.bool() {
                    pa.fault(fault)
                } else {
                    pb.fault(fault)
                }
            }
        })
    };
    // The stream's leader goes, then relay A (and comes back).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let leader = cluster.stream_leader("SOAK").expect("a leader");
    cluster.kill9(leader);
    tokio::time::sleep(Duration::from_secs(3)).await;
    relay_a.kill9();
    tokio::time::sleep(Duration::from_secs(1)).await;
    tokio::task::block_in_place(|| relay_a.restart_as_configured());

    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    faulter.abort();
    assert_eq!(acked.len() as u64, total);
    wait(Duration::from_secs(90), || {
        seen.lock().unwrap().len() >= acked.len()
    })
    .await;
    drop(desktop);
    let seen = seen.lock().unwrap().clone();
    let ids: Vec<u64> = seen.iter().map(|s| s.0).collect();
    let notified: u64 = seen.iter().map(|s| s.2).sum();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "an event delivered twice");
    let mut want = acked.clone();
    want.sort_unstable();
    want.dedup();
    assert_eq!(want.len() as u64, total, "a ticket stored twice");
    let missing: Vec<u64> = want
        .iter()
        .filter(|id| sorted.binary_search(id).is_err())
        .copied()
        .collect();
    let extra = sorted.len() + missing.len() - want.len();
    assert!(
        missing.is_empty() && extra == 0,
        "delivered {} of {} acknowledged; missing from {:?} ({} in all); {extra} not acknowledged\n\
         relay A:\n{}\nrelay B:\n{}",
        sorted.len(),
        want.len(),
        missing.first(),
        missing.len(),
        tail(&a_dir.0.join("relay.log")),
        tail(&b_dir.0.join("relay.log"))
    );
    assert_eq!(notified, total, "one notification per ticket");
}

/// The guide's node config, as shipped, is one this server takes: minus
/// `sync_interval`, which 2.9 (Debian's) does not know and the guide says to
/// drop there.
#[test]
fn the_guides_nats_config_is_valid() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/nats-server.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    let version = std::process::Command::new(support::nats::server_bin())
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).to_string();
    let text = if version.contains("v2.9.") {
        text.lines()
            .filter(|l| !l.contains("sync_interval"))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        text
    };
    let dir = TempDir::new("nats-conf");
    let conf = dir.0.join("nats-server.conf");
    std::fs::write(&conf, text).unwrap();
    let out = std::process::Command::new(support::nats::server_bin())
        .arg("-t")
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{version}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// NATS credentials come from the environment (or a file), reach the
/// server, and never the relay's output: a wrong password is refused by
/// name, the right one works, and neither is printed.
#[test]
fn nats_credentials_come_from_the_environment_and_are_never_printed() {
    if ran_in_the_first_pass() {
        return;
    }
    let dir = TempDir::new("nats-auth");
    let port = support::nats::free_port();
    let mut server = std::process::Command::new(support::nats::server_bin())
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(dir.0.join("store"))
        .args(["--user", "relay", "--pass", "s3cret-nats-password"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let log =
        format!("log = \"nats://127.0.0.1:{port}\"\n[nats]\nstream = \"AUTH\"\nuser = \"relay\"\n");
    let config = dir.0.join("relay.toml");
    std::fs::write(&config, &log).unwrap();
    let init = |password: &str| {
        std::process::Command::new(support::bin())
            .arg("--config")
            .arg(&config)
            .args(["init", "--replicas", "1"])
            .env("DESKBELL_NATS_PASSWORD", password)
            .output()
            .unwrap()
    };
    let refused = init("wrong-password-xyz");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("connect"), "{said}");
    assert!(!said.contains("wrong-password-xyz"), "{said}");
    let made = init("s3cret-nats-password");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&made.stdout),
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(made.status.success(), "{said}");
    assert!(said.contains("AUTH: created"), "{said}");
    assert!(!said.contains("s3cret-nats-password"), "{said}");
    // Credentials in the URL are refused, and not echoed.
    let in_url = relay_cli_with(
        "log = \"nats://relay:s3cret-nats-password@127.0.0.1:4222\"\n",
        &["init"],
    );
    let said = String::from_utf8_lossy(&in_url.stderr);
    assert!(!in_url.status.success());
    assert!(said.contains("not in the URL"), "{said}");
    assert!(!said.contains("s3cret-nats-password"), "{said}");
    let _ = server.kill();
    let _ = server.wait();
}
