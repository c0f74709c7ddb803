//! The directory (who is who) read from Freshdesk's REST API by the relay,
//! against the API double (tests/doubles/freshworks_api.py, which follows
//! the public API: Basic auth with the key and "X", `per_page` and the
//! `Link: rel="next"` header, 429 with Retry-After, X-RateLimit headers):
//! two pages of agents after a 429, every stream told at its start and
//! again when the directory changes, a failed refresh that keeps the last
//! directory and shows in /metrics, and Freshcaller's teams from the
//! poller's users poll.

mod support;

use std::time::Duration;

use deskbell_core::directory::Directory;
use serde_json::{json, Value};
use support::api_double::ApiDouble;
use support::{add_token, metrics, Relay, Sse, TempDir};

const KEY: &str = "freshdesk-admin-key";

fn config(dir: &std::path::Path, double: &ApiDouble, key: &str, extra: &str) -> String {
    let key_file = dir.join("freshdesk.key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    format!(
        "directory_refresh_seconds = 2\n[freshdesk]\nurl = \"{}\"\napi_key_file = \"{}\"\n{extra}",
        double.base,
        key_file.display()
    )
}

fn agents(n: u64, first_name: &str) -> Value {
    json!((1..=n)
        .map(|i| json!({
            "id": 43_000_000_000u64 + i,
            "available": true,
            "group_ids": [351],
            "contact": {"name": if i == 1 { first_name.to_owned() } else { format!("Agent {i}") },
                        "email": format!("a{i}@acme.example")},
        }))
        .collect::<Vec<_>>())
}

/// The next `directory` event within `timeout`, skipping the rest.
async fn next_directory(s: &mut Sse, timeout: Duration) -> Option<Directory> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let e = s.next_event(left).await?;
        if e.event == "directory" {
            assert!(e.id.is_none(), "the directory is no place in the log");
            return Some(Directory::from_json(&e.data).unwrap());
        }
    }
}

fn gauge(m: &str, name: &str) -> Option<i64> {
    m.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn the_directory_is_read_across_pages_after_a_429_and_kept_when_a_refresh_fails() {
    let double = ApiDouble::start(KEY);
    double
        .post("/_double/agents", agents(150, "Tom Agent"))
        .await;
    double
        .post(
            "/_double/groups",
            json!([{"id": 351, "name": "Billing"}, {"id": 352, "name": "Sales"}]),
        )
        .await;
    double
        .post(
            "/_double/throttle",
            json!({"requests": 1, "retry_after": 2}),
        )
        .await;
    let dir = TempDir::new("directory");
    let relay = Relay::start(&dir.0, &config(&dir.0, &double, KEY, ""));
    let token = add_token(&dir.0, "agent-1");

    // A stream filtered to tickets still gets names: every kind reads them.
    let mut s = Sse::open(&relay.base(), &token, None, "?events=onTicketCreate")
        .await
        .unwrap();
    let first = next_directory(&mut s, Duration::from_secs(15))
        .await
        .expect("a directory event");
    assert_eq!(first.agents.len(), 150, "both pages");
    assert_eq!(first.agents[0].name.as_deref(), Some("Tom Agent"));
    assert_eq!(first.agents[0].group_ids, ["351"]);
    assert_eq!(first.groups.len(), 2);

    let requests = double.requests().await;
    assert!(
        requests.iter().all(|r| r["authorized"] == true),
        "{requests:?}"
    );
    assert!(requests
        .iter()
        .all(|r| r["path"].as_str().unwrap().starts_with("/api/v2/")));
    let (t0, t1) = (
        requests[0]["at"].as_f64().unwrap(),
        requests[1]["at"].as_f64().unwrap(),
    );
    assert_eq!(requests[0]["query"]["page"][0], "1");
    assert_eq!(
        requests[1]["query"]["page"][0], "1",
        "the same page again after the 429"
    );
    assert!(t1 - t0 >= 1.9, "the 429's Retry-After: {}", t1 - t0);
    let pages: Vec<&str> = requests
        .iter()
        .filter(|r| r["path"] == "/api/v2/agents")
        .map(|r| r["query"]["page"][0].as_str().unwrap())
        .collect();
    assert_eq!(&pages[..3], ["1", "1", "2"], "pages followed by their Link");
    assert!(requests.iter().all(|r| r["query"]["per_page"][0] == "100"));

    // The API goes down: the refresh fails, streams keep the last names,
    // and a new stream still gets them.
    double
        .post("/_double/throttle", json!({"requests": 2, "status": 503}))
        .await;
    let failed = metrics_say(
        &relay,
        "deskbell_relay_directory_errors_total{reason=\"status\"}",
    )
    .await;
    assert!(failed, "{}", metrics(&relay).await);
    let m = metrics(&relay).await;
    assert_eq!(
        gauge(&m, "deskbell_relay_directory_agents"),
        Some(150),
        "{m}"
    );
    assert!(gauge(&m, "deskbell_relay_directory_last_success_seconds").unwrap() > 0);
    assert!(gauge(&m, "deskbell_relay_freshdesk_rate_limit_remaining").unwrap() > 0);
    let mut fresh = Sse::open(&relay.base(), &token, None, "").await.unwrap();
    let kept = next_directory(&mut fresh, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(kept, first);

    // A rename reaches the open stream once the API answers again.
    double
        .post("/_double/agents", agents(150, "Tom Renamed"))
        .await;
    let renamed = next_directory(&mut s, Duration::from_secs(20))
        .await
        .expect("the changed directory");
    assert_eq!(renamed.agents[0].name.as_deref(), Some("Tom Renamed"));
}

#[tokio::test]
async fn a_refused_key_is_counted_and_streams_get_no_directory() {
    let double = ApiDouble::start(KEY);
    double.post("/_double/agents", agents(3, "Tom")).await;
    let dir = TempDir::new("directory-refused");
    let relay = Relay::start(&dir.0, &config(&dir.0, &double, "wrong-key", ""));
    let token = add_token(&dir.0, "agent-1");
    let counted = metrics_say(
        &relay,
        "deskbell_relay_directory_errors_total{reason=\"refused\"}",
    )
    .await;
    assert!(counted, "{}", metrics(&relay).await);
    let mut s = Sse::open(&relay.base(), &token, None, "").await.unwrap();
    assert!(next_directory(&mut s, Duration::from_secs(2))
        .await
        .is_none());
    // The key is in no answer of the relay's.
    assert!(!metrics(&relay).await.contains("wrong-key"));
}

#[tokio::test]
async fn freshcaller_teams_come_from_the_users_poll() {
    let double = ApiDouble::start(KEY);
    double.post("/_double/agents", agents(2, "Tom Agent")).await;
    double
        .post(
            "/_double/users",
            json!([{"id": 1201, "name": "Rita Hold", "email": "rita@acme.example", "status": 1,
                    "teams": [{"id": 2201, "name": "Phone support"}]}]),
        )
        .await;
    let dir = TempDir::new("directory-freshcaller");
    let fc_key = dir.0.join("freshcaller.key");
    std::fs::write(&fc_key, KEY).unwrap();
    let extra = format!(
        "[freshcaller]\nurl = \"{}\"\napi_key_file = \"{}\"\npoll_users_seconds = 1\n",
        double.base,
        fc_key.display()
    );
    let relay = Relay::start(&dir.0, &config(&dir.0, &double, KEY, &extra));
    let token = add_token(&dir.0, "agent-1");
    let mut s = Sse::open(&relay.base(), &token, None, "").await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let d = next_directory(&mut s, left).await.expect("both parts");
        let has = |id: &str| d.agents.iter().any(|a| a.id == id);
        if has("43000000001") && has("1201") {
            assert!(d
                .groups
                .iter()
                .any(|g| g.id == "2201" && g.name == "Phone support"));
            break;
        }
    }
}

/// Whether `/metrics` says `what` within 15 s.
async fn metrics_say(relay: &Relay, what: &str) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        if metrics(relay).await.contains(what) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}
