//! Who is who from the token: `token add NAME --email EMAIL` binds a token to
//! an agent; `GET /v1/me` (and the stream's `me` event) say who that is,
//! from the directory (the Freshdesk API double) and the team's state. And
//! one-time invitations: `deskbell-relay invite` prints a code that
//! `POST /v1/invites/redeem` exchanges for a token once; the code and the
//! token end up in no file. Both passes: SQLite and JetStream.

mod support;

use std::time::Duration;

use deskbell_core::directory::{Product, WhoAmI};
use serde_json::{json, Value};
use support::api_double::ApiDouble;
use support::{
    agent_update, backend, http, metrics, post, relay_cli, token_printed, Relay, Sse, TempDir,
};

const KEY: &str = "freshdesk-admin-key";

fn config(dir: &std::path::Path, double: &ApiDouble) -> String {
    let key_file = dir.join("freshdesk.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    format!(
        "public_url = \"https://relay.acme.example/\"\n[freshdesk]\nurl = \"{}\"\napi_key_file = \"{}\"\n",
        double.base,
        key_file.display()
    )
}

async fn me(relay: &Relay, token: Option<&str>) -> (u16, Value) {
    let mut req = http().get(relay.url("/v1/me"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn redeem(relay: &Relay, body: Value) -> (u16, Value) {
    let resp = http()
        .post(relay.url("/v1/invites/redeem"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn me_names_a_bound_tokens_agent_ids_and_groups_and_nothing_for_others() {
    let double = ApiDouble::start(KEY);
    double
        .post(
            "/_double/agents",
            json!([
                {"id": 43000000001u64, "available": true, "group_ids": [351],
                 "contact": {"name": "Tom Agent", "email": "Tom@Acme.example"}},
                {"id": 43000000002u64, "available": true, "group_ids": [352],
                 "contact": {"name": "Rita Hold", "email": "rita@acme.example"}},
            ]),
        )
        .await;
    double
        .post(
            "/_double/groups",
            json!([{"id": 351, "name": "Billing"}, {"id": 352, "name": "Sales"}]),
        )
        .await;
    let dir = TempDir::new("identity-me");
    let relay = Relay::start(&dir.0, &config(&dir.0, &double));
    let bound = token_printed(relay_cli(
        &dir.0,
        &["token", "add", "tom-desk", "--email", "tom@acme.example"],
    ));
    let unbound = token_printed(relay_cli(&dir.0, &["token", "add", "kiosk"]));
    let refused = relay_cli(&dir.0, &["token", "add", "x", "--email", "not-an-email"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an email address"));
    // The team's state: Tom's Freshcaller agent (id 5001, teams 2201 and 2202).
    post(
        &relay.base(),
        &agent_update(
            "freshcaller/agent-update-online.json",
            1_763_629_800.0,
            None,
        ),
    )
    .await
    .unwrap();

    let want = |me: &WhoAmI| {
        let ids: Vec<(&Product, &str)> = me
            .agents
            .iter()
            .map(|a| (&a.product, a.id.as_str()))
            .collect();
        ids.contains(&(&Product::Freshdesk, "43000000001"))
            && ids.contains(&(&Product::Freshcaller, "5001"))
            && me
                .groups
                .iter()
                .any(|g| g.id == "351" && g.name.as_deref() == Some("Billing"))
            && me
                .groups
                .iter()
                .any(|g| g.id == "2201" && g.name.as_deref() == Some("Support"))
    };
    // The directory is read at start: soon, not at once.
    let mut last = Value::Null;
    for _ in 0..150 {
        let (status, body) = me(&relay, Some(&bound)).await;
        assert_eq!(status, 200, "{body}");
        last = body;
        if want(&serde_json::from_value::<WhoAmI>(last.clone()).unwrap()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tom: WhoAmI = serde_json::from_value(last.clone()).unwrap();
    assert!(want(&tom), "{last}");
    assert_eq!(tom.name, "tom-desk");
    assert_eq!(tom.emails, ["tom@acme.example"]);
    assert!(
        !tom.agents.iter().any(|a| a.id == "43000000002"),
        "only Tom's: {last}"
    );

    // The stream says the same, before any event.
    let mut s = Sse::open(&relay.base(), &bound, None, "").await.unwrap();
    let event = loop {
        let e = s
            .next_event(Duration::from_secs(5))
            .await
            .expect("a me event");
        if e.event == "me" {
            break e;
        }
        assert_ne!(e.event, "onAgentUpdate", "me comes before live events");
    };
    assert!(event.id.is_none(), "me is no place in the log");
    assert_eq!(WhoAmI::from_json(&event.data).unwrap(), tom);

    // Unbound: its name and nothing else. A bad token or none: 401.
    let (status, body) = me(&relay, Some(&unbound)).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_value::<WhoAmI>(body).unwrap(),
        WhoAmI {
            name: "kiosk".into(),
            ..WhoAmI::default()
        }
    );
    for token in [Some("dbr_0000"), Some("tom@acme.example"), None] {
        let (status, body) = me(&relay, token).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body["error"], "unauthorized");
    }
    let listed = String::from_utf8(relay_cli(&dir.0, &["token", "list"]).stdout).unwrap();
    assert!(
        listed.contains("tom-desk\ttom@acme.example\tactive"),
        "{listed}"
    );
    assert!(listed.contains("kiosk\t(no email)\tactive"), "{listed}");
}

/// Every file under `dir`, and the log's own store, as bytes.
fn every_file(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.extend(backend::store_files(dir));
    paths
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect()
}

#[tokio::test]
async fn an_invitation_gives_one_token_once_and_leaves_no_code_or_token_in_any_file() {
    let dir = TempDir::new("identity-invite");
    let relay = Relay::start_logged(&dir.0, "", &dir.0.join("relay.log"));
    let out = relay_cli(
        &dir.0,
        &[
            "invite",
            "ann-laptop",
            "--email",
            "ann@acme.example",
            "--url",
            &relay.base(),
        ],
    );
    let printed = String::from_utf8(out.stdout.clone()).unwrap();
    let code = token_printed(out);
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX: {printed}");
    let link = printed
        .lines()
        .find_map(|l| l.strip_prefix("Link: "))
        .expect("a link");
    let parsed = deskbell_core::invite::InviteLink::parse(link).unwrap();
    assert_eq!(parsed.code, code);
    assert_eq!(parsed.relay, relay.base());
    assert_eq!(parsed.name.as_deref(), Some("ann-laptop"));

    // Wrong, and malformed: refused plainly, nothing changed.
    let (status, body) = redeem(&relay, json!({"code": "0000-0000-0000"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("invite_unknown"))
    );
    let (status, body) = redeem(&relay, json!({"token": code})).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));

    // Accepted once: a token that streams, bound to Ann.
    let (status, body) = redeem(&relay, json!({"code": code.to_lowercase()})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "ann-laptop");
    assert_eq!(body["email"], "ann@acme.example");
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("dbr_"));
    let (status, ann) = me(&relay, Some(&token)).await;
    assert_eq!(
        (status, ann["emails"][0].as_str()),
        (200, Some("ann@acme.example"))
    );
    Sse::open(&relay.base(), &token, None, "").await.unwrap();

    // Refused the second time, whoever asks.
    let (status, body) = redeem(&relay, json!({"code": code})).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("invite_used")));
    let m = metrics(&relay).await;
    assert!(
        m.contains("deskbell_relay_invites_total{outcome=\"redeemed\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("deskbell_relay_invites_total{outcome=\"refused\"} 2"),
        "{m}"
    );

    // No file holds the code (in any of its forms) or the token: the
    // data directory, the relay's log, the log's store.
    let normal: String = code.chars().filter(|c| *c != '-').collect();
    for (path, bytes) in every_file(&dir.0) {
        for secret in [code.as_str(), normal.as_str(), token.as_str()] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn guessing_codes_is_slowed_to_a_stop() {
    let dir = TempDir::new("identity-guess");
    let relay = Relay::start(&dir.0, "");
    let code = token_printed(relay_cli(&dir.0, &["invite", "bob"]));
    let mut statuses = Vec::new();
    for _ in 0..deskbell_relay::server::REDEEM_FAILURES_PER_MINUTE + 1 {
        statuses.push(redeem(&relay, json!({"code": "0000-0000-0000"})).await.0);
    }
    assert!(statuses[..20].iter().all(|s| *s == 404), "{statuses:?}");
    assert_eq!(statuses[20], 429);
    // Even the right code waits now: a guesser cannot tell it from a miss.
    let (status, body) = redeem(&relay, json!({"code": code})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too_many_attempts"))
    );
}
