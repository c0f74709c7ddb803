//! The log behind the relay's HTTP layer, as one interface: append, read
//! after an id, follow live, the bounds, the team's state, tokens. The HTTP
//! layer (`server.rs`) holds an `Arc<dyn EventLog>` and nothing else of the
//! storage. [`SqliteLog`] is the embedded default; a distributed log (NATS
//! JetStream, issue 13) implements the same trait.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::log::{self, Appended, LogError, Once, Stored, TeamMember, Writer};
use crate::tokens::{self, Redeemed, TokenOwner};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An event to append, as ingress decoded it.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub name: String,
    /// One-line JSON.
    pub data: String,
    /// Stored once while its key is remembered (a missed call's second copy).
    pub once: Option<Once>,
    /// An agent's state, kept past the log's retention.
    pub team: Option<TeamMember>,
}

impl NewEvent {
    /// The same for a retried POST of the same body: each backend stores
    /// one event per key within [`RETRY_WINDOW_SECS`].
    pub fn retry_key(&self) -> String {
        format!("b{}", digest(&[self.name.as_bytes(), self.data.as_bytes()]))
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// 128 bits of SHA-256 over `parts` (each length-prefixed, so no two
/// splits of the same bytes agree), in hex: a key for a body or a name.
pub(crate) fn digest(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex(&h.finalize()[..16])
}

/// How long a body is remembered to answer its retries: past the platform's
/// three retries of one POST.
pub const RETRY_WINDOW_SECS: i64 = 15 * 60;

/// Whether the log answers a read, and its token store a lookup, within
/// `within`: what `/healthz` and `/metrics` say of it. (A relay still
/// reading a shared token store cannot serve streams yet.)
pub async fn reachable(log: &dyn EventLog, within: std::time::Duration) -> bool {
    let both = async {
        log.bounds().await.is_ok() && log.token_owner(crate::tokens::TOKEN_PREFIX).await.is_ok()
    };
    matches!(tokio::time::timeout(within, both).await, Ok(true))
}

/// The ids the log holds: the oldest still kept (none when it is empty) and
/// the newest ever given (0 before the first event; it never goes back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub first: Option<u64>,
    pub last: u64,
}

pub trait EventLog: Send + Sync + 'static {
    /// What keeps the log, for `/metrics`: "sqlite", "jetstream".
    fn kind(&self) -> &'static str;

    /// Stores one event; resolves once it is durable, with its id. A keyed
    /// event already stored answers with the stored one's id.
    fn append(&self, event: NewEvent) -> BoxFuture<'_, Result<Appended, LogError>>;

    fn bounds(&self) -> BoxFuture<'_, Result<Bounds, LogError>>;

    /// Up to `limit` events with ids above `after`, in id order.
    fn read_after(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Stored>, LogError>>;

    /// Each agent's latest state (one-line JSON payloads).
    fn team(&self) -> BoxFuture<'_, Result<Vec<String>, LogError>>;

    /// Whom the live token belongs to; `None` when it is unknown or revoked.
    fn token_owner(&self, token: &str) -> BoxFuture<'_, Result<Option<TokenOwner>, LogError>>;

    /// Exchanges an invitation code for a new token, once; `now` in Unix
    /// seconds. Refusals are `LogError::Tokens` (`InviteUnknown`,
    /// `InviteUsed`, `InviteExpired`, `Exists`) and change nothing.
    fn redeem(&self, code: &str, now: i64) -> BoxFuture<'_, Result<Redeemed, LogError>>;

    /// Events as they are committed, in id order. A receiver that lags or
    /// sees a gap reads it back with `read_after`.
    fn follow(&self) -> broadcast::Receiver<Arc<Stored>>;
}

/// The log in SQLite in the data directory: one writer thread, a reader
/// connection per read (WAL lets them read while it writes).
pub struct SqliteLog {
    data_dir: PathBuf,
    writer: Writer,
    live: broadcast::Sender<Arc<Stored>>,
}

impl SqliteLog {
    /// Over a started writer; `live` is the sender the writer publishes to.
    pub fn new(data_dir: PathBuf, writer: Writer, live: broadcast::Sender<Arc<Stored>>) -> Self {
        SqliteLog {
            data_dir,
            writer,
            live,
        }
    }

    /// Runs a read on a fresh reader connection, off the async workers.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, LogError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, LogError>> {
        let dir = self.data_dir.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || f(&log::open_reader(&dir)?))
                .await
                .map_err(|_| LogError::ReadStopped)?
        })
    }
}

impl EventLog for SqliteLog {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn append(&self, event: NewEvent) -> BoxFuture<'_, Result<Appended, LogError>> {
        let retry_key = event.retry_key();
        Box::pin(
            self.writer
                .append(event.name, event.data, event.once, event.team, retry_key),
        )
    }

    fn bounds(&self) -> BoxFuture<'_, Result<Bounds, LogError>> {
        self.read(|c| log::bounds(c).map(|(first, last)| Bounds { first, last }))
    }

    fn read_after(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Stored>, LogError>> {
        self.read(move |c| log::read_after(c, after, limit))
    }

    fn team(&self) -> BoxFuture<'_, Result<Vec<String>, LogError>> {
        self.read(log::team)
    }

    fn token_owner(&self, token: &str) -> BoxFuture<'_, Result<Option<TokenOwner>, LogError>> {
        let token = token.to_owned();
        self.read(move |c| tokens::verify(c, &token).map_err(LogError::from))
    }

    fn redeem(&self, code: &str, now: i64) -> BoxFuture<'_, Result<Redeemed, LogError>> {
        let (code, dir) = (code.to_owned(), self.data_dir.clone());
        // A connection of its own beside the writer's, as the admin's
        // commands use: WAL lets one wait for the other.
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = log::open(&dir)?;
                tokens::redeem(&mut conn, &code, now).map_err(LogError::from)
            })
            .await
            .map_err(|_| LogError::ReadStopped)?
        })
    }

    fn follow(&self) -> broadcast::Receiver<Arc<Stored>> {
        self.live.subscribe()
    }
}
