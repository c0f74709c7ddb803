//! "Assign to me" through the relay, against the Freshdesk API double
//! (tickets GET and PUT as Freshdesk's API documents them): one PUT with the
//! token's own agent id for a ticket with no agent; none for a ticket
//! someone took first, whose name comes back; a 429 waited out once by its
//! Retry-After and never twice; clear refusals for a token bound to no
//! agent, a bad token, a missing ticket and a relay with no API.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::api_double::ApiDouble;
use support::{http, relay_cli, token_printed, Relay, TempDir};

const KEY: &str = "assign-test-key";

fn config(dir: &std::path::Path, double: &ApiDouble) -> String {
    let key_file = dir.join("freshdesk.key");
    std::fs::write(&key_file, KEY).unwrap();
    format!(
        "[freshdesk]\nurl = \"{}\"\napi_key_file = \"{}\"\n",
        double.base,
        key_file.display()
    )
}

async fn assign(relay: &Relay, token: &str, ticket: &str) -> (u16, Value) {
    let resp = http()
        .post(relay.url(&format!("/v1/tickets/{ticket}/assign")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The double's ticket requests since `from`, as (method, path, body).
async fn ticket_requests(double: &ApiDouble, from: usize) -> Vec<(String, String, Value)> {
    double.requests().await[from..]
        .iter()
        .filter(|r| r["path"].as_str().unwrap().starts_with("/api/v2/tickets/"))
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["body"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn assign_to_me_puts_once_leaves_taken_tickets_alone_and_waits_out_one_429() {
    let double = ApiDouble::start(KEY);
    double
        .post(
            "/_double/agents",
            json!([
                {"id": 43000000001u64, "contact": {"name": "Tom Agent", "email": "tom@acme.example"}},
                {"id": 43000000002u64, "contact": {"name": "Rita Hold", "email": "rita@acme.example"}},
            ]),
        )
        .await;
    double
        .post(
            "/_double/tickets",
            json!([
                {"id": 501, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
                {"id": 502, "responder_id": 43000000002u64, "status": 2, "updated_at": "2026-12-03T09:58:00Z"},
                {"id": 503, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
                {"id": 504, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
            ]),
        )
        .await;
    let dir = TempDir::new("assign");
    let relay = Relay::start(&dir.0, &config(&dir.0, &double));
    let tom = token_printed(relay_cli(
        &dir.0,
        &["token", "add", "tom-desk", "--email", "tom@acme.example"],
    ));
    let kiosk = token_printed(relay_cli(&dir.0, &["token", "add", "kiosk"]));
    // The directory is read at start: Tom's Freshdesk id comes from it.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let me: Value = http()
            .get(relay.url("/v1/me"))
            .bearer_auth(&tom)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if me["agents"][0]["id"] == "43000000001" {
            break;
        }
        assert!(Instant::now() < deadline, "the directory never came: {me}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // No agent: one GET, one PUT with Tom's own id.
    let from = double.requests().await.len();
    let (status, body) = assign(&relay, &tom, "501").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"outcome": "assigned", "ticket": "501", "agent_id": "43000000001"})
    );
    assert_eq!(
        ticket_requests(&double, from).await,
        [
            ("GET".into(), "/api/v2/tickets/501".into(), Value::Null),
            (
                "PUT".into(),
                "/api/v2/tickets/501".into(),
                json!({"responder_id": 43000000001u64})
            ),
        ]
    );
    // Asked again: it is Tom's already, nothing sent.
    let from = double.requests().await.len();
    let (_, body) = assign(&relay, &tom, "501").await;
    assert_eq!(body["outcome"], "already_yours");
    assert!(ticket_requests(&double, from)
        .await
        .iter()
        .all(|(m, _, _)| m == "GET"));

    // Taken first: no PUT, and who has it.
    let from = double.requests().await.len();
    let (status, body) = assign(&relay, &tom, "502").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"outcome": "taken", "ticket": "502", "by_id": "43000000002", "by": "Rita Hold", "at": "2026-12-03T09:58:00Z"})
    );
    assert!(ticket_requests(&double, from)
        .await
        .iter()
        .all(|(m, _, _)| m == "GET"));

    // One 429: waited out by its Retry-After, then done.
    double
        .post(
            "/_double/throttle",
            json!({"requests": 1, "retry_after": 1}),
        )
        .await;
    let from = double.requests().await.len();
    let started = Instant::now();
    let (status, body) = assign(&relay, &tom, "503").await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("assigned")),
        "{body}"
    );
    assert!(started.elapsed() >= Duration::from_millis(950));
    let methods: Vec<String> = ticket_requests(&double, from)
        .await
        .into_iter()
        .map(|(m, _, _)| m)
        .collect();
    assert_eq!(methods, ["GET", "GET", "PUT"]);

    // Two: refused after the one retry, never a loop; nothing changed.
    double
        .post(
            "/_double/throttle",
            json!({"requests": 2, "retry_after": 1}),
        )
        .await;
    let from = double.requests().await.len();
    let resp = http()
        .post(relay.url("/v1/tickets/504/assign"))
        .bearer_auth(&tom)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(
        ticket_requests(&double, from).await.len(),
        2,
        "two GETs, no third"
    );

    // Refusals, each plain.
    let (status, body) = assign(&relay, &kiosk, "504").await;
    assert_eq!((status, body["error"].as_str()), (409, Some("no_agent")));
    let (status, _) = assign(&relay, "dbr_not_a_token", "504").await;
    assert_eq!(status, 401);
    let (status, body) = assign(&relay, &tom, "999").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("ticket_missing"))
    );
    let (status, body) = assign(&relay, &tom, "12;DROP").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_ticket")));
}

#[tokio::test]
async fn a_relay_without_an_api_says_it_cannot_assign() {
    let dir = TempDir::new("assign-none");
    let relay = Relay::start(&dir.0, "");
    let tom = token_printed(relay_cli(
        &dir.0,
        &["token", "add", "tom", "--email", "tom@acme.example"],
    ));
    let (status, body) = assign(&relay, &tom, "501").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (501, Some("assign_not_configured"))
    );
}
