//! The log interface's promises, checked through the trait alone so that
//! every backend runs the same checks: SQLite, and JetStream on a real
//! 3-node cluster.

mod support;

use std::sync::Arc;
use std::time::Duration;

use deskbell_relay::backend::{Bounds, EventLog, NewEvent, SqliteLog};
use deskbell_relay::config::{NatsConfig, Retention};
use deskbell_relay::jetstream::{self, JetStreamLog, Names, TokenStore};
use deskbell_relay::log::{self, Once, TeamMember, Writer};
use deskbell_relay::tokens::{self, Invitation, TokenError};
use tokio::sync::broadcast;

fn event(n: u32) -> NewEvent {
    NewEvent {
        name: "onTicketCreate".into(),
        data: format!(r#"{{"event":"onTicketCreate","n":{n}}}"#),
        once: None,
        team: None,
    }
}

/// The admin's side of a backend's token store, as `deskbell-relay
/// invite` uses it.
enum Admin {
    Sqlite(std::path::PathBuf),
    Nats(Box<TokenStore>),
}

impl Admin {
    async fn invite(
        &self,
        name: &str,
        email: Option<&str>,
        now: i64,
    ) -> Result<Invitation, TokenError> {
        match self {
            Admin::Sqlite(dir) => {
                let conn = log::open(dir).unwrap();
                tokens::invite(&conn, name, email, 24, now)
            }
            Admin::Nats(store) => store.invite(name, email, 24, now).await,
        }
    }
}

fn refusal(e: log::LogError) -> &'static str {
    match e {
        log::LogError::Tokens(e) => e.code(),
        other => panic!("not a refusal: {other}"),
    }
}

/// Invitations: a code works once, for its name and email; used, expired,
/// unknown and taken-name codes change nothing.
async fn invitations_hold(log: &Arc<dyn EventLog>, admin: &Admin) {
    let now = 1_800_000_000;
    let invite = admin
        .invite("ann-laptop", Some("Ann@Acme.Example"), now)
        .await
        .unwrap();
    assert_eq!(invite.expires_at, now + 24 * 3600);
    let code = invite.code.expose().to_owned();
    // A second invitation for the same name may wait beside it.
    let second = admin.invite("ann-laptop", None, now).await.unwrap();
    assert_eq!(
        refusal(log.redeem("0000-0000-0000", now).await.unwrap_err()),
        "invite_unknown"
    );
    assert_eq!(
        refusal(log.redeem("no code", now).await.unwrap_err()),
        "invite_unknown"
    );
    // Typed in lower case with spaces: the same code.
    let typed = code.to_ascii_lowercase().replace('-', " ");
    let redeemed = log.redeem(&typed, now + 60).await.unwrap();
    assert_eq!(redeemed.owner.name, "ann-laptop");
    assert_eq!(redeemed.owner.email.as_deref(), Some("ann@acme.example"));
    let owner = eventually("the redeemed token", || async {
        log.token_owner(redeemed.token.expose())
            .await
            .ok()
            .flatten()
    })
    .await;
    assert_eq!(owner, redeemed.owner);
    assert_eq!(
        refusal(log.redeem(&code, now + 61).await.unwrap_err()),
        "invite_used"
    );
    // The name has a live token now: the other code is refused, and stays
    // unused (it works once that token is revoked).
    assert_eq!(
        refusal(
            log.redeem(second.code.expose(), now + 62)
                .await
                .unwrap_err()
        ),
        "token_exists"
    );
    // Expired: refused at its expiry, and after.
    let late = admin.invite("bob", None, now).await.unwrap();
    assert_eq!(
        refusal(
            log.redeem(late.code.expose(), now + 24 * 3600)
                .await
                .unwrap_err()
        ),
        "invite_expired"
    );
    // An invitation is no token, whatever is sent as one.
    assert_eq!(log.token_owner(late.code.expose()).await.unwrap(), None);
    assert_eq!(
        admin
            .invite("ann-laptop", None, now)
            .await
            .err()
            .map(|e| e.code()),
        Some("token_exists")
    );
}

/// What the HTTP layer relies on, whatever keeps the log. `valid_token`
/// must be live in the backend's token store.
async fn promises_hold(log: Arc<dyn EventLog>, valid_token: &str) {
    // Empty: no first id, last 0.
    assert_eq!(
        log.bounds().await.unwrap(),
        Bounds {
            first: None,
            last: 0
        }
    );
    let mut follow = log.follow();

    // Ids rise from 1 in append order; each append is readable at once.
    let mut ids = Vec::new();
    for n in 1..=5 {
        let appended = log.append(event(n)).await.unwrap();
        assert!(!appended.duplicate);
        ids.push(appended.id);
    }
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(
        log.bounds().await.unwrap(),
        Bounds {
            first: Some(1),
            last: 5
        }
    );
    let after_two = log.read_after(2, 2).await.unwrap();
    assert_eq!(after_two.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(after_two[0].data, r#"{"event":"onTicketCreate","n":3}"#);
    assert!(log.read_after(5, 10).await.unwrap().is_empty());

    // Followers see each committed event, in order.
    for want in 1..=5 {
        let got = tokio::time::timeout(Duration::from_secs(5), follow.recv())
            .await
            .expect("a followed event")
            .unwrap();
        assert_eq!(got.id, want);
    }

    // A keyed event is stored once while its key is remembered.
    let once = Some(Once {
        key: "missed_call:42".into(),
        for_secs: 600,
    });
    let first = log
        .append(NewEvent {
            once: once.clone(),
            ..event(6)
        })
        .await
        .unwrap();
    let again = log.append(NewEvent { once, ..event(7) }).await.unwrap();
    assert_eq!((first.id, first.duplicate), (6, false));
    assert_eq!((again.id, again.duplicate), (6, true));
    assert_eq!(log.bounds().await.unwrap().last, 6);

    // A retried POST (the same body again): one event, one id.
    let body = log.append(event(8)).await.unwrap();
    let retried = log.append(event(8)).await.unwrap();
    assert_eq!((body.id, body.duplicate), (7, false));
    assert_eq!((retried.id, retried.duplicate), (7, true));
    assert_eq!(log.bounds().await.unwrap().last, 7);

    // The team's latest state per agent; an older stamp never wins.
    let member = |stamp: i64, status: &str| NewEvent {
        name: "onAgentUpdate".into(),
        data: format!(r#"{{"event":"onAgentUpdate","status":"{status}"}}"#),
        once: None,
        team: Some(TeamMember {
            agent: "a1".into(),
            stamp: Some(stamp),
        }),
    };
    log.append(member(2_000, "busy")).await.unwrap();
    log.append(member(1_000, "online")).await.unwrap();
    let busy = [r#"{"event":"onAgentUpdate","status":"busy"}"#];
    // A shared log's relays learn of it through a watch: soon, not at once.
    eventually("the team's state", || async {
        log.team().await.ok().filter(|t| t == &busy)
    })
    .await;

    // Tokens: a live one has its owner, bound to an email; anything else
    // has none.
    let owner = log.token_owner(valid_token).await.unwrap().unwrap();
    assert_eq!(owner.name, "tom");
    assert_eq!(owner.email.as_deref(), Some("tom@acme.example"));
    assert_eq!(log.token_owner("dbr_not_a_token").await.unwrap(), None);
}

/// Waits up to five seconds for `check` to answer.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    check: impl Fn() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_keeps_the_log_promises() {
    let cluster = support::nats::Cluster::start(3);
    let servers: Vec<String> = cluster.url().split(',').map(str::to_owned).collect();
    let names = Names::new("PROMISES");
    let client = jetstream::connect(&servers, &NatsConfig::default())
        .await
        .unwrap();
    // Relays never create the stream: without init, opening names it.
    let (live, _) = broadcast::channel(64);
    let missing = JetStreamLog::open(client.clone(), names.clone(), live.clone()).await;
    assert!(
        matches!(missing, Err(log::LogError::NotInitialised(ref s)) if s == "PROMISES"),
        "{:?}",
        missing.err()
    );
    jetstream::init(client.clone(), &names, 3, &Retention::default(), |_| {})
        .await
        .unwrap();
    // Twice is fine: init checks what exists.
    let again = jetstream::init(client.clone(), &names, 3, &Retention::default(), |_| {})
        .await
        .unwrap();
    assert!(
        again.iter().all(|(_, m)| *m == jetstream::Made::Checked),
        "{again:?}"
    );
    let admin = TokenStore::open(client.clone(), &names).await.unwrap();
    let token = admin.add("tom", Some("Tom@Acme.example")).await.unwrap();
    let log: Arc<dyn EventLog> = Arc::new(JetStreamLog::open(client, names, live).await.unwrap());
    eventually("the token watch", || async {
        log.token_owner(token.expose()).await.ok().flatten()
    })
    .await;
    promises_hold(log.clone(), token.expose()).await;
    invitations_hold(&log, &Admin::Nats(Box::new(admin))).await;
    drop(cluster);
}

/// `init` on a cluster that has lost its quorum (as a new one has before it
/// elects) asks again until it is back, rather than failing the admin's
/// first run; and a second run applies new replicas to the buckets too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_init_waits_for_the_cluster_and_applies_replicas_to_every_part() {
    let mut cluster = support::nats::Cluster::start(3);
    let servers: Vec<String> = cluster.url().split(',').map(str::to_owned).collect();
    let names = Names::new("PATIENT");
    let client = jetstream::connect(&servers[..1], &NatsConfig::default())
        .await
        .unwrap();
    cluster.kill9(1);
    cluster.kill9(2);
    let retries = Arc::new(std::sync::Mutex::new(Vec::new()));
    let told = retries.clone();
    let init = tokio::spawn({
        let (client, names) = (client.clone(), names.clone());
        async move {
            jetstream::init(client, &names, 1, &Retention::default(), move |e| {
                told.lock().unwrap().push(e.to_string())
            })
            .await
        }
    });
    // Each ask may wait out the client's 3 s request timeout.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while retries.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "init never asked again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !init.is_finished(),
        "init gave up on a cluster without quorum"
    );
    cluster.restart(1);
    cluster.restart(2);
    let made = init.await.unwrap().unwrap();
    assert_eq!(made.len(), 4, "{made:?}");
    assert!(
        made.iter().all(|(_, m)| *m == jetstream::Made::Created),
        "{made:?}"
    );
    assert!(
        retries.lock().unwrap()[0].contains("the stream"),
        "{:?}",
        retries.lock().unwrap()
    );
    let again = jetstream::init(client.clone(), &names, 3, &Retention::default(), |_| {})
        .await
        .unwrap();
    assert!(
        again.iter().all(|(_, m)| *m == jetstream::Made::Checked),
        "{again:?}"
    );
    let ctx = async_nats::jetstream::new(client);
    for stream in [
        "PATIENT",
        "KV_PATIENT_TOKENS",
        "KV_PATIENT_TEAM",
        "KV_PATIENT_ONCE",
    ] {
        let mut stream = ctx.get_stream(stream).await.unwrap();
        let info = stream.info().await.unwrap();
        assert_eq!(info.config.num_replicas, 3, "{}", info.config.name);
    }
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_the_log_promises() {
    let dir = std::env::temp_dir().join(format!("deskbell-backend-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let conn = log::open(&dir).unwrap();
    let token = tokens::add(&conn, "tom", Some("tom@acme.example")).unwrap();
    let (live, _) = broadcast::channel(64);
    let (writer, thread) = Writer::start(conn, Retention::default(), live.clone());
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::new(dir.clone(), writer, live));
    promises_hold(log.clone(), token.expose()).await;
    invitations_hold(&log, &Admin::Sqlite(dir.clone())).await;
    drop(log);
    tokio::task::spawn_blocking(move || thread.join())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
