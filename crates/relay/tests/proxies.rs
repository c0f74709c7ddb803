//! The shipped proxy configs (deploy/nginx.conf, deploy/Caddyfile), run for
//! real in front of a real relay: the public site serves ingress and
//! streams but never /metrics; the metrics listener serves /metrics alone.
//! Only the host name, ports and certificate paths are changed for the test.
//! Needs nginx and caddy (scripts/setup installs them): scripts/test runs it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::nats::free_port;
use support::{add_token, http as client, post, ticket, wait, Relay, Sse, TempDir, SECRET};

fn deploy(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "{from:?} is no longer in the shipped config"
    );
    text.replace(from, to)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What both proxies must do, seen from outside.
async fn check_proxy(relay: &Relay, public: &str, metrics: &str) {
    let c = client();
    let get = |url: String| {
        let c = c.clone();
        async move { c.get(url).send().await.unwrap() }
    };
    // Ingress and the stream pass through the public site...
    assert_eq!(get(format!("{public}/healthz")).await.status(), 200);
    let token = add_token(&relay.data, "agent-1");
    let mut s = Sse::open(&format!("{public}/"), &token, Some(0), "").await;
    let sent = post(&format!("{public}/"), &ticket(1))
        .await
        .expect("202 through the proxy");
    let e = s
        .as_mut()
        .expect("a stream through the proxy")
        .next_event(Duration::from_secs(10))
        .await;
    assert_eq!(e.and_then(|e| e.id), Some(sent.to_string()));
    // ...but never the metrics, however the path is spelt.
    for path in [
        "/metrics",
        "/metrics?format=text",
        "//metrics",
        "/%6detrics",
        "/metrics/",
    ] {
        let resp = get(format!("{public}{path}")).await;
        let body = resp.text().await.unwrap_or_default();
        assert!(
            !body.contains("deskbell_relay_"),
            "{public}{path} served the metrics"
        );
    }
    // The metrics listener serves them, and nothing else.
    let m = get(format!("{metrics}/metrics")).await;
    assert_eq!(m.status(), 200);
    assert!(m
        .text()
        .await
        .unwrap()
        .contains("deskbell_relay_events_in_total 1"));
    assert_eq!(get(format!("{metrics}/healthz")).await.status(), 404);
    let refused = c
        .post(format!("{metrics}/v1/events"))
        .bearer_auth(SECRET)
        .body(ticket(2))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404, "no ingress on the metrics listener");
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .arg("/CN=127.0.0.1")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    (cert, key)
}

/// nginx running `site` (server blocks, as in deploy/) from `dir`.
fn run_nginx(dir: &Path, site: &str) -> Killed {
    let d = dir.display();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n{site}\n}}\n"
        ),
    )
    .unwrap();
    Killed(
        Command::new("nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("nginx (scripts/setup installs it)"),
    )
}

/// Caddy running `site` (as in deploy/) from `dir`, https on `public`
/// with a certificate from its own CA.
fn run_caddy(dir: &Path, site: &str, public: u16) -> Killed {
    let global = format!(
        "{{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n\thttp_port {}\n\
         \thttps_port {public}\n\tstorage file_system {}\n}}\n",
        free_port(),
        dir.join("caddy-data").display()
    );
    let file = dir.join("Caddyfile");
    std::fs::write(&file, format!("{global}{site}")).unwrap();
    Killed(
        Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("caddy (scripts/setup installs it)"),
    )
}

/// The shipped nginx site with a test's port and certificate.
fn nginx_site(name: &str, public: u16, dir: &Path) -> String {
    let (cert, key) = self_signed(dir);
    let mut site = deploy(name);
    site = replace(
        &site,
        "listen 443 ssl http2;",
        &format!("listen 127.0.0.1:{public} ssl http2;"),
    );
    site = replace(
        &site,
        "/etc/letsencrypt/live/relay.acme.example/fullchain.pem",
        cert.to_str().unwrap(),
    );
    replace(
        &site,
        "/etc/letsencrypt/live/relay.acme.example/privkey.pem",
        key.to_str().unwrap(),
    )
}

#[tokio::test]
#[ignore = "needs nginx: scripts/test runs it"]
async fn nginx_as_shipped_keeps_metrics_off_the_public_site() {
    let dir = TempDir::new("nginx");
    let relay = Relay::start(&dir.0, "");
    let (public, metrics) = (free_port(), free_port());
    let mut site = nginx_site("nginx.conf", public, &dir.0);
    site = replace(
        &site,
        "listen 127.0.0.1:9187;",
        &format!("listen 127.0.0.1:{metrics};"),
    );
    site = replace(
        &site,
        "http://127.0.0.1:8787",
        &format!("http://{}", relay.addr),
    );
    let _nginx = run_nginx(&dir.0, &site);
    wait_for_port(public);
    wait_for_port(metrics);
    check_proxy(
        &relay,
        &format!("https://127.0.0.1:{public}"),
        &format!("http://127.0.0.1:{metrics}"),
    )
    .await;
}

#[tokio::test]
#[ignore = "needs caddy: scripts/test runs it"]
async fn caddy_as_shipped_keeps_metrics_off_the_public_site() {
    let dir = TempDir::new("caddy");
    let relay = Relay::start(&dir.0, "");
    let (public, metrics) = (free_port(), free_port());
    let mut site = deploy("Caddyfile");
    // An IP address gets a certificate from Caddy's own CA, as a test needs.
    site = replace(
        &site,
        "relay.acme.example {",
        &format!("https://127.0.0.1:{public} {{"),
    );
    site = replace(
        &site,
        "http://127.0.0.1:9187 {",
        &format!("http://127.0.0.1:{metrics} {{"),
    );
    site = replace(&site, "127.0.0.1:8787", &relay.addr);
    let _caddy = run_caddy(&dir.0, &site, public);
    wait_for_port(public);
    wait_for_port(metrics);
    check_proxy(
        &relay,
        &format!("https://127.0.0.1:{public}"),
        &format!("http://127.0.0.1:{metrics}"),
    )
    .await;
}

/// Two relays on one 3-node cluster, behind `proxy` (a shipped HA config,
/// started by `start` with the two relays' addresses): with one relay
/// killed, every event still goes in through the proxy and comes out of it
/// once, the stream resuming through the proxy on the other relay.
async fn check_two_relays(start: impl FnOnce(&Path, &str, &str) -> (Killed, String)) {
    let dir = TempDir::new("ha-proxy");
    let cluster = support::nats::Cluster::start(3);
    let log = format!(
        "log = \"{}\"\n[nats]\nstream = \"PROXIED\"\n",
        cluster.url()
    );
    let init = support::relay_cli_with(&log, &["init", "--replicas", "3"]);
    assert!(init.status.success(), "{init:?}");
    let token = support::token_printed(support::relay_cli_with(&log, &["token", "add", "agent-1"]));
    let (a, b) = (dir.0.join("a"), dir.0.join("b"));
    let mut relay_a = Relay::start_on_log(&a, &log, "keepalive_seconds = 1", &dir.0.join("a.log"));
    let relay_b = Relay::start_on_log(&b, &log, "keepalive_seconds = 1", &dir.0.join("b.log"));
    let (_proxy, public) = start(&dir.0, &relay_a.addr, &relay_b.addr);
    let public = format!("{public}/");

    // What comes out through the proxy, reopened from the last id whenever
    // the stream breaks (as the desktop does).
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let reader = {
        let (seen, public, token) = (seen.clone(), public.clone(), token.clone());
        tokio::spawn(async move {
            loop {
                let last = seen.lock().unwrap().last().copied().unwrap_or(0);
                let Ok(mut s) = Sse::open(&public, &token, Some(last), "").await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                while let Some(e) = s.next_event(Duration::from_secs(5)).await {
                    if let Some(id) = e.id.and_then(|i| i.parse().ok()) {
                        seen.lock().unwrap().push(id);
                    }
                }
            }
        })
    };
    let mut acked = Vec::new();
    for n in 1..=40u64 {
        if n == 21 {
            relay_a.kill9();
        }
        // Nothing is in flight when A dies (kill9 waits for it): the proxy
        // must route every POST to a live relay itself, first time.
        let id = post(&public, &ticket(n))
            .await
            .unwrap_or_else(|status| panic!("ticket {n}: {status} through the proxy"));
        acked.push(id);
    }
    wait(Duration::from_secs(30), || {
        seen.lock().unwrap().len() >= acked.len()
    })
    .await;
    reader.abort();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, acked, "every event once, in order, through the proxy");
    drop(relay_b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs caddy and nats-server: scripts/test runs it"]
async fn caddy_for_two_relays_as_shipped_survives_one() {
    check_two_relays(|dir, a, b| {
        let public = free_port();
        let mut site = deploy("ha/Caddyfile");
        site = replace(
            &site,
            "relay.acme.example {",
            &format!("https://127.0.0.1:{public} {{"),
        );
        site = replace(&site, "relay-a.acme.internal:8787", a);
        site = replace(&site, "relay-b.acme.internal:8787", b);
        let caddy = run_caddy(dir, &site, public);
        wait_for_port(public);
        (caddy, format!("https://127.0.0.1:{public}"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx and nats-server: scripts/test runs it"]
async fn nginx_for_two_relays_as_shipped_survives_one() {
    check_two_relays(|dir, a, b| {
        let public = free_port();
        let mut site = nginx_site("ha/nginx.conf", public, dir);
        site = replace(&site, "relay-a.acme.internal:8787", a);
        site = replace(&site, "relay-b.acme.internal:8787", b);
        let nginx = run_nginx(dir, &site);
        wait_for_port(public);
        (nginx, format!("https://127.0.0.1:{public}"))
    })
    .await;
}
