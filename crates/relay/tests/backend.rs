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
use tokio::sync::broadcast;

fn event(n: u32) -> NewEvent {
    NewEvent {
        name: "onTicketCreate".into(),
        data: format!(r#"{{"event":"onTicketCreate","n":{n}}}"#),
        once: None,
        team: None,
    }
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

    // Tokens: a live one has its name; anything else has none.
    assert!(log.token_name(valid_token).await.unwrap().is_some());
    assert_eq!(log.token_name("dbr_not_a_token").await.unwrap(), None);
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
    jetstream::init(client.clone(), &names, 3, &Retention::default())
        .await
        .unwrap();
    // Twice is fine: init checks what exists.
    let again = jetstream::init(client.clone(), &names, 3, &Retention::default())
        .await
        .unwrap();
    assert!(
        again.iter().all(|(_, m)| *m == jetstream::Made::Checked),
        "{again:?}"
    );
    let token = TokenStore::open(client.clone(), &names)
        .await
        .unwrap()
        .add("tom")
        .await
        .unwrap();
    let log: Arc<dyn EventLog> = Arc::new(JetStreamLog::open(client, names, live).await.unwrap());
    eventually("the token watch", || async {
        log.token_name(token.expose()).await.ok().flatten()
    })
    .await;
    promises_hold(log, token.expose()).await;
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_the_log_promises() {
    let dir = std::env::temp_dir().join(format!("deskbell-backend-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let conn = log::open(&dir).unwrap();
    let token = deskbell_relay::tokens::add(&conn, "tom").unwrap();
    let (live, _) = broadcast::channel(64);
    let (writer, thread) = Writer::start(conn, Retention::default(), live.clone());
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::new(dir.clone(), writer, live));
    promises_hold(log.clone(), token.expose()).await;
    drop(log);
    tokio::task::spawn_blocking(move || thread.join())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
