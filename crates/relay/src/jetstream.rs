//! The log in a NATS JetStream cluster, shared by any number of relays, any
//! of which may stop. An event's id is its stream sequence, the same on every
//! relay, so a desktop resumes on any of them with its `Last-Event-ID`.
//!
//! - The stream and three key-value buckets are made by `deskbell-relay
//!   init` ([`init`]); a relay only opens them ([`JetStreamLog::open`]).
//! - Each publish carries a message id derived from the body (or, for a
//!   missed call, from its once key), and the stream remembers ids for
//!   [`DUPLICATE_WINDOW`]: the platform's retries of one POST, or a publish
//!   retried after a lost ack, are stored once and answered with one id.
//! - One ordered consumer per relay feeds all its SSE clients and a window of
//!   recent events for resumes; an older resume point reads through a
//!   short-lived consumer.
//! - Tokens (hashed) and the team's state live in buckets every relay
//!   watches, so a change made through any relay or the CLI counts on all.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::context::{CreateStreamErrorKind, GetStreamErrorKind};
use async_nats::jetstream::kv::{self, Operation};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, stream, ErrorCode};
use bytes::Bytes;
use deskbell_core::secret::Secret;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::backend::{digest, hex, Bounds, BoxFuture, EventLog, NewEvent};
use crate::config::{NatsConfig, Retention};
use crate::log::{now_secs, Appended, LogError, Stored, TeamMember};
use crate::tokens::{self, Redeemed, TokenError, TokenInfo, TokenOwner};

/// How long the stream remembers a message id: past the platform's three
/// retries of one POST, and past the poller's look-back for missed calls.
pub const DUPLICATE_WINDOW: Duration =
    Duration::from_secs(crate::backend::RETRY_WINDOW_SECS as u64);
/// How long an append may wait for JetStream (an election takes 6 to 8 s on
/// 2.9) before ingress answers 503 with `Retry-After`.
pub const APPEND_WAIT: Duration = Duration::from_secs(5);
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// Recent events kept for resumes without a consumer.
const WINDOW: usize = 4096;
/// How long the relay's consumer may be quiet before the stream is asked
/// whether it has moved on without it.
const STALL_CHECK: Duration = Duration::from_secs(2);
/// How long a read waits for the next message of a short-lived consumer.
const READ_WAIT: Duration = Duration::from_secs(5);
/// How long a missed call's once key is kept (the SQLite log's memory).
const ONCE_MEMORY: Duration = Duration::from_secs(crate::server::MISSED_CALL_MEMORY_SECS as u64);

/// The stream, its subject and the buckets, all named after `[nats] stream`.
#[derive(Clone, Debug)]
pub struct Names {
    pub stream: String,
    pub subject: String,
    pub tokens: String,
    pub team: String,
    pub once: String,
}

impl Names {
    pub fn new(stream: &str) -> Names {
        Names {
            stream: stream.to_owned(),
            subject: format!("{stream}.events"),
            tokens: format!("{stream}_TOKENS"),
            team: format!("{stream}_TEAM"),
            once: format!("{stream}_ONCE"),
        }
    }
}

fn nats_error(what: &'static str) -> impl Fn(&dyn std::fmt::Display) -> LogError {
    move |e| LogError::Nats {
        what,
        message: e.to_string(),
    }
}

/// Connects to the cluster with the configured credentials and TLS. The
/// servers are tried in turn; the client reconnects by itself afterwards.
pub async fn connect(
    servers: &[String],
    config: &NatsConfig,
) -> Result<async_nats::Client, LogError> {
    let mut options = async_nats::ConnectOptions::new()
        .name("deskbell-relay")
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(5)))
        .event_callback(|event| async move {
            use async_nats::Event;
            match event {
                Event::Connected => tracing::info!("connected to NATS"),
                Event::Disconnected => tracing::warn!("disconnected from NATS; reconnecting"),
                other => tracing::debug!("NATS: {other}"),
            }
        });
    if let Some(file) = &config.credentials_file {
        options = options
            .credentials_file(file)
            .await
            .map_err(|e| LogError::Io(file.clone(), e))?;
    }
    if let (Some(user), Some(password)) = (&config.user, &config.password) {
        options = options.user_and_password(user.clone(), password.expose().to_owned());
    }
    if let Some(token) = &config.token {
        options = options.token(token.expose().to_owned());
    }
    if let Some(ca) = &config.ca_file {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if config.require_tls {
        options = options.require_tls(true);
    }
    options
        .connect(servers)
        .await
        .map_err(|e| nats_error("connect")(&e))
}

fn context(client: async_nats::Client) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(3))
        .build(client)
}

/// What `init` did to each part.
#[derive(Debug, PartialEq, Eq)]
pub enum Made {
    Created,
    Checked,
}

/// How long `init` keeps asking while a new cluster forms its routes or
/// elects: a create may time out then, and pass when asked again.
pub const INIT_WAIT: Duration = Duration::from_secs(60);

/// Creates the stream and the buckets, or checks them and applies the
/// retention and replicas given: run it once per cluster, and again
/// after changing either. Relays never create them. What a forming
/// cluster refuses is asked again for up to [`INIT_WAIT`], each refusal
/// told to `on_retry`; asking twice is safe, as every step is.
pub async fn init(
    client: async_nats::Client,
    names: &Names,
    replicas: usize,
    retention: &Retention,
    mut on_retry: impl FnMut(&LogError),
) -> Result<Vec<(String, Made)>, LogError> {
    let ctx = context(client);
    let stream = stream::Config {
        name: names.stream.clone(),
        subjects: vec![names.subject.clone()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        max_age: Duration::from_secs(retention.max_age_days.saturating_mul(86_400)),
        max_messages: i64::try_from(retention.max_events).unwrap_or(i64::MAX),
        discard: stream::DiscardPolicy::Old,
        duplicate_window: DUPLICATE_WINDOW,
        allow_direct: true,
        ..Default::default()
    };
    let mut parts = vec![(names.stream.clone(), stream, &STREAM_STEPS)];
    for (bucket, max_age) in [
        (&names.tokens, Duration::ZERO),
        (&names.team, Duration::ZERO),
        (&names.once, ONCE_MEMORY),
    ] {
        parts.push((
            bucket.clone(),
            bucket_stream(bucket, max_age, replicas),
            &BUCKET_STEPS,
        ));
    }
    let deadline = tokio::time::Instant::now() + INIT_WAIT;
    let mut made = Vec::new();
    for (name, config, steps) in parts {
        // A create that timed out may have been done: found on the next
        // ask, it is still this run's creation.
        let mut tried_create = false;
        let outcome = loop {
            match make_or_apply(&ctx, &config, steps, &mut tried_create).await {
                Ok(outcome) => break outcome,
                Err(Attempt::Again(e)) if tokio::time::Instant::now() < deadline => {
                    on_retry(&e);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(Attempt::Again(e) | Attempt::Fail(e)) => return Err(e),
            }
        };
        made.push((name, outcome));
    }
    Ok(made)
}

/// How `init` names its steps on one part, in errors.
struct Steps {
    read: &'static str,
    update: &'static str,
    create: &'static str,
}

const STREAM_STEPS: Steps = Steps {
    read: "reading the stream",
    update: "updating the stream",
    create: "creating the stream",
};
const BUCKET_STEPS: Steps = Steps {
    read: "reading a bucket",
    update: "updating a bucket",
    create: "creating a bucket",
};

/// One ask of an admin command's, and whether asking again may help.
enum Attempt<E = LogError> {
    Again(E),
    Fail(E),
}

/// How long `token add` asks again when JetStream's answer is lost.
pub const ADMIN_WAIT: Duration = Duration::from_secs(15);

/// Creates one stream, or applies `config` to it where it exists.
async fn make_or_apply(
    ctx: &jetstream::Context,
    config: &stream::Config,
    steps: &Steps,
    tried_create: &mut bool,
) -> Result<Made, Attempt> {
    let created = if *tried_create {
        Made::Created
    } else {
        Made::Checked
    };
    match ctx.get_stream(&config.name).await {
        Ok(_) => match ctx.update_stream(config).await {
            Ok(_) => Ok(created),
            Err(e) => Err(create_attempt(steps.update, &e)),
        },
        Err(e) if stream_missing(&e) => {
            *tried_create = true;
            match ctx.create_stream(config.clone()).await {
                Ok(_) => Ok(Made::Created),
                Err(e) => Err(create_attempt(steps.create, &e)),
            }
        }
        Err(e) => {
            let error = nats_error(steps.read)(&e);
            let again = match e.kind() {
                GetStreamErrorKind::Request => true,
                GetStreamErrorKind::JetStream(j) => cluster_settling(j.error_code()),
                _ => false,
            };
            Err(if again {
                Attempt::Again(error)
            } else {
                Attempt::Fail(error)
            })
        }
    }
}

fn create_attempt(what: &'static str, e: &jetstream::context::CreateStreamError) -> Attempt {
    let error = nats_error(what)(e);
    match e.kind() {
        CreateStreamErrorKind::TimedOut | CreateStreamErrorKind::JetStreamUnavailable => {
            Attempt::Again(error)
        }
        CreateStreamErrorKind::JetStream(j) if cluster_settling(j.error_code()) => {
            Attempt::Again(error)
        }
        _ => Attempt::Fail(error),
    }
}

/// What a cluster says while it forms or elects, and stops saying after.
/// (No peers for placement is also what too high a `--replicas` gets: it
/// is asked again until [`INIT_WAIT`], and then reported.)
fn cluster_settling(code: ErrorCode) -> bool {
    [
        ErrorCode::CLUSTER_NOT_AVAILABLE,
        ErrorCode::CLUSTER_NO_PEERS,
        ErrorCode::CLUSTER_INCOMPLETE,
        ErrorCode::CLUSTER_NOT_ACTIVE,
        ErrorCode::CLUSTER_NOT_LEADER,
        ErrorCode::CLUSTER_NOT_ASSIGNED,
    ]
    .contains(&code)
}

/// A key-value bucket's stream, as the KV convention lays it out (what
/// `create_key_value` sends). Made directly: that call first reads the
/// account's info, which the client cannot parse from a 2.9 server.
fn bucket_stream(bucket: &str, max_age: Duration, replicas: usize) -> stream::Config {
    stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        num_replicas: replicas,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    }
}

fn stream_missing(e: &jetstream::context::GetStreamError) -> bool {
    matches!(e.kind(), GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

/// Opens a bucket `init` made; its absence is named.
async fn bucket(ctx: &jetstream::Context, name: &str) -> Result<kv::Store, LogError> {
    let stream = format!("KV_{name}");
    match ctx.get_stream(&stream).await {
        Ok(_) => {}
        Err(e) if stream_missing(&e) => return Err(LogError::NotInitialised(name.to_owned())),
        Err(e) => return Err(nats_error("reading a bucket")(&e)),
    }
    ctx.get_key_value(name)
        .await
        .map_err(|e| nats_error("opening a bucket")(&e))
}

/// How long a starting relay waits for the cluster to answer.
const OPEN_WAIT: Duration = Duration::from_secs(60);

type Parts = (stream::Stream, u64, kv::Store, kv::Store, kv::Store);

/// The stream (and where this relay's consumer starts) and the buckets.
async fn open_parts(ctx: &jetstream::Context, names: &Names) -> Result<Parts, LogError> {
    let mut stream = ctx.get_stream(&names.stream).await.map_err(|e| {
        if stream_missing(&e) {
            LogError::NotInitialised(names.stream.clone())
        } else {
            nats_error("reading the stream")(&e)
        }
    })?;
    let next = stream
        .info()
        .await
        .map_err(|e| nats_error("reading the stream")(&e))?
        .state
        .last_sequence
        + 1;
    Ok((
        stream,
        next,
        bucket(ctx, &names.tokens).await?,
        bucket(ctx, &names.team).await?,
        bucket(ctx, &names.once).await?,
    ))
}

/// A stored message: the name's length, a newline, the name, then the
/// one-line JSON. (Names are customer-controlled: never a header.)
fn frame(name: &str, data: &str) -> Bytes {
    let mut out = Vec::with_capacity(name.len() + data.len() + 8);
    out.extend_from_slice(name.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data.as_bytes());
    Bytes::from(out)
}

/// The event in a message, or `None` for one no relay wrote.
fn unframe(id: u64, payload: &[u8]) -> Option<Stored> {
    let text = std::str::from_utf8(payload).ok()?;
    let (len, rest) = text.split_once('\n')?;
    let len: usize = len.parse().ok()?;
    let name = rest.get(..len)?;
    let data = rest.get(len..)?;
    Some(Stored {
        id,
        name: name.to_owned(),
        data: data.to_owned(),
    })
}

/// A token as its bucket keeps it: hashed, keyed by its name.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TokenRecord {
    name: String,
    hash: String,
    created_at: i64,
    revoked_at: Option<i64>,
    #[serde(default)]
    email: Option<String>,
}

/// Tokens are keyed `n<hex of the name>`; invitations, in the same bucket,
/// `i<hash of the code>`.
fn token_key(name: &str) -> String {
    format!("n{}", hex(name.as_bytes()))
}

fn invite_key(code_hash: &str) -> String {
    format!("i{code_hash}")
}

/// An invitation as the tokens bucket keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct InviteRecord {
    name: String,
    #[serde(default)]
    email: Option<String>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

/// An agent's latest state as its bucket keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TeamRecord {
    event_id: u64,
    stamp: Option<i64>,
    data: String,
}

impl TeamRecord {
    /// The rule the SQLite log keeps: by the payloads' own times when both
    /// have one, else by id (a relay's late write never undoes a newer one).
    fn replaces(&self, old: &TeamRecord) -> bool {
        match (self.stamp, old.stamp) {
            (Some(new), Some(old_stamp)) => {
                new > old_stamp || (new == old_stamp && self.event_id > old.event_id)
            }
            _ => self.event_id > old.event_id,
        }
    }
}

/// A bucket's current values, as a watch keeps them; `None` until the watch
/// has caught up.
type Mirror<T> = Arc<RwLock<Option<T>>>;

fn caught_up<T>(mirror: &Mirror<T>) -> bool {
    mirror.read().is_ok_and(|m| m.is_some())
}

/// How long an unknown token waits for the tokens bucket's watch before
/// it is refused: a token added on another machine a moment ago.
const TOKEN_GRACE: Duration = Duration::from_millis(750);

/// How long a starting relay waits to have read tokens and the team.
const CATCH_UP_WAIT: Duration = Duration::from_secs(10);

/// What a mirror keeps of a bucket.
trait Table: Default + Send + Sync + 'static {
    fn put(&mut self, key: &str, value: &[u8]);
    fn remove(&mut self, key: &str);
}

#[derive(Default)]
struct TokenTable {
    /// Live tokens: hash to owner.
    live: HashMap<String, TokenOwner>,
    /// Key to hash, to forget a replaced or deleted token.
    hashes: HashMap<String, String>,
}

impl Table for TokenTable {
    fn put(&mut self, key: &str, value: &[u8]) {
        if !key.starts_with('n') {
            // An invitation: no token until it is redeemed.
            return;
        }
        self.remove(key);
        let Ok(record) = serde_json::from_slice::<TokenRecord>(value) else {
            tracing::warn!(key, "a token record the relay cannot read: ignored");
            return;
        };
        if record.revoked_at.is_none() {
            let owner = TokenOwner {
                name: record.name,
                email: record.email,
            };
            self.live.insert(record.hash.clone(), owner);
        }
        self.hashes.insert(key.to_owned(), record.hash);
    }

    fn remove(&mut self, key: &str) {
        if let Some(hash) = self.hashes.remove(key) {
            self.live.remove(&hash);
        }
    }
}

#[derive(Default)]
struct TeamTable(BTreeMap<String, String>);

impl Table for TeamTable {
    fn put(&mut self, key: &str, value: &[u8]) {
        match serde_json::from_slice::<TeamRecord>(value) {
            Ok(record) => {
                self.0.insert(key.to_owned(), record.data);
            }
            Err(_) => tracing::warn!(key, "a team record the relay cannot read: ignored"),
        }
    }

    fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }
}

/// Keeps `mirror` equal to the bucket, rewatching after any error.
async fn watch_bucket<T: Table>(store: kv::Store, mirror: Mirror<T>, what: &'static str) {
    let mut pause = RETRY_PAUSE;
    loop {
        match watch_once(&store, &mirror).await {
            Ok(()) => tracing::warn!(bucket = what, "the bucket's watch ended; watching again"),
            Err(e) => tracing::warn!(bucket = what, "watching the bucket failed: {e}"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

async fn watch_once<T: Table>(store: &kv::Store, mirror: &Mirror<T>) -> Result<(), String> {
    let empty = store.status().await.map_err(|e| e.to_string())?.values() == 0;
    let mut watch = store
        .watch_with_history(">")
        .await
        .map_err(|e| e.to_string())?;
    // Built aside and swapped in once current, so a rewatch never shows a
    // half-read table.
    let mut fresh = Some(T::default());
    let publish = |table: T| {
        if let Ok(mut m) = mirror.write() {
            *m = Some(table);
        }
    };
    if empty {
        publish(fresh.take().unwrap_or_default());
    }
    while let Some(entry) = watch.next().await {
        let entry = entry.map_err(|e| e.to_string())?;
        let apply = |table: &mut T| match entry.operation {
            Operation::Put => table.put(&entry.key, &entry.value),
            Operation::Delete | Operation::Purge => table.remove(&entry.key),
        };
        match fresh.as_mut() {
            Some(table) => {
                apply(table);
                if entry.delta == 0 {
                    publish(fresh.take().unwrap_or_default());
                }
            }
            None => {
                if let Ok(mut m) = mirror.write() {
                    if let Some(table) = m.as_mut() {
                        apply(table);
                    }
                }
            }
        }
    }
    Ok(())
}

/// The newest events this relay's consumer has seen, contiguous.
#[derive(Default)]
struct Window(VecDeque<Arc<Stored>>);

impl Window {
    fn push(&mut self, event: Arc<Stored>) {
        // A jump (retention dropped what the consumer had not read yet):
        // what is held no longer joins up with it.
        if self.0.back().is_some_and(|b| event.id != b.id + 1) {
            self.0.clear();
        }
        if self.0.len() == WINDOW {
            self.0.pop_front();
        }
        self.0.push_back(event);
    }

    /// The events after `after`, when the window holds them. Never "none
    /// after `after`": the consumer may be behind the stream, so whether
    /// the log has more is the stream's to say.
    fn after(&self, after: u64, limit: usize) -> Option<Vec<Stored>> {
        let (front, back) = (self.0.front()?.id, self.0.back()?.id);
        if after + 1 < front || after >= back {
            return None;
        }
        let skip = (after + 1 - front) as usize;
        Some(
            self.0
                .iter()
                .skip(skip)
                .take(limit)
                .map(|e| Stored::clone(e))
                .collect(),
        )
    }
}

pub struct JetStreamLog {
    ctx: jetstream::Context,
    stream: stream::Stream,
    names: Names,
    once: kv::Store,
    team_store: kv::Store,
    live: broadcast::Sender<Arc<Stored>>,
    window: Arc<Mutex<Window>>,
    tokens: Mirror<TokenTable>,
    tokens_store: kv::Store,
    team: Mirror<TeamTable>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for JetStreamLog {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl JetStreamLog {
    /// Opens the stream and buckets `init` made, and starts this relay's
    /// consumer and watches. `live` is where followed events go.
    pub async fn open(
        client: async_nats::Client,
        names: Names,
        live: broadcast::Sender<Arc<Stored>>,
    ) -> Result<JetStreamLog, LogError> {
        let ctx = context(client);
        // A relay started during an election (or restarted by systemd while
        // the cluster recovers) waits for it rather than failing.
        let deadline = tokio::time::Instant::now() + OPEN_WAIT;
        let (stream, next, tokens_store, team_store, once) = loop {
            match open_parts(&ctx, &names).await {
                Ok(parts) => break parts,
                Err(e @ LogError::NotInitialised(_)) => return Err(e),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(e) => {
                    tracing::warn!("the JetStream log is not answering yet, trying again: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        let window = Arc::new(Mutex::new(Window::default()));
        let tokens: Mirror<TokenTable> = Arc::default();
        let team: Mirror<TeamTable> = Arc::default();
        let tasks = vec![
            tokio::spawn(follow(stream.clone(), next, live.clone(), window.clone())),
            tokio::spawn(watch_bucket(tokens_store.clone(), tokens.clone(), "tokens")),
            tokio::spawn(watch_bucket(team_store.clone(), team.clone(), "team")),
        ];
        // Ready to serve once tokens and the team are read; a relay that
        // cannot get there soon starts anyway, and says so in /healthz.
        let deadline = tokio::time::Instant::now() + CATCH_UP_WAIT;
        while tokio::time::Instant::now() < deadline && !(caught_up(&tokens) && caught_up(&team)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(JetStreamLog {
            ctx,
            stream,
            names,
            once,
            team_store,
            live,
            window,
            tokens,
            tokens_store,
            team,
            tasks,
        })
    }

    /// Publishes `event` with `msg_id`, the key the stream's duplicate
    /// window knows it by.
    async fn publish(&self, event: &NewEvent, msg_id: &str) -> Result<Appended, LogError> {
        let payload = frame(&event.name, &event.data);
        let deadline = tokio::time::Instant::now() + APPEND_WAIT;
        loop {
            let attempt = async {
                self.ctx
                    .send_publish(
                        self.names.subject.clone(),
                        PublishMessage::build()
                            .payload(payload.clone())
                            .message_id(msg_id),
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .await
                    .map_err(|e| e.to_string())
            };
            // The same message id on every attempt: a publish whose ack was
            // lost and is sent again is stored once.
            let error = match tokio::time::timeout_at(deadline, attempt).await {
                Ok(Ok(ack)) => {
                    return Ok(Appended {
                        id: ack.sequence,
                        duplicate: ack.duplicate,
                    })
                }
                Ok(Err(e)) => e,
                Err(_) => "no acknowledgement in time".to_owned(),
            };
            if tokio::time::Instant::now() + RETRY_PAUSE >= deadline {
                return Err(LogError::Unavailable(error));
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    async fn append_event(&self, event: NewEvent) -> Result<Appended, LogError> {
        // The stream's duplicate window covers copies close together; the
        // bucket, a missed call pushed and polled further apart.
        let once_key = event
            .once
            .as_ref()
            .map(|once| format!("o{}", digest(&[once.key.as_bytes()])));
        if let Some(key) = &once_key {
            if let Ok(Some(stored)) = self.once.get(key.as_str()).await {
                if let Some(id) = std::str::from_utf8(&stored)
                    .ok()
                    .and_then(|s| s.parse().ok())
                {
                    return Ok(Appended {
                        id,
                        duplicate: true,
                    });
                }
            }
        }
        let msg_id = once_key.clone().unwrap_or_else(|| event.retry_key());
        let appended = self.publish(&event, &msg_id).await?;
        // The event is stored: what follows only keeps side tables, and a
        // failure there is logged, not refused.
        if let Some(key) = once_key {
            if let Err(e) = self
                .once
                .put(key, Bytes::from(appended.id.to_string()))
                .await
            {
                tracing::warn!(
                    id = appended.id,
                    "remembering a missed call's key failed: {e}"
                );
            }
        }
        if let Some(member) = &event.team {
            self.keep_state(member, appended.id, &event.data).await;
        }
        Ok(appended)
    }

    /// Writes an agent's state unless the bucket has a newer one; a
    /// concurrent write from another relay is read again and compared.
    async fn keep_state(&self, member: &TeamMember, id: u64, data: &str) {
        let key = format!("a{}", hex(member.agent.as_bytes()));
        let record = TeamRecord {
            event_id: id,
            stamp: member.stamp,
            data: data.to_owned(),
        };
        let Ok(value) = serde_json::to_vec(&record) else {
            return;
        };
        for _ in 0..5 {
            let entry = match self.team_store.entry(key.as_str()).await {
                Ok(entry) => entry,
                Err(e) => {
                    tracing::warn!(id, "reading an agent's state failed: {e}");
                    return;
                }
            };
            let written = match entry {
                Some(entry) if entry.operation == Operation::Put => {
                    if let Ok(old) = serde_json::from_slice::<TeamRecord>(&entry.value) {
                        if !record.replaces(&old) {
                            return;
                        }
                    }
                    self.team_store
                        .update(key.as_str(), Bytes::from(value.clone()), entry.revision)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
                _ => self
                    .team_store
                    .create(key.as_str(), Bytes::from(value.clone()))
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string()),
            };
            match written {
                Ok(()) => return,
                // Another relay wrote first: compare with its state.
                Err(e) => tracing::debug!(id, "an agent's state changed meanwhile: {e}"),
            }
        }
        tracing::warn!(
            id,
            "an agent's state kept changing; this update was not kept"
        );
    }

    /// The stream's counts, from its leader.
    async fn state(&self) -> Result<stream::State, LogError> {
        Ok(self
            .stream
            .get_info()
            .await
            .map_err(|e| nats_error("reading the stream")(&e))?
            .state)
    }

    async fn read(&self, after: u64, limit: usize) -> Result<Vec<Stored>, LogError> {
        if let Some(events) = self.window.lock().ok().and_then(|w| w.after(after, limit)) {
            return Ok(events);
        }
        let state = self.state().await?;
        if state.messages == 0 || after >= state.last_sequence || limit == 0 {
            return Ok(Vec::new());
        }
        // Below the first sequence it starts at the first: the HTTP layer
        // has compared with the bounds already.
        let from = after.max(state.first_sequence.saturating_sub(1));
        let consumer = self
            .stream
            .create_consumer(OrderedConfig {
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: from + 1,
                },
                ..Default::default()
            })
            .await;
        let messages = match consumer {
            Ok(consumer) => consumer.messages().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut messages = match messages {
            Ok(messages) => messages,
            // No consumer to be had (seen for a while after a leader
            // change): any replica answers a direct get.
            Err(e) => {
                tracing::debug!("no consumer for a read ({e}); reading message by message");
                return direct_read(&self.stream, from, state.last_sequence, limit).await;
            }
        };
        let mut out = Vec::new();
        while out.len() < limit {
            let message = match tokio::time::timeout(READ_WAIT, messages.next()).await {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(e))) => return Err(nats_error("reading the log")(&e)),
                Ok(None) => break,
                Err(_) => return Err(LogError::ReadStopped),
            };
            let (seq, pending) = match message.info() {
                Ok(info) => (info.stream_sequence, info.pending),
                Err(_) => continue,
            };
            if let Some(event) = unframe(seq, &message.payload) {
                out.push(event);
            }
            if pending == 0 || seq >= state.last_sequence {
                break;
            }
        }
        Ok(out)
    }
}

/// A followed event into the window, then to this relay's streams.
fn deliver(event: Stored, window: &Mutex<Window>, live: &broadcast::Sender<Arc<Stored>>) {
    let event = Arc::new(event);
    if let Ok(mut w) = window.lock() {
        w.push(event.clone());
    }
    // No receivers is fine: nobody is connected.
    let _ = live.send(event);
}

/// Up to `limit` events after `after` (through `last`), one direct get each:
/// any replica answers, no consumer needed. Sequences gone (retention) are
/// skipped.
async fn direct_read(
    stream: &stream::Stream,
    after: u64,
    last: u64,
    limit: usize,
) -> Result<Vec<Stored>, LogError> {
    let mut out = Vec::new();
    let mut seq = after;
    while seq < last && out.len() < limit {
        seq += 1;
        match stream.direct_get(seq).await {
            Ok(message) => out.extend(unframe(seq, &message.payload)),
            // Any replica answers a direct get, one behind the leader too:
            // "not found" is the leader's to say before the event is skipped.
            Err(e) if e.kind() == stream::DirectGetErrorKind::NotFound => {
                match stream.get_raw_message(seq).await {
                    Ok(message) => out.extend(unframe(seq, &message.payload)),
                    Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => {}
                    Err(e) => return Err(nats_error("reading the log")(&e)),
                }
            }
            Err(e) => return Err(nats_error("reading the log")(&e)),
        }
    }
    Ok(out)
}

/// This relay's one consumer: every event, in order, to its clients and its
/// window. Recreated from the next sequence after any error; while none can
/// be created, what it missed is read message by message meanwhile.
async fn follow(
    stream: stream::Stream,
    mut next: u64,
    live: broadcast::Sender<Arc<Stored>>,
    window: Arc<Mutex<Window>>,
) {
    let mut pause = RETRY_PAUSE;
    loop {
        let consumer = stream
            .create_consumer(OrderedConfig {
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: next,
                },
                ..Default::default()
            })
            .await;
        match consumer {
            Ok(consumer) => match consumer.messages().await {
                Ok(mut messages) => {
                    pause = RETRY_PAUSE;
                    loop {
                        let message = match tokio::time::timeout(STALL_CHECK, messages.next()).await
                        {
                            Ok(Some(Ok(message))) => message,
                            Ok(Some(Err(e))) => {
                                tracing::warn!(next, "following the log stopped: {e}");
                                break;
                            }
                            Ok(None) => break,
                            // Quiet: fine, unless the stream has moved on
                            // (a consumer left behind by a leader change).
                            Err(_) => match stream.get_info().await {
                                Ok(info) if info.state.last_sequence >= next => {
                                    tracing::warn!(
                                        next,
                                        last = info.state.last_sequence,
                                        "the log's consumer fell silent behind the stream; recreating it"
                                    );
                                    break;
                                }
                                Ok(_) => continue,
                                Err(e) => {
                                    tracing::warn!(next, "the log's consumer is quiet and the stream does not say why: {e}");
                                    continue;
                                }
                            },
                        };
                        let Ok(seq) = message.info().map(|i| i.stream_sequence) else {
                            continue;
                        };
                        next = seq + 1;
                        let Some(event) = unframe(seq, &message.payload) else {
                            tracing::warn!(seq, "a message in the stream is not an event: skipped");
                            continue;
                        };
                        deliver(event, &window, &live);
                    }
                }
                Err(e) => tracing::warn!(next, "following the log failed: {e}"),
            },
            Err(e) => tracing::warn!(next, "following the log failed: {e}"),
        }
        // Catch up without a consumer before trying for one again.
        if let Ok(info) = stream.get_info().await {
            // What retention dropped is gone; nothing else is skipped.
            next = next.max(info.state.first_sequence);
            let last = info.state.last_sequence;
            while next <= last {
                let Ok(events) = direct_read(&stream, next - 1, last, 256).await else {
                    break;
                };
                // What the leader has not got is gone (retention): past it.
                next = events.last().map_or(last + 1, |e| e.id + 1).max(next + 1);
                for event in events {
                    deliver(event, &window, &live);
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

impl EventLog for JetStreamLog {
    fn kind(&self) -> &'static str {
        "jetstream"
    }

    fn append(&self, event: NewEvent) -> BoxFuture<'_, Result<Appended, LogError>> {
        Box::pin(self.append_event(event))
    }

    fn bounds(&self) -> BoxFuture<'_, Result<Bounds, LogError>> {
        Box::pin(async move {
            let state = self.state().await?;
            Ok(Bounds {
                first: (state.messages > 0).then_some(state.first_sequence),
                last: state.last_sequence,
            })
        })
    }

    fn read_after(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Stored>, LogError>> {
        Box::pin(self.read(after, limit))
    }

    fn team(&self) -> BoxFuture<'_, Result<Vec<String>, LogError>> {
        let team = match self.team.read() {
            Ok(m) => m.as_ref().map(|t| t.0.values().cloned().collect()),
            Err(_) => None,
        };
        Box::pin(async move { team.ok_or(LogError::CatchingUp("team")) })
    }

    fn redeem(&self, code: &str, now: i64) -> BoxFuture<'_, Result<Redeemed, LogError>> {
        let code = code.to_owned();
        Box::pin(async move {
            let store = TokenStore(self.tokens_store.clone());
            let redeemed = store.redeem(&code, now).await?;
            // The desktop connects with the token at once: this relay
            // answers for it once its own watch has read it.
            let hash = tokens::hash(redeemed.token.expose());
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while tokio::time::Instant::now() < deadline
                && !self
                    .tokens
                    .read()
                    .is_ok_and(|m| m.as_ref().is_some_and(|t| t.live.contains_key(&hash)))
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(redeemed)
        })
    }

    fn token_owner(&self, token: &str) -> BoxFuture<'_, Result<Option<TokenOwner>, LogError>> {
        let well_formed = token.starts_with(tokens::TOKEN_PREFIX);
        let hash = tokens::hash(token);
        // Unknown until the watch has caught up: a revoked token must not
        // pass on a relay that has not read the revocation yet.
        let look = move |tokens: &Mirror<TokenTable>| match tokens.read() {
            Ok(m) => m
                .as_ref()
                .map(|t| well_formed.then(|| t.live.get(&hash).cloned()).flatten()),
            Err(_) => None,
        };
        Box::pin(async move {
            let mut owner = look(&self.tokens);
            // A token added a moment ago (`token add` on another machine)
            // reaches this relay through the bucket's watch: give it that
            // moment before refusing. Only a well-formed token waits, so
            // garbage is refused at once.
            let deadline = tokio::time::Instant::now() + TOKEN_GRACE;
            while well_formed
                && matches!(owner, Some(None))
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(25)).await;
                owner = look(&self.tokens);
            }
            owner.ok_or(LogError::CatchingUp("tokens"))
        })
    }

    fn follow(&self) -> broadcast::Receiver<Arc<Stored>> {
        self.live.subscribe()
    }
}

/// The token bucket, for `deskbell-relay token ... --log nats://`.
pub struct TokenStore(kv::Store);

impl TokenStore {
    pub async fn open(client: async_nats::Client, names: &Names) -> Result<TokenStore, LogError> {
        Ok(TokenStore(bucket(&context(client), &names.tokens).await?))
    }

    fn store_error(e: impl std::fmt::Display) -> TokenError {
        TokenError::Store(e.to_string())
    }

    /// Creates a token for `name` (or replaces a revoked one), bound to
    /// `email` when one is given; the only time the token is seen. Two
    /// admins adding one name at once: one wins. A write whose answer was
    /// lost is asked again for up to [`ADMIN_WAIT`]; finding its own hash
    /// stored, it is done (so a token is never printed unstored, nor a
    /// stored one refused as taken).
    pub async fn add(&self, name: &str, email: Option<&str>) -> Result<Secret, TokenError> {
        let email = tokens::checked_email(email)?;
        let token = tokens::generate(name)?;
        let record = TokenRecord {
            name: name.to_owned(),
            hash: tokens::hash(token.expose()),
            created_at: now_secs(),
            revoked_at: None,
            email,
        };
        let deadline = tokio::time::Instant::now() + ADMIN_WAIT;
        loop {
            match self.try_add(&record).await {
                Ok(()) => return Ok(token),
                Err(Attempt::Again(_)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(Attempt::Again(e) | Attempt::Fail(e)) => return Err(e),
            }
        }
    }

    async fn try_add(&self, record: &TokenRecord) -> Result<(), Attempt<TokenError>> {
        let again = |e: &dyn std::fmt::Display| Attempt::Again(Self::store_error(e));
        let key = token_key(&record.name);
        let value = serde_json::to_vec(record).map_err(|e| Attempt::Fail(Self::store_error(e)))?;
        let entry = self
            .0
            .entry(key.as_str())
            .await
            .map_err(|e| match e.kind() {
                kv::EntryErrorKind::TimedOut => again(&e),
                _ => Attempt::Fail(Self::store_error(e)),
            })?;
        match entry {
            Some(entry) if entry.operation == Operation::Put => {
                let old: TokenRecord = serde_json::from_slice(&entry.value)
                    .map_err(|e| Attempt::Fail(Self::store_error(e)))?;
                if old.hash == record.hash {
                    return Ok(());
                }
                if old.revoked_at.is_none() {
                    return Err(Attempt::Fail(TokenError::Exists(record.name.clone())));
                }
                self.0
                    .update(key.as_str(), value.into(), entry.revision)
                    .await
                    .map_err(|e| match e.kind() {
                        kv::UpdateErrorKind::InvalidKey => Attempt::Fail(Self::store_error(e)),
                        // Another admin's write, or ours: read again.
                        _ => again(&e),
                    })?;
            }
            _ => {
                self.0
                    .create(key.as_str(), value.into())
                    .await
                    .map_err(|e| match e.kind() {
                        kv::CreateErrorKind::InvalidKey => Attempt::Fail(Self::store_error(e)),
                        // Taken: by whom (us, if an answer was lost) the
                        // next read tells; at the deadline, it is taken.
                        kv::CreateErrorKind::AlreadyExists => {
                            Attempt::Again(TokenError::Exists(record.name.clone()))
                        }
                        _ => again(&e),
                    })?;
            }
        }
        Ok(())
    }

    pub async fn revoke(&self, name: &str) -> Result<(), TokenError> {
        let key = token_key(name);
        let entry = self
            .0
            .entry(key.as_str())
            .await
            .map_err(Self::store_error)?;
        let Some(entry) = entry.filter(|e| e.operation == Operation::Put) else {
            return Err(TokenError::NotFound(name.to_owned()));
        };
        let mut record: TokenRecord =
            serde_json::from_slice(&entry.value).map_err(Self::store_error)?;
        if record.revoked_at.is_some() {
            return Err(TokenError::NotFound(name.to_owned()));
        }
        record.revoked_at = Some(now_secs());
        let value = serde_json::to_vec(&record).map_err(Self::store_error)?;
        self.0
            .update(key.as_str(), value.into(), entry.revision)
            .await
            .map_err(Self::store_error)?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        let mut keys = self.0.keys().await.map_err(Self::store_error)?;
        let mut out = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(Self::store_error)?;
            if let Some(value) = self.0.get(key.as_str()).await.map_err(Self::store_error)? {
                if !key.starts_with('n') {
                    continue;
                }
                if let Ok(r) = serde_json::from_slice::<TokenRecord>(&value) {
                    out.push(TokenInfo {
                        name: r.name,
                        email: r.email,
                        created_at: r.created_at,
                        revoked_at: r.revoked_at,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn has_live_token(&self, name: &str) -> Result<bool, TokenError> {
        let entry = self
            .0
            .entry(token_key(name).as_str())
            .await
            .map_err(Self::store_error)?;
        Ok(match entry.filter(|e| e.operation == Operation::Put) {
            Some(e) => serde_json::from_slice::<TokenRecord>(&e.value)
                .map_err(Self::store_error)?
                .revoked_at
                .is_none(),
            None => false,
        })
    }

    /// Stores an invitation for `name` (refused while `name` has a live
    /// token); the code is shown once.
    pub async fn invite(
        &self,
        name: &str,
        email: Option<&str>,
        hours: u32,
        now: i64,
    ) -> Result<tokens::Invitation, TokenError> {
        let (invitation, email) = tokens::new_invitation(name, email, hours, now)?;
        if self.has_live_token(name).await? {
            return Err(TokenError::Exists(name.to_owned()));
        }
        let hash = tokens::code_hash(invitation.code.expose()).ok_or(TokenError::InviteUnknown)?;
        let value = serde_json::to_vec(&InviteRecord {
            name: name.to_owned(),
            email,
            created_at: now,
            expires_at: invitation.expires_at,
            used_at: None,
        })
        .map_err(Self::store_error)?;
        self.0
            .create(invite_key(&hash).as_str(), value.into())
            .await
            .map_err(Self::store_error)?;
        Ok(invitation)
    }

    /// Exchanges a code for a token, once. The invitation is marked used
    /// at the revision read (of two relays racing with one code, one
    /// wins), then the token made; if that is refused, the mark is undone.
    pub async fn redeem(&self, code: &str, now: i64) -> Result<Redeemed, TokenError> {
        let hash = tokens::code_hash(code).ok_or(TokenError::InviteUnknown)?;
        let key = invite_key(&hash);
        let entry = self
            .0
            .entry(key.as_str())
            .await
            .map_err(Self::store_error)?
            .filter(|e| e.operation == Operation::Put)
            .ok_or(TokenError::InviteUnknown)?;
        let mut record: InviteRecord =
            serde_json::from_slice(&entry.value).map_err(Self::store_error)?;
        if record.used_at.is_some() {
            return Err(TokenError::InviteUsed);
        }
        if now >= record.expires_at {
            return Err(TokenError::InviteExpired);
        }
        record.used_at = Some(now);
        let used = serde_json::to_vec(&record).map_err(Self::store_error)?;
        let revision = self
            .0
            .update(key.as_str(), used.into(), entry.revision)
            .await
            .map_err(|e| match e.kind() {
                // Another relay marked it first.
                kv::UpdateErrorKind::WrongLastRevision => TokenError::InviteUsed,
                _ => Self::store_error(e),
            })?;
        match self.add(&record.name, record.email.as_deref()).await {
            Ok(token) => Ok(Redeemed {
                owner: TokenOwner {
                    name: record.name,
                    email: record.email,
                },
                token,
            }),
            Err(e) => {
                record.used_at = None;
                if let Ok(unused) = serde_json::to_vec(&record) {
                    let _ = self.0.update(key.as_str(), unused.into(), revision).await;
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_any_name() {
        for name in ["onTicketCreate", "", "a\nb", "12\n", "ü"] {
            let data = r#"{"x":"1\n2"}"#;
            let stored = unframe(7, &frame(name, data)).unwrap();
            assert_eq!(
                (stored.id, stored.name.as_str(), stored.data.as_str()),
                (7, name, data)
            );
        }
        assert!(unframe(1, b"not a frame").is_none());
        assert!(unframe(1, b"99\nshort").is_none());
        assert!(unframe(1, &[b'1', b'\n', 0xff]).is_none());
    }

    #[test]
    fn the_window_answers_only_what_it_holds_whole() {
        let mut w = Window::default();
        assert!(w.after(0, 10).is_none());
        for id in 5..=9 {
            w.push(Arc::new(Stored {
                id,
                name: "e".into(),
                data: "{}".into(),
            }));
        }
        let ids = |v: Option<Vec<Stored>>| v.map(|v| v.iter().map(|e| e.id).collect::<Vec<_>>());
        assert_eq!(ids(w.after(4, 10)), Some(vec![5, 6, 7, 8, 9]));
        assert_eq!(ids(w.after(7, 1)), Some(vec![8]));
        assert_eq!(ids(w.after(9, 10)), None, "the stream says what follows");
        assert_eq!(ids(w.after(3, 10)), None, "4 is not held");
        assert_eq!(ids(w.after(10, 10)), None, "past what it has seen");
        // A jump starts the window over.
        w.push(Arc::new(Stored {
            id: 20,
            name: "e".into(),
            data: "{}".into(),
        }));
        assert_eq!(ids(w.after(8, 10)), None);
        assert_eq!(ids(w.after(19, 10)), Some(vec![20]));
    }

    #[test]
    fn team_states_never_go_back() {
        let r = |event_id, stamp| TeamRecord {
            event_id,
            stamp,
            data: String::new(),
        };
        assert!(r(2, None).replaces(&r(1, None)));
        assert!(!r(1, None).replaces(&r(2, None)));
        assert!(
            !r(3, Some(100)).replaces(&r(2, Some(200))),
            "older own time"
        );
        assert!(r(3, Some(200)).replaces(&r(2, Some(100))));
        assert!(
            !r(2, Some(100)).replaces(&r(2, Some(100))),
            "the same write"
        );
    }
}
