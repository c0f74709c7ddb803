//! A real NATS JetStream cluster on loopback: Debian's `nats-server`, three
//! nodes started by the test, stopped (or killed) by pid.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TempDir;

/// A port below Linux's ephemeral range (32768 and up), so no outgoing
/// connection takes it between this check and the server's bind; handed
/// out once per process, so concurrent tests never share one.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 100) as u16 * 100,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (port - 20_000) % 12_000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub fn server_bin() -> String {
    std::env::var("DESKBELL_NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned())
}

/// The guide's production setting (fsync before acknowledging) on servers
/// that have it (2.10 and later); Debian's 2.9 refuses the key.
fn production_sync() -> &'static str {
    let version = Command::new(server_bin())
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if version.contains("v2.9.") {
        ""
    } else {
        ", sync_interval: always"
    }
}

struct Node {
    name: String,
    port: u16,
    monitor: u16,
    config: PathBuf,
    child: Option<Child>,
}

pub struct Cluster {
    nodes: Vec<Node>,
    dir: TempDir,
}

impl Cluster {
    /// `n` nodes, formed, with a JetStream meta leader.
    pub fn start(n: usize) -> Cluster {
        let dir = TempDir::new("nats");
        let routes: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let route_list = routes
            .iter()
            .map(|p| format!("\"nats://127.0.0.1:{p}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut nodes = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            let name = format!("n{}", i + 1);
            let (port, monitor) = (free_port(), free_port());
            let config = dir.0.join(format!("{name}.conf"));
            std::fs::write(
                &config,
                format!(
                    "server_name: {name}\nlisten: \"127.0.0.1:{port}\"\nhttp: \"127.0.0.1:{monitor}\"\n\
                     max_payload: 2MB\n\
                     jetstream {{ store_dir: \"{store}\"{sync} }}\n\
                     cluster {{ name: deskbell, listen: \"127.0.0.1:{route}\", routes: [{route_list}] }}\n",
                    store = dir.0.join(&name).display(),
                    sync = production_sync(),
                ),
            )
            .unwrap();
            nodes.push(Node {
                name,
                port,
                monitor,
                config,
                child: None,
            });
        }
        let mut cluster = Cluster { nodes, dir };
        for i in 0..n {
            cluster.start_node(i);
        }
        cluster.wait_for_meta_leader(Duration::from_secs(30));
        cluster
    }

    fn start_node(&mut self, i: usize) {
        let log = self.dir.0.join(format!("{}.log", self.nodes[i].name));
        let child = Command::new(server_bin())
            .arg("-c")
            .arg(&self.nodes[i].config)
            .arg("-l")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): install Debian's nats-server (scripts/setup relay)",
                    server_bin()
                )
            });
        self.nodes[i].child = Some(child);
    }

    /// `nats://` URLs of every node, comma-separated, as `--log` takes them.
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node's `/jsz` monitoring answer (HTTP/1.0 by hand: it is one GET).
    fn jsz(&self, i: usize, query: &str) -> Option<serde_json::Value> {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.nodes[i].monitor)).ok()?;
        conn.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(conn, "GET /jsz{query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).ok()?;
        let at = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
        serde_json::from_slice(&answer[at + 4..]).ok()
    }

    fn wait_for_meta_leader(&mut self, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            for node in &mut self.nodes {
                // A node that exited at once (a port taken after all).
                if let Some(Ok(Some(status))) = node.child.as_mut().map(Child::try_wait) {
                    panic!(
                        "NATS node {} exited ({status}) while the cluster formed",
                        node.name
                    );
                }
            }
            let formed = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].child.is_some())
                .all(|i| {
                    self.jsz(i, "")
                        .and_then(|v| v["meta_cluster"]["leader"].as_str().map(str::to_owned))
                        .is_some_and(|l| !l.is_empty())
                });
            if formed {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the NATS cluster did not elect a meta leader within {within:?}");
    }

    /// The index of the node leading `stream`'s replicas.
    pub fn stream_leader(&self, stream: &str) -> Option<usize> {
        for i in 0..self.nodes.len() {
            if self.nodes[i].child.is_none() {
                continue;
            }
            let Some(v) = self.jsz(i, "?accounts=true&streams=true") else {
                continue;
            };
            for account in v["account_details"].as_array().into_iter().flatten() {
                for s in account["stream_detail"].as_array().into_iter().flatten() {
                    if s["name"] == stream {
                        if let Some(leader) = s["cluster"]["leader"].as_str() {
                            return self.nodes.iter().position(|n| n.name == leader);
                        }
                    }
                }
            }
        }
        None
    }

    pub fn kill9(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = Command::new("kill")
                .args(["-9", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self, i: usize) {
        assert!(self.nodes[i].child.is_none(), "node {i} is running");
        self.start_node(i);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A failing test shows what the servers said.
        if std::thread::panicking() {
            for node in &self.nodes {
                let log = self.dir.0.join(format!("{}.log", node.name));
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                // Less the route retries to a killed node.
                let lines: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.contains("Error trying to connect to route"))
                    .collect();
                eprintln!("--- {} (last 40 lines)", log.display());
                for line in &lines[lines.len().saturating_sub(40)..] {
                    eprintln!("{line}");
                }
            }
        }
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
