//! The Freshdesk "Trigger webhook" body (docs/admin-guide.md) becomes the
//! product event the rules read, or a clear error naming the field.

mod common;

use chrono::{DateTime, Duration, FixedOffset};
use common::bytes;
use deskbell_core::coalesce::Delivery;
use deskbell_core::pipeline::Pipeline;
use deskbell_core::rules::{Identity, Rules};
use deskbell_core::webhook::{is_webhook, to_product_event};

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap()
}

#[test]
fn a_ticket_created_rule_notifies_like_the_product_event() {
    let body = bytes("webhook/freshdesk-ticket-created.json");
    assert!(is_webhook(&body));
    let event = to_product_event(&body).unwrap();
    assert!(!is_webhook(event.as_bytes()));
    let mut p = Pipeline::new(Rules::default(), Identity::default(), Duration::seconds(10));
    let shown = p.ingest(event.as_bytes(), now());
    let [Delivery::Single(n)] = shown.deliveries.as_slice() else {
        panic!("{:?}", shown.deliveries);
    };
    assert_eq!(n.title, "New ticket #4711: Printer on fire <again>");
    assert!(
        n.body.contains("High priority") && n.body.contains("Rachel Green"),
        "{}",
        n.body
    );
    assert_eq!(
        n.url.as_deref(),
        Some("https://acme.freshdesk.com/a/tickets/4711")
    );
    // Priority, source and tags arrive as the codes and list the rules filter on.
    let v: serde_json::Value = serde_json::from_str(&event).unwrap();
    assert_eq!(v["data"]["ticket"]["priority"], 3);
    assert_eq!(v["data"]["ticket"]["source"], 2);
    assert_eq!(
        v["data"]["ticket"]["tags"],
        serde_json::json!(["hardware", "urgent-ish"])
    );
    assert_eq!(v["data"]["ticket"]["type"], "Incident");
}

#[test]
fn a_rule_with_a_mistake_is_refused_naming_the_field() {
    let err = to_product_event(&bytes("webhook/freshdesk-bad-priority.json")).unwrap_err();
    assert_eq!(err.code(), "webhook_bad_field");
    assert_eq!(
        err.to_string(),
        "ticket.priority: \"{{ticket.priority}}\" is not Low, Medium, High or Urgent"
    );
    let err = to_product_event(&bytes("webhook/freshdesk-ticket-updated.json")).unwrap_err();
    assert_eq!(err.code(), "webhook_unknown_trigger");
    let err = to_product_event(
        br#"{"deskbell_webhook":"ticket_created","domain":"a b","ticket":{"id":"1"}}"#,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "domain: \"a b\" is not a host name");
    let err = to_product_event(br#"{"deskbell_webhook":"ticket_created","domain":"a.freshdesk.com","ticket":{"id":"{{ticket.id}}","priority":"Low"}}"#)
        .unwrap_err();
    assert!(err.to_string().starts_with("ticket.id:"), "{err}");
    assert_eq!(
        to_product_event(b"{").unwrap_err().code(),
        "webhook_invalid_json"
    );
}

#[test]
fn product_events_are_not_mistaken_for_webhooks() {
    for name in common::all_in("freshdesk") {
        assert!(!is_webhook(&bytes(&name)), "{name}");
    }
}
