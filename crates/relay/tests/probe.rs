//! The desktop's "test connection" (deskbell_core::stream::probe) against
//! the real relay on loopback: each answer an agent can get.

mod support;

use deskbell_core::config::AccountConfig;
use deskbell_core::secret::Secret;
use deskbell_core::stream::probe::probe;
use support::{add_token, Relay, TempDir};

fn relay_account(url: String) -> AccountConfig {
    AccountConfig::Relay {
        name: "acme".into(),
        url,
        fallback_urls: Vec::new(),
        domains: Vec::new(),
    }
}

#[tokio::test]
async fn a_probe_tells_a_working_token_from_each_failure() {
    let dir = TempDir::new("probe");
    let token = add_token(&dir.0, "desk-1");
    let relay = Relay::start(&dir.0, "");

    let account = relay_account(relay.base());
    probe(&account, &Secret::new(token.clone()))
        .await
        .expect("the agent's token works");

    let refused = probe(&account, &Secret::new("not-the-token"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "probe_refused", "{refused}");
    assert_eq!(refused.to_string(), "the server refused the token (401)");

    // A web server that is not a relay: the health check's path has no stream.
    let elsewhere = relay_account(format!("{}healthz/", relay.base()));
    let e = probe(&elsewhere, &Secret::new(token.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "probe_status", "{e}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = relay_account(format!("http://127.0.0.1:{port}/"));
    let e = probe(&nowhere, &Secret::new(token.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "probe_unreachable", "{e}");
    assert!(e.to_string().starts_with("cannot reach 127.0.0.1"), "{e}");

    let plain = relay_account("http://relay.acme.example/".into());
    let e = probe(&plain, &Secret::new(token)).await.unwrap_err();
    assert_eq!(e.code(), "insecure_http", "{e}");
}
