//! The local API's client, for the terminal commands: one connection, one
//! request at a time, each answered before the next is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;

use super::frame::{self, FrameError};
use super::{
    ClientKind, ClientMessage, ErrorBody, Outcome, Reply, Request, ServerMessage, PROTOCOL,
};

/// How long a client waits for the tray's welcome or an answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

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
