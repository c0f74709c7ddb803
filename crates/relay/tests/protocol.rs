//! The relay against docs/stream-protocol.md, as a real process on loopback.

mod support;

use std::time::Duration;

use deskbell_core::stream::sse::{one_line_json, Frame, SseParser};
use support::{
    add_token, agent_update, fixture, http, metrics, post, relay_cli, ticket, Relay, Sse, TempDir,
    SECRET,
};

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn ingress_answers_as_documented() {
    let dir = TempDir::new("ingress");
    let relay = Relay::start(&dir.0, "");
    let base = relay.base();
    assert_eq!(post(&base, &ticket(1)).await, Ok(1));
    assert_eq!(post(&base, &ticket(2)).await, Ok(2));
    // Unknown event names decode, so they are accepted.
    assert_eq!(
        post(&base, &fixture("tolerance/unknown-event-name.json")).await,
        Ok(3)
    );

    let c = http();
    let url = format!("{base}v1/events");
    let no_auth = c.post(&url).body(ticket(4)).send().await.unwrap();
    assert_eq!(no_auth.status(), 401);
    let wrong = c
        .post(&url)
        .bearer_auth("nope")
        .body(ticket(4))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let bad = c
        .post(&url)
        .bearer_auth(SECRET)
        .body("{\"event\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");
    let undecodable = c
        .post(&url)
        .bearer_auth(SECRET)
        .body(fixture("invalid/ticket-create-without-ticket.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(undecodable.status(), 400);
    let body: serde_json::Value = undecodable.json().await.unwrap();
    assert_eq!(
        body["message"],
        "onTicketCreate needs data.ticket, which is missing or null"
    );
    // A payload is an object: an array is never read positionally (it once
    // was, as an event named "3").
    for (fixture_name, code) in [
        ("invalid/array-of-numbers.json", "not_an_object"),
        ("invalid/array-spelling-an-event.json", "not_an_object"),
        ("invalid/ticket-as-array.json", "bad_field"),
    ] {
        let refused = c
            .post(&url)
            .bearer_auth(SECRET)
            .body(fixture(fixture_name))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{fixture_name}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["code"], code, "{fixture_name}");
    }

    let huge = vec![b' '; 1024 * 1024 + 1];
    let too_large = c
        .post(&url)
        .bearer_auth(SECRET)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    // Nothing refused was stored: the next id follows on.
    assert_eq!(post(&base, &ticket(5)).await, Ok(4));
}

#[tokio::test]
async fn stream_replays_after_last_event_id_as_one_line_json() {
    let dir = TempDir::new("replay");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let base = relay.base();
    let pretty = fixture("freshcaller/call-update-incoming-missed.json");
    post(&base, &ticket(1)).await.unwrap();
    post(&base, &pretty).await.unwrap();
    post(&base, &fixture("freshdesk/contact-create.json"))
        .await
        .unwrap();

    let mut s = Sse::open(&base, &token, Some(1), "").await.unwrap();
    assert_eq!(s.next(T).await, Some(Frame::Retry(1000)));
    let two = s.next_event(T).await.unwrap();
    assert_eq!(
        (two.id.as_deref(), two.event.as_str()),
        (Some("2"), "onCallUpdate")
    );
    assert_eq!(two.data, one_line_json(&pretty));
    assert!(!two.data.contains('\n'));
    let v1: serde_json::Value = serde_json::from_str(&two.data).unwrap();
    let v2: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
    assert_eq!(v1, v2);
    let three = s.next_event(T).await.unwrap();
    assert_eq!(
        (three.id.as_deref(), three.event.as_str()),
        (Some("3"), "onContactCreate")
    );

    // Live events follow the replay.
    post(&base, &ticket(9)).await.unwrap();
    assert_eq!(s.next_event(T).await.unwrap().id.as_deref(), Some("4"));
}

#[tokio::test]
async fn events_filter_and_new_events_only_without_a_resume_point() {
    let dir = TempDir::new("filter");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let base = relay.base();
    post(&base, &ticket(1)).await.unwrap();
    let mut all_new = Sse::open(&base, &token, None, "").await.unwrap();
    let mut calls = Sse::open(
        &base,
        &token,
        Some(0),
        "?events=onCallUpdate,onPhoneCallUpdate",
    )
    .await
    .unwrap();
    post(
        &base,
        &fixture("freshcaller/call-update-incoming-missed.json"),
    )
    .await
    .unwrap();
    post(&base, &ticket(2)).await.unwrap();
    post(&base, &fixture("freshcaller/phone-call-update-missed.json"))
        .await
        .unwrap();

    // No Last-Event-ID: only what came after connecting (2, 3, 4), not 1.
    let ids: Vec<String> = [
        all_new.next_event(T).await.unwrap(),
        all_new.next_event(T).await.unwrap(),
        all_new.next_event(T).await.unwrap(),
    ]
    .into_iter()
    .map(|e| e.id.unwrap())
    .collect();
    assert_eq!(ids, ["2", "3", "4"]);
    let a = calls.next_event(T).await.unwrap();
    let b = calls.next_event(T).await.unwrap();
    assert_eq!(
        (a.event.as_str(), a.id.as_deref()),
        ("onCallUpdate", Some("2"))
    );
    assert_eq!(
        (b.event.as_str(), b.id.as_deref()),
        ("onPhoneCallUpdate", Some("4"))
    );
}

#[tokio::test]
async fn stream_needs_a_live_token_and_revocation_closes_it() {
    let dir = TempDir::new("tokens");
    let relay = Relay::start(&dir.0, "keepalive_seconds = 1");
    let base = relay.base();
    assert_eq!(Sse::open(&base, "", None, "").await.err(), Some(401));
    assert_eq!(
        Sse::open(&base, "dbr_0000", None, "").await.err(),
        Some(401)
    );
    let token = add_token(&dir.0, "agent-1");
    let mut s = Sse::open(&base, &token, None, "").await.unwrap();

    // `token list` names tokens but never shows them.
    let list = relay_cli(&dir.0, &["token", "list"]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.starts_with("agent-1\t(no email)\tactive"), "{text}");
    assert!(!text.contains(&token));
    // The store holds only the hash.
    for file in support::backend::store_files(&dir.0) {
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            // The cluster's files come and go (compaction) under the walk.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && support::backend::nats().is_some() =>
            {
                continue
            }
            Err(e) => panic!("{}: {e}", file.display()),
        };
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} holds the token",
            file.display()
        );
    }

    assert!(relay_cli(&dir.0, &["token", "revoke", "agent-1"])
        .status
        .success());
    assert!(
        s.ends_within(Duration::from_secs(5)).await,
        "revoked stream closes within a keepalive"
    );
    assert_eq!(Sse::open(&base, &token, None, "").await.err(), Some(401));
    // A name can get a new token once the old one is revoked; not twice.
    let again = add_token(&dir.0, "agent-1");
    assert_ne!(again, token);
    assert!(!relay_cli(&dir.0, &["token", "add", "agent-1"])
        .status
        .success());
}

#[tokio::test]
async fn a_resume_point_past_retention_gets_a_reset() {
    let dir = TempDir::new("reset");
    let relay = Relay::start(
        &dir.0,
        "[retention]\nmax_events = 2\nprune_every_seconds = 1",
    );
    let token = add_token(&dir.0, "agent-1");
    let base = relay.base();
    for n in 1..=5 {
        post(&base, &ticket(n)).await.unwrap();
    }
    // Let the writer prune (ids 1..=3 go).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut s = Sse::open(&base, &token, Some(1), "").await.unwrap();
    let reset = s.next_event(T).await.unwrap();
    assert_eq!(reset.event, "reset");
    assert_eq!(
        reset.id, None,
        "a reset has no id line, so it never moves the resume point"
    );
    let v: serde_json::Value = serde_json::from_str(&reset.data).unwrap();
    assert_eq!(v, serde_json::json!({"dropped": 2, "resume_from": 4}));
    assert_eq!(s.next_event(T).await.unwrap().id.as_deref(), Some("4"));
    assert_eq!(s.next_event(T).await.unwrap().id.as_deref(), Some("5"));

    // A resume point ahead of the log (the log was replaced) restarts at its end.
    let mut ahead = Sse::open(&base, &token, Some(99), "").await.unwrap();
    let reset = ahead.next_event(T).await.unwrap();
    assert_eq!(reset.data, r#"{"dropped":0,"resume_from":6}"#);
}

#[tokio::test]
async fn idle_stream_gets_keepalive_comments() {
    let dir = TempDir::new("keepalive");
    let relay = Relay::start(&dir.0, "keepalive_seconds = 1");
    let token = add_token(&dir.0, "agent-1");
    let mut s = Sse::open(&relay.base(), &token, None, "").await.unwrap();
    assert_eq!(s.next(T).await, Some(Frame::Retry(1000)));
    assert_eq!(s.next(Duration::from_secs(3)).await, Some(Frame::Comment));
}

#[tokio::test]
async fn health_and_metrics() {
    let dir = TempDir::new("metrics");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let c = http();
    assert_eq!(
        c.get(relay.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
    let _s = Sse::open(&relay.base(), &token, None, "").await.unwrap();
    post(&relay.base(), &ticket(1)).await.unwrap();
    let _ = c
        .post(relay.url("/v1/events"))
        .body("x")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = metrics(&relay).await;
    for line in [
        "deskbell_relay_events_in_total 1",
        "deskbell_relay_events_rejected_total{reason=\"unauthorized\"} 1",
        "deskbell_relay_clients_connected 1",
        "deskbell_relay_last_event_id 1",
        "deskbell_relay_fanout_lag_events 0",
    ] {
        assert!(m.lines().any(|l| l == line), "{line:?} in\n{m}");
    }
    let up = |v| {
        format!(
            "deskbell_relay_log_up{{backend=\"{}\"}} {v}",
            support::backend::kind()
        )
    };
    assert!(m.lines().any(|l| l == up(1)), "{} in\n{m}", up(1));

    // The log gone (a disk swapped, a restore gone wrong; the stream deleted
    // from the cluster): reads fail, so the relay says it cannot serve, to a
    // load balancer and to monitoring alike.
    support::backend::break_log(&dir.0).await;
    // Checked in the background once a second.
    let mut health = c.get(relay.url("/healthz")).send().await.unwrap();
    for _ in 0..50 {
        if health.status() == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        health = c.get(relay.url("/healthz")).send().await.unwrap();
    }
    assert_eq!(health.status(), 503);
    assert_eq!(health.text().await.unwrap(), "log unavailable\n");
    let m = metrics(&relay).await;
    assert!(m.lines().any(|l| l == up(0)), "{m}");
}

#[tokio::test]
async fn acknowledged_events_survive_kill_9() {
    let dir = TempDir::new("kill9");
    let mut relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let mut acked = Vec::new();
    for n in 0..50 {
        acked.push(post(&relay.base(), &ticket(n)).await.unwrap());
    }
    relay.kill9();
    relay.restart();
    let mut s = Sse::open(&relay.base(), &token, Some(0), "").await.unwrap();
    let mut got = Vec::new();
    while got.len() < acked.len() {
        let e = s
            .next_event(T)
            .await
            .expect("every acknowledged event after the restart");
        got.push(e.id.unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(got, acked);
}

#[tokio::test]
async fn sigterm_ends_streams_cleanly_and_exits() {
    let dir = TempDir::new("sigterm");
    let mut relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    post(&relay.base(), &ticket(1)).await.unwrap();
    let mut s = Sse::open(&relay.base(), &token, Some(0), "").await.unwrap();
    assert_eq!(s.next_event(T).await.unwrap().id.as_deref(), Some("1"));
    let status = relay
        .terminate(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(s.ends_within(Duration::from_secs(2)).await);
}

/// The examples in docs/stream-protocol.md parse as the protocol says.
#[test]
fn protocol_doc_examples_parse() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/stream-protocol.md"
    ))
    .unwrap();
    let blocks: Vec<&str> = doc
        .split("```text\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 3, "the event, reset and directory examples");
    let mut out = Vec::new();
    let mut p = SseParser::new(1 << 20);
    for b in &blocks {
        // The doc indents continuation; the wire does not.
        let wire: String = b
            .lines()
            .map(|l| l.trim_start())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        p.push(wire.as_bytes(), &mut out);
    }
    let events: Vec<_> = out
        .into_iter()
        .filter_map(|f| {
            if let Frame::Event(e) = f {
                Some(e)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(events.len(), 3);
    assert_eq!(
        (events[0].id.as_deref(), events[0].event.as_str()),
        (Some("42"), "onTicketCreate")
    );
    assert_eq!(events[1].event, "reset");
    let reset: serde_json::Value = serde_json::from_str(&events[1].data).unwrap();
    assert_eq!(reset["resume_from"], 1241);
    assert_eq!(
        (events[2].id.as_deref(), events[2].event.as_str()),
        (None, "directory")
    );
    let directory = deskbell_core::directory::Directory::from_json(&events[2].data).unwrap();
    assert_eq!(directory.groups[0].name, "Billing");
    // `GET /v1/me`'s example is what the desktop reads.
    let me = doc
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the /v1/me example");
    let me = deskbell_core::directory::WhoAmI::from_json(me).unwrap();
    assert_eq!(me.emails, ["tom@acme.example"]);
    assert_eq!(me.identity().agent_ids, ["43000000001", "5001"]);
}

#[tokio::test]
async fn a_fresh_stream_announces_its_position_in_a_header() {
    let dir = TempDir::new("position");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    for n in 0..3 {
        post(&relay.base(), &ticket(n)).await.unwrap();
    }
    let resp = http()
        .get(relay.url("/v1/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["deskbell-stream-position"], "3");
}

#[test]
fn serve_without_an_ingress_secret_refuses_to_start() {
    let dir = TempDir::new("nosecret");
    let out = std::process::Command::new(support::bin())
        .args([
            "--data",
            dir.0.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("DESKBELL_RELAY_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no ingress secret"), "{err}");
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_events_and_tokens() {
    if !support::backend::sqlite_only("backup and restore") {
        return;
    }
    let dir = TempDir::new("backup");
    let mut relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let mut acked = Vec::new();
    for n in 0..20 {
        acked.push(post(&relay.base(), &ticket(n)).await.unwrap());
    }
    let file = dir.0.join("backup.sqlite3");
    let out = relay_cli(&dir.0, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    // A backup never overwrites a file.
    let again = relay_cli(&dir.0, &["backup", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    // Not a backup: refused, nothing changed.
    let junk = dir.0.join("junk");
    std::fs::write(&junk, b"not sqlite").unwrap();
    let fresh = TempDir::new("restored");
    let refused = relay_cli(&fresh.0, &["restore", junk.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(!fresh.0.join("relay.sqlite3").exists());
    relay.terminate(T);

    // Restored into a new data dir: the same events, ids and token.
    let out = relay_cli(&fresh.0, &["restore", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let restored = Relay::start(&fresh.0, "");
    let mut s = Sse::open(&restored.base(), &token, Some(0), "")
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < acked.len() {
        let e = s.next_event(T).await.expect("a restored event");
        got.push(e.id.unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(got, acked);
    // New ids jump past anything a desktop could have seen before the restore.
    let next = post(&restored.base(), &ticket(99)).await.unwrap();
    assert_eq!(
        next,
        acked.last().unwrap() + 1 + deskbell_relay::log::RESTORE_ID_GAP as u64
    );
    assert_eq!(s.next_event(T).await.unwrap().id, Some(next.to_string()));

    // Restoring over a live data dir keeps the old log beside it.
    drop(s);
    drop(restored);
    let out = relay_cli(&fresh.0, &["restore", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("previous log is kept"));
}

#[tokio::test]
async fn a_freshdesk_webhook_body_is_stored_as_the_product_event() {
    let dir = TempDir::new("webhook");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let base = relay.base();
    let id = post(&base, &fixture("webhook/freshdesk-ticket-created.json"))
        .await
        .unwrap();
    let mut s = Sse::open(&base, &token, Some(id - 1), "").await.unwrap();
    let e = s.next_event(T).await.unwrap();
    assert_eq!(e.event, "onTicketCreate");
    let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(v["data"]["ticket"]["id"], 4711);
    assert_eq!(v["domain"], "acme.freshdesk.com");

    // A rule with a mistake: 400, naming the field, and nothing stored.
    let resp = http()
        .post(format!("{base}v1/events"))
        .bearer_auth(SECRET)
        .body(fixture("webhook/freshdesk-bad-priority.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "webhook_bad_field");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("ticket.priority:"));
    let next = post(&base, &ticket(5)).await.unwrap();
    assert_eq!(next, id + 1);
}

/// The `team` events a stream starts with, and the first event after them.
async fn team(s: &mut Sse) -> (Vec<String>, deskbell_core::stream::sse::SseEvent) {
    let mut team = Vec::new();
    loop {
        let ev = s.next_event(T).await.unwrap();
        if ev.event != "team" {
            return (team, ev);
        }
        assert_eq!(ev.id, None, "a team event is no place in the log");
        team.push(ev.data);
    }
}

fn status_of(data: &str) -> deskbell_core::event::agent::AgentStatus {
    match deskbell_core::decode(data.as_bytes()).unwrap().event {
        deskbell_core::Event::AgentUpdated(u) => u.agent.status().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_team_outlives_the_log_and_comes_first_in_order() {
    let dir = TempDir::new("team");
    let relay = Relay::start(
        &dir.0,
        "[retention]\nmax_events = 2\nprune_every_seconds = 1",
    );
    let token = add_token(&dir.0, "agent-1");
    let base = relay.base();
    // Tom online, then busy; then an older update (after-call work, from
    // before "busy") arrives last: it never wins.
    let f = "freshcaller/agent-update-";
    post(
        &base,
        &agent_update(&format!("{f}online.json"), 1000.0, None),
    )
    .await
    .unwrap();
    post(&base, &agent_update(&format!("{f}busy.json"), 2000.0, None))
        .await
        .unwrap();
    post(
        &base,
        &agent_update(&format!("{f}after-call-work.json"), 1500.0, None),
    )
    .await
    .unwrap();
    // Ann, online.
    post(
        &base,
        &agent_update(&format!("{f}online.json"), 1000.0, Some(5002)),
    )
    .await
    .unwrap();
    // Tickets push the agent events out of the log.
    for n in 1..=3 {
        post(&base, &ticket(n)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // A fresh desktop, with no resume point: the whole team, then live.
    let mut fresh = Sse::open(&base, &token, None, "").await.unwrap();
    post(&base, &ticket(9)).await.unwrap();
    let (members, next) = team(&mut fresh).await;
    assert_eq!(members.len(), 2, "{members:?}");
    use deskbell_core::event::agent::AgentStatus;
    assert_eq!(
        status_of(&members[0]),
        AgentStatus::Busy,
        "Tom: the latest, not the last posted"
    );
    assert_eq!(status_of(&members[1]), AgentStatus::Online, "Ann");
    assert_eq!(next.event, "onTicketCreate");
    assert_eq!(next.id.as_deref(), Some("8"));

    // Resuming past retention: reset, then the team, then the replay.
    let mut resumed = Sse::open(&base, &token, Some(1), "").await.unwrap();
    assert_eq!(resumed.next_event(T).await.unwrap().event, "reset");
    let (members, next) = team(&mut resumed).await;
    assert_eq!(members.len(), 2);
    assert_eq!(next.event, "onTicketCreate");

    // A stream without agent updates gets no team.
    let mut tickets = Sse::open(&base, &token, None, "?events=onTicketCreate")
        .await
        .unwrap();
    post(&base, &ticket(10)).await.unwrap();
    assert_eq!(tickets.next_event(T).await.unwrap().event, "onTicketCreate");
}
