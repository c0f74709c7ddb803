//! The relay as a real process on loopback, and helpers to talk to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use deskbell_core::stream::sse::{Frame, SseParser};

pub mod api_double;
pub mod nats;
pub mod proxy;

pub const SECRET: &str = "ingress-secret-for-tests";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_deskbell-relay")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scratch directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "deskbell-relay-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Relay {
    child: Child,
    pub addr: String,
    pub data: PathBuf,
    config: PathBuf,
}

impl Relay {
    /// Starts `deskbell-relay serve` on a free loopback port.
    pub fn start(data: &Path, extra_config: &str) -> Relay {
        Relay::start_on(data, "127.0.0.1:0", extra_config)
    }

    pub fn start_on(data: &Path, listen: &str, extra_config: &str) -> Relay {
        Relay::spawn(data, listen, extra_config, "warn", Stdio::inherit())
    }

    /// Starts with `RUST_LOG=info` and its log (stderr) appended to `log`.
    pub fn start_logged(data: &Path, extra_config: &str, log: &Path) -> Relay {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        Relay::spawn(data, "127.0.0.1:0", extra_config, "info", Stdio::from(file))
    }

    /// Starts on a log the test names (`log = ...` and `[nats]` in
    /// `log_config`), whatever the pass: several relays on one cluster.
    /// The stream must exist (`relay_cli_with`'s `init`).
    pub fn start_on_log(data: &Path, log_config: &str, extra_config: &str, log: &Path) -> Relay {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        Relay::spawn_with(
            data,
            "127.0.0.1:0",
            &format!("ingress_secret = \"{SECRET}\"\n{extra_config}\n{log_config}\n"),
            "info",
            Stdio::from(file),
        )
    }

    fn spawn(data: &Path, listen: &str, extra_config: &str, level: &str, stderr: Stdio) -> Relay {
        let config = format!(
            "ingress_secret = \"{SECRET}\"\n{}{extra_config}\n{}",
            backend::top(data),
            backend::tables(data)
        );
        std::fs::create_dir_all(data).unwrap();
        std::fs::write(data.join("extra.toml"), extra_config).unwrap();
        backend::init(data, &config_file(data, &config));
        Relay::spawn_with(data, listen, &config, level, stderr)
    }

    fn spawn_with(
        data: &Path,
        listen: &str,
        config_text: &str,
        level: &str,
        stderr: Stdio,
    ) -> Relay {
        let config = config_file(data, config_text);
        let mut child = Command::new(bin())
            .args([
                "--data",
                data.to_str().unwrap(),
                "serve",
                "--listen",
                listen,
                "--config",
                config.to_str().unwrap(),
            ])
            .env_remove("DESKBELL_RELAY_SECRET")
            .env_remove("DESKBELL_RELAY_SECRET_PREVIOUS")
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("relay printed its address");
        let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
        Relay {
            child,
            addr,
            data: data.to_owned(),
            config,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill9(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Starts again on the same address with the same config file, as
    /// after a crash (for relays started with [`Relay::start_on_log`]).
    /// Its log goes on in `relay.log` beside the config, where
    /// `start_on_log`'s callers keep it, so a failure shows both lives.
    pub fn restart_as_configured(&mut self) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let addr = self.addr.clone();
        let log = self.data.join("relay.log");
        let stderr = match std::fs::OpenOptions::new().append(true).open(&log) {
            Ok(file) => ("info", Stdio::from(file)),
            Err(_) => ("warn", Stdio::inherit()),
        };
        *self = Relay::spawn_with(&self.data, &addr, &text, stderr.0, stderr.1);
    }

    /// Starts again on the same address and data, as after a crash.
    pub fn restart(&mut self) {
        let extra = std::fs::read_to_string(self.data.join("extra.toml")).unwrap_or_default();
        let addr = self.addr.clone();
        *self = Relay::start_on(&self.data, &addr, &extra);
    }
}

fn config_file(data: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(data).unwrap();
    let config = data.join("relay.toml");
    std::fs::write(&config, text).unwrap();
    config
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which log the relays under test keep. Unset, SQLite in each data
/// directory; with `DESKBELL_TEST_NATS` (a running cluster's URLs, as
/// `scripts/test` sets it for the second pass), a JetStream stream per data
/// directory on that cluster: the same tests, the other backend.
pub mod backend {
    use std::path::Path;
    use std::process::Command;

    pub fn nats() -> Option<String> {
        std::env::var("DESKBELL_TEST_NATS")
            .ok()
            .filter(|s| !s.is_empty())
    }

    /// A test that only means something for the SQLite log (backup, restore,
    /// the data directory's lock) says so and passes in the JetStream pass.
    pub fn sqlite_only(what: &str) -> bool {
        if nats().is_some() {
            eprintln!("{what}: SQLite only; this pass keeps the log in JetStream");
            return false;
        }
        true
    }

    /// One stream per data directory: a restarted relay finds its log again.
    pub fn stream(data: &Path) -> String {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in data.as_os_str().as_encoded_bytes() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        format!("T{h:016x}")
    }

    /// Config lines before any table.
    pub fn top(data: &Path) -> String {
        let _ = data;
        nats()
            .map(|url| format!("log = \"{url}\"\n"))
            .unwrap_or_default()
    }

    /// Config tables after the test's own.
    pub fn tables(data: &Path) -> String {
        nats()
            .map(|_| format!("[nats]\nstream = \"{}\"\n", stream(data)))
            .unwrap_or_default()
    }

    /// The config the admin commands read: just where the log is.
    pub fn admin_config(data: &Path) -> Option<std::path::PathBuf> {
        nats()?;
        let path = data.join("backend.toml");
        if !path.exists() {
            std::fs::create_dir_all(data).unwrap();
            std::fs::write(&path, format!("{}{}", top(data), tables(data))).unwrap();
        }
        // Not over a relay's own init: that one carries its retention.
        if !data.join(INITIALISED).exists() {
            init(data, &path);
        }
        Some(path)
    }

    /// `deskbell-relay init` with `config` (idempotent: retention changes apply).
    pub fn init(data: &Path, config: &Path) {
        if nats().is_none() {
            return;
        }
        let out = Command::new(super::bin())
            .arg("--data")
            .arg(data)
            .arg("--config")
            .arg(config)
            .args(["init", "--replicas", "3"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(data.join(INITIALISED), "").unwrap();
    }

    const INITIALISED: &str = "stream-initialised";

    /// Takes the log away from under a running relay: the SQLite files
    /// removed, or the stream deleted from the cluster.
    pub async fn break_log(data: &Path) {
        match nats() {
            None => {
                for file in ["relay.sqlite3", "relay.sqlite3-wal", "relay.sqlite3-shm"] {
                    let _ = std::fs::remove_file(data.join(file));
                }
            }
            Some(url) => {
                let servers: Vec<&str> = url.split(',').collect();
                let client = async_nats::connect(servers.as_slice()).await.unwrap();
                async_nats::jetstream::new(client)
                    .delete_stream(stream(data))
                    .await
                    .unwrap();
            }
        }
    }

    /// What `/metrics` calls the backend.
    pub fn kind() -> &'static str {
        if nats().is_some() {
            "jetstream"
        } else {
            "sqlite"
        }
    }

    /// Every file the log's store keeps on disk: the SQLite file, or all of
    /// the cluster's (`DESKBELL_TEST_NATS_DIR`, set beside the URL).
    pub fn store_files(data: &Path) -> Vec<std::path::PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        match nats() {
            None => vec![data.join("relay.sqlite3")],
            Some(_) => {
                let dir = std::env::var("DESKBELL_TEST_NATS_DIR")
                    .expect("DESKBELL_TEST_NATS_DIR: where the cluster keeps its files");
                let mut out = Vec::new();
                walk(Path::new(&dir), &mut out);
                assert!(!out.is_empty(), "no files under {dir}");
                out
            }
        }
    }
}

/// Polls `f` until it holds or `timeout` passes; whether it held.
pub async fn wait(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}

/// The admin command for `data`'s relay, with its log's config.
fn admin(data: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("--data").arg(data);
    if let Some(config) = backend::admin_config(data) {
        cmd.arg("--config").arg(config);
    }
    cmd
}

/// `deskbell-relay token add NAME`; the token is the last line printed.
pub fn add_token(data: &Path, name: &str) -> String {
    token_printed(admin(data).args(["token", "add", name]).output().unwrap())
}

/// The token `token add` printed: its last line, once it succeeded.
pub fn token_printed(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}

/// An admin command with an explicit config (text), whatever the pass.
pub fn relay_cli_with(config_text: &str, args: &[&str]) -> std::process::Output {
    let dir = TempDir::new("admin-config");
    let config = dir.0.join("relay.toml");
    std::fs::write(&config, config_text).unwrap();
    Command::new(bin())
        .arg("--config")
        .arg(&config)
        .args(args)
        .output()
        .unwrap()
}

pub fn relay_cli(data: &Path, args: &[&str]) -> std::process::Output {
    admin(data).args(args).output().unwrap()
}

/// The tests' client. It takes any certificate: the proxy tests put TLS
/// with a throwaway certificate in front of the relay.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

/// Posts a payload; `Ok(id)` on 202, `Err(status)` otherwise.
/// The relay's `/metrics` text.
pub async fn metrics(relay: &Relay) -> String {
    http()
        .get(relay.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn post(relay_base: &str, body: &[u8]) -> Result<u64, u16> {
    let resp = http()
        .post(format!("{relay_base}v1/events"))
        .bearer_auth(SECRET)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .map_err(|_| 0u16)?;
    if resp.status().as_u16() != 202 {
        return Err(resp.status().as_u16());
    }
    let v: serde_json::Value = resp.json().await.map_err(|_| 1u16)?;
    Ok(v["id"].as_u64().unwrap())
}

/// A ticket payload whose id makes it a distinct event.
/// An agent update fixture with its own time set to `at` (epoch seconds)
/// and, when given, another agent id.
pub fn agent_update(fixture_name: &str, at: f64, id: Option<u64>) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&fixture(fixture_name)).unwrap();
    v["timestamp"] = serde_json::json!(at);
    if let Some(id) = id {
        v["data"]["agent"]["id"] = serde_json::json!(id);
        v["data"]["agent"]["user_id"] = serde_json::json!(id + 4000);
    }
    serde_json::to_vec(&v).unwrap()
}

pub fn ticket(n: u64) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&fixture("freshdesk/ticket-create.json")).unwrap();
    v["data"]["ticket"]["id"] = serde_json::json!(n);
    serde_json::to_vec(&v).unwrap()
}

/// An open SSE stream read with the core's parser.
pub struct Sse {
    resp: reqwest::Response,
    parser: SseParser,
    frames: std::collections::VecDeque<Frame>,
}

impl Sse {
    pub async fn open(
        base: &str,
        token: &str,
        last_id: Option<u64>,
        query: &str,
    ) -> Result<Sse, u16> {
        let mut req = http()
            .get(format!("{base}v1/stream{query}"))
            .bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.map_err(|_| 0u16)?;
        if !resp.status().is_success() {
            return Err(resp.status().as_u16());
        }
        Ok(Sse {
            resp,
            parser: SseParser::new(2 << 20),
            frames: Default::default(),
        })
    }

    /// The next frame, or `None` when the stream ended or `timeout` passed.
    pub async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(f) = self.frames.pop_front() {
                return Some(f);
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .ok()?
                .ok()??;
            let mut out = Vec::new();
            self.parser.push(&chunk, &mut out);
            self.frames.extend(out);
        }
    }

    /// The next event (skipping comments and retry), or `None`.
    pub async fn next_event(
        &mut self,
        timeout: Duration,
    ) -> Option<deskbell_core::stream::sse::SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await? {
                Frame::Event(e) => return Some(e),
                _ => continue,
            }
        }
    }

    /// True once the server ended the stream within `timeout`.
    pub async fn ends_within(&mut self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => continue,
                Ok(_) => return true,
            }
        }
    }
}
