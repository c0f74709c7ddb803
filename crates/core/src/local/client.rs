//! The local API's clients: [`Client`] for the terminal commands (one
//! request at a time, each answered before the next is sent), and
//! [`Session`] for the window (requests from any task, answered by id,
//! while the tray's pushes arrive on a channel).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

use super::frame::{self, FrameError};
use super::{
    ClientKind, ClientMessage, ErrorBody, Outcome, Push, Reply, Request, ServerMessage, PROTOCOL,
};

/// How long a client waits for the tray's welcome or an answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the window waits for an answer: trying a connection may take
/// the probe's own 10 seconds.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Error)]
pub enum LocalError {
    #[error("Deskbell is not running (no tray answers at {0})")]
    NotRunning(PathBuf),
    #[error("cannot reach the tray at {path}: {source}")]
    Unreachable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the tray refused the connection: {0}")]
    Refused(ErrorBody),
    /// The request was refused: the tray's code and message.
    #[error("{0}")]
    Rejected(ErrorBody),
    #[error("the tray went away")]
    Gone,
    #[error("the tray did not answer within {} seconds", ANSWER_TIMEOUT.as_secs())]
    Timeout,
    #[error("the local connection broke: {0}")]
    Broken(String),
}

impl LocalError {
    pub fn code(&self) -> &str {
        match self {
            LocalError::NotRunning(_) => "tray_not_running",
            LocalError::Unreachable { .. } => "tray_unreachable",
            LocalError::Refused(e) | LocalError::Rejected(e) => &e.code,
            LocalError::Gone => "tray_gone",
            LocalError::Timeout => "tray_timeout",
            LocalError::Broken(_) => "local_connection",
        }
    }
}

impl From<FrameError> for LocalError {
    fn from(e: FrameError) -> Self {
        LocalError::Broken(e.to_string())
    }
}

pub struct Client {
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    next_id: u64,
    /// The tray's version, from its welcome.
    pub tray_version: String,
}

impl Client {
    /// Connects to the tray of this user's session.
    pub async fn connect(kind: ClientKind) -> Result<Client, LocalError> {
        Client::connect_at(&super::path::socket_path(), kind).await
    }

    pub async fn connect_at(path: &Path, kind: ClientKind) -> Result<Client, LocalError> {
        let stream = match UnixStream::connect(path).await {
            Ok(s) => s,
            // No socket, or one left by a tray that died.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(LocalError::NotRunning(path.to_owned()))
            }
            Err(source) => {
                return Err(LocalError::Unreachable {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        let (read, write) = stream.into_split();
        let mut client = Client {
            read,
            write,
            next_id: 1,
            tray_version: String::new(),
        };
        // A tray that refuses (another user, say) may say so and close
        // before the hello is written: its reason beats the broken pipe.
        let hello = client
            .send(&ClientMessage::Hello {
                protocol: PROTOCOL,
                client: kind,
            })
            .await;
        match (client.receive().await, hello) {
            (Ok(ServerMessage::Welcome { version, .. }), Ok(())) => client.tray_version = version,
            (Ok(ServerMessage::Refused { error }), _) => return Err(LocalError::Refused(error)),
            (_, Err(e)) => return Err(e),
            (Err(e), Ok(())) => return Err(e),
            (Ok(other), Ok(())) => {
                return Err(LocalError::Broken(format!(
                    "the tray answered the hello with {other:?}"
                )))
            }
        }
        Ok(client)
    }

    /// One request and its reply.
    pub async fn request(&mut self, request: Request) -> Result<Reply, LocalError> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&ClientMessage::Request { id, request }).await?;
        // A subscribed connection's pushes may come first; this client
        // has no use for them.
        let mut answer = self.receive().await?;
        while let ServerMessage::Push { .. } = answer {
            answer = self.receive().await?;
        }
        match answer {
            ServerMessage::Response {
                id: answered,
                outcome,
            } if answered == id => match outcome {
                Outcome::Ok(reply) => Ok(reply),
                Outcome::Error(e) => Err(LocalError::Rejected(e)),
            },
            ServerMessage::Refused { error } => Err(LocalError::Refused(error)),
            other => Err(LocalError::Broken(format!(
                "expected the answer to request {id}, got {other:?}"
            ))),
        }
    }

    async fn send(&mut self, message: &ClientMessage) -> Result<(), LocalError> {
        let frame = frame::encode(message)?;
        frame::write(&mut self.write, &frame).await?;
        Ok(())
    }

    async fn receive(&mut self) -> Result<ServerMessage, LocalError> {
        let body = tokio::time::timeout(ANSWER_TIMEOUT, frame::read(&mut self.read))
            .await
            .map_err(|_| LocalError::Timeout)??
            .ok_or(LocalError::Gone)?;
        Ok(frame::decode(&body)?)
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Outcome>>>>;

/// The window's connection to the tray: subscribed to its pushes, and
/// shared by every command the page sends. When the tray goes, every
/// waiting request fails with [`LocalError::Gone`] and the pushes end.
pub struct Session {
    write: tokio::sync::Mutex<OwnedWriteHalf>,
    pending: Pending,
    next_id: AtomicU64,
    closed: Arc<AtomicBool>,
    pub tray_version: String,
}

impl Session {
    /// Connects, subscribes, and hands back the pushes.
    pub async fn connect_at(
        path: &Path,
        kind: ClientKind,
    ) -> Result<(Session, mpsc::UnboundedReceiver<Push>), LocalError> {
        let mut client = Client::connect_at(path, kind).await?;
        client.request(Request::Subscribe).await?;
        let Client {
            read,
            write,
            next_id,
            tray_version,
        } = client;
        let pending: Pending = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let (pushes, pushed) = mpsc::unbounded_channel();
        tokio::spawn(read_answers(read, pending.clone(), pushes, closed.clone()));
        let session = Session {
            write: tokio::sync::Mutex::new(write),
            pending,
            next_id: AtomicU64::new(next_id),
            closed,
            tray_version,
        };
        Ok((session, pushed))
    }

    /// False once the tray went away (or closed this connection).
    pub fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }

    pub async fn request(&self, request: Request) -> Result<Reply, LocalError> {
        if !self.is_open() {
            return Err(LocalError::Gone);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id, tx);
        }
        // The reader may have ended between the check and the insert.
        if !self.is_open() {
            return Err(LocalError::Gone);
        }
        let frame = frame::encode(&ClientMessage::Request { id, request })?;
        let written = {
            let mut write = self.write.lock().await;
            frame::write(&mut *write, &frame).await
        };
        let answer = match written {
            Ok(()) => tokio::time::timeout(SESSION_TIMEOUT, rx)
                .await
                .map_err(|_| LocalError::Timeout)
                .and_then(|a| a.map_err(|_| LocalError::Gone)),
            Err(_) => Err(LocalError::Gone),
        };
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(&id);
        }
        match answer? {
            Outcome::Ok(reply) => Ok(reply),
            Outcome::Error(e) => Err(LocalError::Rejected(e)),
        }
    }
}

/// The session's one reader: answers to whoever waits for them, pushes to
/// the channel, until the tray goes or sends what cannot be read.
async fn read_answers(
    mut read: OwnedReadHalf,
    pending: Pending,
    pushes: mpsc::UnboundedSender<Push>,
    closed: Arc<AtomicBool>,
) {
    loop {
        let message = match frame::read(&mut read).await {
            Ok(Some(body)) => frame::decode::<ServerMessage>(&body),
            Ok(None) | Err(_) => break,
        };
        match message {
            Ok(ServerMessage::Response { id, outcome }) => {
                let waiting = pending.lock().ok().and_then(|mut p| p.remove(&id));
                if let Some(waiting) = waiting {
                    let _ = waiting.send(outcome);
                }
            }
            Ok(ServerMessage::Push { push }) => {
                if pushes.send(push).is_err() {
                    break;
                }
            }
            Ok(ServerMessage::Refused { error }) => {
                tracing::warn!(code = %error.code, "the tray closed the connection: {error}");
                break;
            }
            Ok(ServerMessage::Welcome { .. }) => {}
            Err(e) => {
                tracing::warn!("unreadable message from the tray: {e}");
                break;
            }
        }
    }
    closed.store(true, Ordering::Release);
    // Whoever still waits hears "gone" (their sender is dropped).
    if let Ok(mut pending) = pending.lock() {
        pending.clear();
    }
}
