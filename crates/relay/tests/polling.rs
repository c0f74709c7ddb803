//! The relay's Freshcaller poller against the API double
//! (tests/doubles/freshworks_api.py, which follows the public API: the
//! X-Api-Auth header, pages in `meta`, `by_time`, 429 with Retry-After): a
//! missed call only the API knows becomes one event, the same call pushed
//! by the forwarding app stays one, every agent's status reaches the board
//! across pages, and the polls show in /metrics.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::api_double::ApiDouble;
use support::{add_token, fixture, http, metrics, Relay, Sse, TempDir, SECRET};

const KEY: &str = "freshcaller-admin-key";

fn config(dir: &std::path::Path, double: &ApiDouble, key: &str) -> String {
    let key_file = dir.join("freshcaller.key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    format!(
        "[freshcaller]\nurl = \"{}\"\napi_key_file = \"{}\"\npoll_calls_seconds = 1\npoll_users_seconds = 1\n",
        double.base,
        key_file.display()
    )
}

/// The missed call of the fixture, as the API lists it, started a minute ago.
fn missed_call(id: u64) -> Value {
    let v: Value =
        serde_json::from_slice(&fixture("freshcaller/call-update-incoming-missed.json")).unwrap();
    let mut call = v["data"]["call"].clone();
    call["id"] = json!(id);
    let started = chrono::Utc::now() - chrono::Duration::seconds(60);
    call["created_time"] = json!(started.to_rfc3339());
    call
}

fn answered_call(id: u64) -> Value {
    let v: Value =
        serde_json::from_slice(&fixture("freshcaller/call-update-incoming-answered.json")).unwrap();
    let mut call = v["data"]["call"].clone();
    call["id"] = json!(id);
    call["created_time"] = json!(chrono::Utc::now().to_rfc3339());
    call
}

#[tokio::test]
async fn a_missed_call_only_the_api_knows_becomes_one_event_and_statuses_reach_the_board() {
    let double = ApiDouble::start(KEY);
    let users: Vec<Value> = (1..=150)
        .map(|n| json!({"id": n, "name": format!("Agent {n}"), "email": format!("a{n}@acme.example"), "status": 1, "teams": [{"id": 2201, "name": "Support"}]}))
        .collect();
    double.post("/_double/users", json!(users)).await;
    double
        .post(
            "/_double/calls",
            json!([missed_call(71001), answered_call(71002)]),
        )
        .await;
    // The API's first answer is a 429: the poll waits its Retry-After.
    double
        .post(
            "/_double/throttle",
            json!({"requests": 1, "retry_after": 2}),
        )
        .await;

    let dir = TempDir::new("polling");
    let relay = Relay::start(&dir.0, &config(&dir.0, &double, KEY));
    let token = add_token(&dir.0, "agent-1");
    let mut s = Sse::open(&relay.base(), &token, Some(0), "").await.unwrap();
    let mut missed = Vec::new();
    let mut agents = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while (missed.is_empty() || agents.len() < 150) && tokio::time::Instant::now() < deadline {
        let Some(e) = s.next_event(Duration::from_secs(5)).await else {
            break;
        };
        if e.event == "directory" {
            // Names from the same users poll (tests/directory.rs).
            continue;
        }
        let v: Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(v["deskbell_source"], "freshcaller_api");
        match e.event.as_str() {
            "onCallUpdate" => missed.push((e.id.clone().unwrap(), v["data"]["call"]["id"].clone())),
            // The team's state, first when the poller was quicker than
            // this stream, then the updates themselves.
            "onAgentUpdate" | "team" => {
                agents.insert(v["data"]["agent"]["id"].as_u64().unwrap());
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(agents.len(), 150, "every agent, across both pages");
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].1, 71001, "the missed call, not the answered one");
    let polled_id: u64 = missed[0].0.parse().unwrap();

    // Later polls find the same call again: still one event. The forwarding
    // app's push of it is answered with the polled event's id.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut pushed: Value =
        serde_json::from_slice(&fixture("freshcaller/call-update-incoming-missed.json")).unwrap();
    pushed["data"]["call"]["id"] = json!(71001);
    let resp = http()
        .post(relay.url("/v1/events"))
        .bearer_auth(SECRET)
        .json(&pushed)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"id": polled_id, "duplicate": true}));
    while let Some(e) = s.next_event(Duration::from_secs(2)).await {
        assert_ne!(
            e.event, "onCallUpdate",
            "a second event for the call: {}",
            e.data
        );
    }

    // What the API saw: the key in its header, both user pages, the call
    // window, and the 429's wait honoured.
    let requests = double.requests().await;
    assert!(requests.iter().all(|r| r["authorized"] == true));
    let pages: std::collections::BTreeSet<String> = requests
        .iter()
        .filter(|r| r["path"] == "/api/v1/users")
        .map(|r| r["query"]["page"][0].as_str().unwrap().to_owned())
        .collect();
    assert!(pages.contains("1") && pages.contains("2"), "{pages:?}");
    let calls: Vec<&Value> = requests
        .iter()
        .filter(|r| r["path"] == "/api/v1/calls")
        .collect();
    assert!(calls
        .iter()
        .all(|r| r["query"]["by_time[from]"][0].is_string()
            && r["query"]["by_time[to]"][0].is_string()
            && r["query"]["per_page"][0] == "100"));
    let first = requests[0]["at"].as_f64().unwrap();
    let api = requests[0]["path"].clone();
    let retried = requests.iter().skip(1).find(|r| r["path"] == api).unwrap()["at"]
        .as_f64()
        .unwrap();
    assert!(
        retried - first >= 1.9,
        "the 429's Retry-After: {}",
        retried - first
    );

    let m = metrics(&relay).await;
    for line in [
        "deskbell_relay_missed_calls_found_by_polling_total 1",
        "deskbell_relay_polled_status_changes_total 150",
    ] {
        assert!(m.lines().any(|l| l == line), "{line} in\n{m}");
    }
    assert!(
        m.lines()
            .any(|l| l.starts_with("deskbell_relay_poll_errors_total{")
                && l.contains("reason=\"rate_limited\"} 1")),
        "{m}"
    );
    let lag = m
        .lines()
        .find(|l| l.starts_with("deskbell_relay_poll_lag_seconds{api=\"calls\"}"))
        .unwrap();
    let lag: u64 = lag.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(lag <= 5, "{lag}");
}

#[tokio::test]
async fn a_refused_api_key_is_counted_and_nothing_is_made_up() {
    let double = ApiDouble::start(KEY);
    double
        .post("/_double/calls", json!([missed_call(72001)]))
        .await;
    let dir = TempDir::new("polling-refused");
    let relay = Relay::start(&dir.0, &config(&dir.0, &double, "not-the-key"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let m = metrics(&relay).await;
    assert!(
        m.lines()
            .any(|l| l
                .starts_with("deskbell_relay_poll_errors_total{api=\"calls\",reason=\"refused\"}")),
        "{m}"
    );
    assert!(
        m.lines().any(|l| l == "deskbell_relay_events_in_total 0"),
        "{m}"
    );
    assert!(
        m.lines()
            .any(|l| l == "deskbell_relay_poll_last_success_seconds{api=\"calls\"} 0"),
        "{m}"
    );
}

#[tokio::test]
async fn the_forwarding_apps_requests_per_minute_are_counted_against_its_budget() {
    let dir = TempDir::new("budget");
    let log = dir.0.join("relay.log");
    let relay = Relay::start_logged(&dir.0, "", &log);
    for n in 0..39 {
        support::post(&relay.base(), &support::ticket(n))
            .await
            .unwrap();
    }
    let warned = |log: &std::path::Path| {
        std::fs::read_to_string(log)
            .unwrap()
            .lines()
            .filter(|l| l.contains("nears the platform's 50 requests a minute"))
            .count()
    };
    assert_eq!(warned(&log), 0, "no warning under 80% of the budget");
    for n in 39..45 {
        support::post(&relay.base(), &support::ticket(n))
            .await
            .unwrap();
    }
    assert_eq!(warned(&log), 1, "one warning a minute past 80%");
    // A webhook rule is not the app: not counted.
    support::post(
        &relay.base(),
        &fixture("webhook/freshdesk-ticket-created.json"),
    )
    .await
    .unwrap();
    let m = metrics(&relay).await;
    assert!(
        m.lines()
            .any(|l| l == "deskbell_relay_forwarding_requests_last_minute 45"),
        "{m}"
    );
    assert!(
        m.lines()
            .any(|l| l == "deskbell_relay_forwarding_budget_per_minute 50"),
        "{m}"
    );
}
