//! The durable log: SQLite in WAL mode, `synchronous = FULL`, so an event
//! acknowledged to the sender survives `kill -9` and power loss. One writer
//! thread commits ingests in batches (group commit); readers open their own
//! connections (WAL lets them read while it writes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use thiserror::Error;
use tokio::sync::{broadcast, oneshot};

use crate::config::Retention;

#[derive(Debug, Error)]
pub enum LogError {
    #[error("log database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("log: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the log writer has stopped")]
    WriterGone,
    #[error("committing to the log failed: {0}")]
    Commit(String),
    #[error("{0} exists; choose a new file for the backup")]
    Exists(PathBuf),
    #[error("{0} is not a UTF-8 path")]
    NotUtf8(PathBuf),
    #[error("{0} is not a Deskbell relay backup (integrity check or tables)")]
    NotABackup(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    Locked(#[from] crate::lock::LockError),
    #[error(transparent)]
    Tokens(#[from] crate::tokens::TokenError),
    #[error("a log read stopped before it finished")]
    ReadStopped,
    #[error("JetStream, {what}: {message}")]
    Nats { what: &'static str, message: String },
    /// Not stored: ingress answers 503 and the sender retries.
    #[error("JetStream did not acknowledge the event: {0}")]
    Unavailable(String),
    #[error(
        "{0} does not exist in JetStream: create it with `deskbell-relay init --log nats://...`"
    )]
    NotInitialised(String),
    #[error("the relay is still reading the {0} bucket")]
    CatchingUp(&'static str),
}

/// One stored event, as the stream sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: u64,
    pub name: String,
    /// One-line JSON.
    pub data: String,
}

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.sqlite3")
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_received_at ON events(received_at);
CREATE TABLE IF NOT EXISTS once_keys (
    key TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS team (
    agent TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL,
    stamp INTEGER,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS invites (
    hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
";

/// Columns added after a table first shipped: added to an older log when
/// it is opened.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[("tokens", "email", "TEXT")];

fn add_missing_columns(conn: &Connection) -> Result<(), rusqlite::Error> {
    for (table, column, ty) in ADDED_COLUMNS {
        let has: bool = conn.query_row(
            &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {ty}"))?;
        }
    }
    Ok(())
}

pub fn open(data_dir: &Path) -> Result<Connection, LogError> {
    let path = db_path(data_dir);
    let open = || -> Result<Connection, rusqlite::Error> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        add_missing_columns(&conn)?;
        Ok(conn)
    };
    open().map_err(|source| LogError::Open { path, source })
}

/// A consistent copy of the whole log (events and token hashes) in `to`,
/// taken while the relay runs: SQLite's `VACUUM INTO` reads one snapshot.
/// The file is the owner's alone (mode 600): it holds the token hashes.
pub fn backup(data_dir: &Path, to: &Path) -> Result<(), LogError> {
    let target = to
        .to_str()
        .ok_or_else(|| LogError::NotUtf8(to.to_owned()))?;
    let conn = open_reader(data_dir)?;
    // Created empty first, with its mode, and never over an existing file;
    // `VACUUM INTO` fills an empty file.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(to) {
        Ok(file) => drop(file),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(LogError::Exists(to.to_owned()))
        }
        Err(e) => return Err(LogError::Io(to.to_owned(), e)),
    }
    if let Err(e) = conn.execute("VACUUM INTO ?1", [target]) {
        let _ = std::fs::remove_file(to);
        return Err(e.into());
    }
    Ok(())
}

/// Puts a backup in place as the data dir's log, an existing log kept
/// beside it, never overwritten. Refused while a relay serves from the data
/// dir: it would go on writing into the file moved aside, and what it
/// acknowledged meanwhile would be gone after its next restart.
pub fn restore(data_dir: &Path, from: &Path) -> Result<Option<PathBuf>, LogError> {
    let _lock = crate::lock::acquire(data_dir)?;
    let check =
        Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            LogError::Open {
                path: from.to_owned(),
                source,
            }
        })?;
    let verdict: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    let tables: i64 = check.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'tokens')",
        [],
        |r| r.get(0),
    )?;
    if verdict != "ok" || tables != 2 {
        return Err(LogError::NotABackup(from.to_owned()));
    }
    drop(check);
    std::fs::create_dir_all(data_dir).map_err(|e| LogError::Io(data_dir.to_owned(), e))?;
    let live = db_path(data_dir);
    let kept = if live.exists() {
        let aside = live.with_extension(format!("sqlite3.before-restore-{}", now_secs()));
        std::fs::rename(&live, &aside).map_err(|e| LogError::Io(live.clone(), e))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", live.display()));
            if side.exists() {
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&side, &to).map_err(|e| LogError::Io(side.clone(), e))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::copy(from, &live).map_err(|e| LogError::Io(live.clone(), e))?;
    // Desktops may have seen ids past the backup's last; new ids start well
    // beyond, so no desktop skips a new event as one it already had.
    let conn = open(data_dir)?;
    conn.execute(
        "UPDATE sqlite_sequence SET seq = seq + ?1 WHERE name = 'events'",
        [RESTORE_ID_GAP],
    )?;
    Ok(kept)
}

/// How far new event ids jump after a restore.
pub const RESTORE_ID_GAP: i64 = 1_000_000;

/// A read-only connection for replays.
pub fn open_reader(data_dir: &Path) -> Result<Connection, LogError> {
    let path = db_path(data_dir);
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| LogError::Open {
        path: path.clone(),
        source,
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Events after `after`, oldest first, at most `limit`.
pub fn read_after(conn: &Connection, after: u64, limit: usize) -> Result<Vec<Stored>, LogError> {
    let mut stmt = conn
        .prepare_cached("SELECT id, name, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
        Ok(Stored {
            id: r.get::<_, i64>(0)? as u64,
            name: r.get(1)?,
            data: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Each agent's latest state, kept past retention: what a stream sends
/// first, so the board is whole from the first second.
pub fn team(conn: &Connection) -> Result<Vec<String>, LogError> {
    let mut stmt = conn.prepare_cached("SELECT data FROM team ORDER BY agent")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

/// The oldest stored id, and the last id ever assigned (ids are never reused).
pub fn bounds(conn: &Connection) -> Result<(Option<u64>, u64), LogError> {
    let min: Option<i64> = conn.query_row("SELECT min(id) FROM events", [], |r| r.get(0))?;
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok((min.map(|m| m as u64), seq.unwrap_or(0) as u64))
}

/// An event that must be stored once only: while its key is remembered, a
/// second event with the same key is answered with the first one's id.
#[derive(Clone, Debug)]
pub struct Once {
    pub key: String,
    pub for_secs: i64,
}

/// An agent's state to keep past the log's retention: the agent's board key
/// and the payload's own time (epoch milliseconds), when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMember {
    pub agent: String,
    pub stamp: Option<i64>,
}

/// What an append did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub id: u64,
    /// The event's key was already stored: nothing new was appended.
    pub duplicate: bool,
}

struct Ingest {
    name: String,
    data: String,
    once: Option<Once>,
    team: Option<TeamMember>,
    /// The body's key: a retry of it within the window is this event.
    retry_key: String,
    reply: oneshot::Sender<Result<Appended, String>>,
}

/// The handle ingress uses to append; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: std::sync::mpsc::SyncSender<Ingest>,
}

/// Largest batch committed at once.
const MAX_BATCH: usize = 512;

impl Writer {
    /// Starts the writer thread. Committed events go to `live` for fan-out.
    pub fn start(
        conn: Connection,
        retention: Retention,
        live: broadcast::Sender<Arc<Stored>>,
    ) -> (Writer, std::thread::JoinHandle<()>) {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Ingest>(4096);
        let handle = std::thread::Builder::new()
            .name("relay-log-writer".into())
            .spawn(move || writer_loop(conn, rx, retention, live))
            .unwrap_or_else(|e| panic!("cannot start the log writer thread: {e}"));
        (Writer { tx }, handle)
    }

    /// Appends one event; resolves once it is committed, with its id.
    pub async fn append(
        &self,
        name: String,
        data: String,
        once: Option<Once>,
        team: Option<TeamMember>,
        retry_key: String,
    ) -> Result<Appended, LogError> {
        let (reply, rx) = oneshot::channel();
        let tx = self.tx.clone();
        // The channel is bounded: a full queue waits off the async threads.
        // (A refused send hands the event back; only the refusal matters.)
        tokio::task::spawn_blocking(move || {
            tx.send(Ingest {
                name,
                data,
                once,
                team,
                retry_key,
                reply,
            })
            .map_err(drop)
        })
        .await
        .map_err(|_| LogError::WriterGone)?
        .map_err(|_| LogError::WriterGone)?;
        match rx.await {
            Ok(Ok(appended)) => Ok(appended),
            Ok(Err(msg)) => Err(LogError::Commit(msg)),
            Err(_) => Err(LogError::WriterGone),
        }
    }
}

fn writer_loop(
    mut conn: Connection,
    rx: std::sync::mpsc::Receiver<Ingest>,
    retention: Retention,
    live: broadcast::Sender<Arc<Stored>>,
) {
    let prune_every = Duration::from_secs(retention.prune_every_seconds.max(1));
    let mut next_prune = std::time::Instant::now();
    loop {
        if std::time::Instant::now() >= next_prune {
            if let Err(e) = prune(&conn, &retention) {
                tracing::warn!("pruning the log failed: {e}");
            }
            next_prune = std::time::Instant::now() + prune_every;
        }
        let first = match rx.recv_timeout(prune_every) {
            Ok(first) => first,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            // Every sender is gone: the server is shutting down.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        match commit(&mut conn, &batch) {
            Ok(outcomes) => {
                for (ingest, appended) in batch.into_iter().zip(outcomes) {
                    let _ = ingest.reply.send(Ok(appended));
                    if appended.duplicate {
                        continue;
                    }
                    let stored = Arc::new(Stored {
                        id: appended.id,
                        name: ingest.name,
                        data: ingest.data,
                    });
                    // No receivers is fine: nobody is connected.
                    let _ = live.send(stored);
                }
            }
            Err(e) => {
                tracing::error!("committing {} events failed: {e}", batch.len());
                for ingest in batch {
                    let _ = ingest.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// One transaction for the batch. An event whose key (a missed call's, else
/// its body's) is remembered is answered with the stored one's id; the check and the insert share the
/// transaction (and the one writer thread), so two copies racing in (the
/// forwarding app's push and the poller's find) can never both be stored.
fn commit(conn: &mut Connection, batch: &[Ingest]) -> Result<Vec<Appended>, rusqlite::Error> {
    let tx = conn.transaction()?;
    let now = now_secs();
    let mut outcomes = Vec::with_capacity(batch.len());
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO events (name, received_at, data) VALUES (?1, ?2, ?3)")?;
        let mut known =
            tx.prepare_cached("SELECT event_id FROM once_keys WHERE key = ?1 AND expires_at > ?2")?;
        let mut remember = tx.prepare_cached(
            "INSERT OR REPLACE INTO once_keys (key, event_id, expires_at) VALUES (?1, ?2, ?3)",
        )?;
        // A later event wins, unless both carry their own time and the
        // stored one is later (an older state posted late never wins).
        let mut keep_state = tx.prepare_cached(
            "INSERT INTO team (agent, event_id, stamp, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(agent) DO UPDATE SET
                 event_id = excluded.event_id, stamp = excluded.stamp, data = excluded.data
             WHERE excluded.stamp IS NULL OR team.stamp IS NULL OR excluded.stamp >= team.stamp",
        )?;
        for ingest in batch {
            // A missed call's key, else the body's (a retried POST).
            let (key, for_secs) = match &ingest.once {
                Some(once) => (once.key.as_str(), once.for_secs),
                None => (ingest.retry_key.as_str(), crate::backend::RETRY_WINDOW_SECS),
            };
            let stored: Option<i64> = known
                .query_row(params![key, now], |r| r.get(0))
                .optional()?;
            if let Some(id) = stored {
                outcomes.push(Appended {
                    id: id as u64,
                    duplicate: true,
                });
                continue;
            }
            insert.execute(params![ingest.name, now, ingest.data])?;
            let id = tx.last_insert_rowid() as u64;
            remember.execute(params![key, id as i64, now + for_secs])?;
            if let Some(member) = &ingest.team {
                keep_state.execute(params![member.agent, id as i64, member.stamp, ingest.data])?;
            }
            outcomes.push(Appended {
                id,
                duplicate: false,
            });
        }
    }
    tx.commit()?;
    Ok(outcomes)
}

/// Drops events older than the age limit and beyond the count limit.
pub fn prune(conn: &Connection, retention: &Retention) -> Result<usize, rusqlite::Error> {
    let cutoff = now_secs() - (retention.max_age_days as i64).saturating_mul(86_400);
    conn.execute(
        "DELETE FROM once_keys WHERE expires_at <= ?1",
        params![now_secs()],
    )?;
    let mut n = conn.execute("DELETE FROM events WHERE received_at < ?1", params![cutoff])?;
    let max: Option<i64> = conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0))?;
    if let Some(max) = max {
        let keep_from = max - retention.max_events as i64;
        n += conn.execute("DELETE FROM events WHERE id <= ?1", params![keep_from])?;
    }
    Ok(n)
}
