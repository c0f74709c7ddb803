//! A relay behind a certificate this machine does not trust (a private CA
//! not installed, a self-signed test certificate): the probe and the live
//! client both say it is the certificate, and which check failed, instead
//! of a bare "reconnecting". The server is a real TLS server, `openssl
//! s_server`, with a certificate from a private CA made for the test
//! (tests/support/tls.rs, shared with the app's end-to-end tests).

use std::time::Duration;

use deskbell_core::config::AccountConfig;
use deskbell_core::secret::Secret;
use deskbell_core::stream::probe::{probe, ProbeError};
use deskbell_core::stream::relay_client::{RelayClient, RelayEndpoint};
use deskbell_core::stream::{ConnectionState, StreamOutput};
use tokio::sync::{mpsc, watch};

#[path = "../../../tests/support/tls.rs"]
mod tls;

#[tokio::test]
async fn an_untrusted_certificate_is_named_by_the_probe_and_the_live_client() {
    let server = tls::UntrustedServer::start();
    let url = server.url();

    let account = AccountConfig::Relay {
        name: "acme".into(),
        url: url.clone(),
        fallback_urls: Vec::new(),
        domains: Vec::new(),
    };
    let refused = probe(&account, &Secret::new("dbr_x".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "probe_untrusted_certificate", "{refused}");
    assert!(matches!(refused, ProbeError::Untrusted { .. }));
    let message = refused.to_string();
    assert!(
        message.contains("certificate is not trusted") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(
        !refused.is_refused(),
        "not the token's fault: saved with a warning"
    );

    let endpoint = RelayEndpoint {
        base: url.parse().unwrap(),
        fallbacks: Vec::new(),
        token: Secret::new("dbr_x".to_owned()),
        events: Vec::new(),
    };
    let client = RelayClient::new(endpoint, None).unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stop_rx) = watch::channel(false);
    let run = tokio::spawn(client.run(tx, stop_rx));
    let reason = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match rx.recv().await {
                Some(StreamOutput::State(ConnectionState::BackingOff { reason, .. })) => {
                    break reason
                }
                Some(_) => continue,
                None => panic!("the client ended"),
            }
        }
    })
    .await
    .expect("a backing-off state");
    assert_eq!(
        reason, "the server's certificate is not trusted (UnknownIssuer)",
        "the reason an agent sees in the tray and the window"
    );
    let _ = stop.send(true);
    let _ = run.await;
}
