//! A relay behind a certificate this machine does not trust (a private CA
//! not installed, a self-signed test certificate): the probe and the live
//! client both say it is the certificate, and which check failed, instead
//! of a bare "reconnecting". The server is a real TLS server, `openssl
//! s_server`, with a certificate from a private CA made for the test.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deskbell_core::config::AccountConfig;
use deskbell_core::secret::Secret;
use deskbell_core::stream::probe::{probe, ProbeError};
use deskbell_core::stream::relay_client::{RelayClient, RelayEndpoint};
use deskbell_core::stream::{ConnectionState, StreamOutput};
use tokio::sync::{mpsc, watch};

struct TlsServer {
    child: Child,
    port: u16,
    _dir: std::path::PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (scripts/setup relay installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `openssl s_server` on a free loopback port with a certificate for
/// `localhost` from a fresh private CA.
fn untrusted_server() -> TlsServer {
    let dir = std::env::temp_dir().join(format!("deskbell-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A private CA this machine does not trust, and the server's
    // certificate it issued: what a helpdesk behind its own CA runs.
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=Acme Private CA",
        ],
    );
    openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n",
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server", "-quiet", "-www", "-cert", "cert.pem", "-key", "key.pem",
        ])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let server = TlsServer {
        child,
        port,
        _dir: dir,
    };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "s_server did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[tokio::test]
async fn an_untrusted_certificate_is_named_by_the_probe_and_the_live_client() {
    let server = untrusted_server();
    let url = format!("https://localhost:{}/", server.port);

    let account = AccountConfig::Relay {
        name: "acme".into(),
        url: url.clone(),
        domains: Vec::new(),
    };
    let refused = probe(&account, &Secret::new("dbr_x".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "probe_untrusted_certificate", "{refused}");
    assert!(matches!(refused, ProbeError::Untrusted { .. }));
    let message = refused.to_string();
    assert!(
        message.contains("certificate is not trusted") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(
        !refused.is_refused(),
        "not the token's fault: saved with a warning"
    );

    let endpoint = RelayEndpoint {
        base: url.parse().unwrap(),
        token: Secret::new("dbr_x".to_owned()),
        events: Vec::new(),
    };
    let client = RelayClient::new(endpoint, None).unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stop_rx) = watch::channel(false);
    let run = tokio::spawn(client.run(tx, stop_rx));
    let reason = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match rx.recv().await {
                Some(StreamOutput::State(ConnectionState::BackingOff { reason, .. })) => {
                    break reason
                }
                Some(_) => continue,
                None => panic!("the client ended"),
            }
        }
    })
    .await
    .expect("a backing-off state");
    assert_eq!(
        reason, "the server's certificate is not trusted (UnknownIssuer)",
        "the reason an agent sees in the tray and the window"
    );
    let _ = stop.send(true);
    let _ = run.await;
}
