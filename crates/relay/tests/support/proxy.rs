//! A TCP proxy on loopback that injects faults into the relay-to-client
//! direction of the connections open when a fault is ordered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward half of the next chunk that carries an event, then RST.
    ResetMidEvent,
    /// Forward half of the next chunk that carries an event, then FIN.
    CloseMidEvent,
    /// Stop forwarding; keep the connection open (half-open, to the client).
    Stall,
    /// Forward one byte per second.
    Trickle,
    /// Write these bytes at the next event boundary.
    Inject(Vec<u8>),
    /// Write these bytes after the first chunk, then close.
    InjectThenClose(Vec<u8>),
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    faults: broadcast::Sender<Fault>,
    on_connect: Arc<Mutex<Option<Fault>>>,
    connections: Arc<AtomicU64>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (faults, _) = broadcast::channel(64);
        let on_connect = Arc::new(Mutex::new(None));
        let connections = Arc::new(AtomicU64::new(0));
        let (f, oc, n) = (faults.clone(), on_connect.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                n.fetch_add(1, Ordering::Relaxed);
                let first = oc.lock().unwrap().clone();
                tokio::spawn(pump(client, upstream, f.subscribe(), first));
            }
        });
        FaultProxy {
            addr,
            faults,
            on_connect,
            connections,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Applies to every connection open now.
    pub fn fault(&self, fault: Fault) {
        let _ = self.faults.send(fault);
    }

    /// Applies to every new connection until cleared.
    pub fn on_connect(&self, fault: Option<Fault>) {
        *self.on_connect.lock().unwrap() = fault;
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

#[derive(PartialEq)]
enum Mode {
    Pass,
    Stall,
    Trickle,
}

async fn pump(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut faults: broadcast::Receiver<Fault>,
    first: Option<Fault>,
) {
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return; // the relay is down: the client sees the connection drop
    };
    let mut mode = Mode::Pass;
    let mut break_mid_event: Option<bool> = None;
    let mut at_boundary = true;
    let mut injections: Vec<Vec<u8>> = Vec::new();
    let mut close_after_first: Option<Vec<u8>> = match first {
        Some(Fault::InjectThenClose(b)) => Some(b),
        _ => None,
    };
    let (mut cbuf, mut ubuf) = (vec![0u8; 16 * 1024], vec![0u8; 64 * 1024]);
    loop {
        tokio::select! {
            f = faults.recv() => match f {
                Ok(Fault::ResetMidEvent) => break_mid_event = Some(true),
                Ok(Fault::CloseMidEvent) => break_mid_event = Some(false),
                Ok(Fault::Stall) => mode = Mode::Stall,
                Ok(Fault::Trickle) => mode = Mode::Trickle,
                Ok(Fault::Inject(b)) => injections.push(b),
                Ok(Fault::InjectThenClose(b)) => close_after_first = Some(b),
                Err(_) => {}
            },
            r = client.read(&mut cbuf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => if up.write_all(&cbuf[..n]).await.is_err() { return },
            },
            r = up.read(&mut ubuf), if mode != Mode::Stall => {
                let n = match r { Ok(0) | Err(_) => { let _ = client.shutdown().await; return } Ok(n) => n };
                let data = &ubuf[..n];
                if let Some(reset) = break_mid_event {
                    if data.windows(5).any(|w| w == b"data:") {
                        let _ = client.write_all(&data[..n / 2]).await;
                        let _ = client.flush().await;
                        if reset {
                            #[allow(deprecated)]
                            let _ = client.set_linger(Some(Duration::ZERO));
                        } else {
                            let _ = client.shutdown().await;
                        }
                        return;
                    }
                }
                if mode == Mode::Trickle {
                    for b in data {
                        if client.write_all(std::slice::from_ref(b)).await.is_err() { return }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                } else if client.write_all(data).await.is_err() {
                    return;
                }
                // The relay answers with HTTP/1.1 chunks; an event boundary is
                // the end of a chunk whose payload ends in a blank line.
                at_boundary = data.ends_with(b"\n\n\r\n");
                if let Some(bytes) = close_after_first.take() {
                    let _ = client.write_all(&chunk(&bytes)).await;
                    let _ = client.shutdown().await;
                    return;
                }
            }
        }
        if at_boundary && mode == Mode::Pass {
            for bytes in injections.drain(..) {
                if client.write_all(&chunk(&bytes)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Bytes as one HTTP/1.1 chunk, so they arrive inside the stream's body.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}
