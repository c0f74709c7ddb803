//! The desktop's client honours HTTP_PROXY and NO_PROXY, as corporate
//! desktops need. Its own test binary: it changes the process environment,
//! which no other test may see.

mod support;

use std::time::Duration;

use deskbell_core::secret::Secret;
use deskbell_core::stream::relay_client::{check_url, RelayClient, RelayEndpoint};
use deskbell_core::stream::StreamOutput;
use support::proxy::FaultProxy;
use support::{add_token, post, ticket, Relay, TempDir};
use tokio::sync::{mpsc, watch};

async fn first_event(base: &str, token: &str) -> Option<u64> {
    let endpoint = RelayEndpoint {
        base: check_url(base).unwrap(),
        fallbacks: Vec::new(),
        token: Secret::new(token),
        events: vec![],
    };
    // The environment is read when the client is built.
    let client = RelayClient::new(endpoint, Some(0)).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(client.run(tx, stop_rx));
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(out) = rx.recv().await {
            if let StreamOutput::Event(ev) = out {
                return ev.id;
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    let _ = stop.send(true);
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_are_honoured() {
    let dir = TempDir::new("proxyenv");
    let relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent");
    post(&relay.base(), &ticket(1)).await.unwrap();
    // A plain TCP forwarder serves as the HTTP proxy: the client sends it
    // absolute-form requests, which the relay accepts.
    let proxy = FaultProxy::start(relay.addr.parse().unwrap()).await;
    let proxy_url = format!("http://{}", proxy.addr);

    // SAFETY of the env change: this binary runs this one test only.
    std::env::set_var("HTTP_PROXY", &proxy_url);
    std::env::set_var("http_proxy", &proxy_url);
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    assert_eq!(first_event(&relay.base(), &token).await, Some(1));
    let through_proxy = proxy.connections();
    assert!(through_proxy >= 1, "the stream went through HTTP_PROXY");

    let host = relay.addr.split(':').next().unwrap().to_owned();
    std::env::set_var("NO_PROXY", &host);
    std::env::set_var("no_proxy", &host);
    assert_eq!(first_event(&relay.base(), &token).await, Some(1));
    assert_eq!(
        proxy.connections(),
        through_proxy,
        "NO_PROXY bypassed the proxy"
    );
}
