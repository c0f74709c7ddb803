//! One test per tolerance listed in DESIGN.md, each on its own fixture.

mod common;

use common::{bytes, event};
use deskbell_core::{decode, Event, EventName};

fn ticket(name: &str) -> deskbell_core::event::freshdesk::TicketEvent<'_> {
    match event(name).event {
        Event::TicketCreated(t) => t,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn account_id_as_number_or_string() {
    let a = event("freshdesk/ticket-create.json").account_id.unwrap();
    let b = event("tolerance/account-id-as-string.json")
        .account_id
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn domain_with_or_without_scheme() {
    for name in [
        "freshdesk/ticket-create.json",               // bare
        "freshdesk/contact-create.json",              // http://
        "tolerance/domain-with-https-and-slash.json", // https://, upper case, slash
    ] {
        assert_eq!(
            event(name).domain.unwrap().as_str(),
            "sample.freshdesk.com",
            "{name}"
        );
    }
}

#[test]
fn events_in_place_of_event() {
    assert_eq!(
        event("tolerance/events-instead-of-event.json").name,
        EventName::OnTicketCreate
    );
    assert_eq!(
        event("freshdesk/contact-update-deleted.json").name,
        EventName::OnContactUpdate
    );
}

#[test]
fn timestamp_as_integer_or_float() {
    let i = event("tolerance/timestamp-integer.json").timestamp.unwrap();
    let f = event("tolerance/timestamp-float.json").timestamp.unwrap();
    assert_eq!(i.0.timestamp(), 1_763_629_673);
    assert_eq!(f.0.timestamp_millis(), 1_763_629_673_512);
}

#[test]
fn dates_in_every_form() {
    let t = ticket("tolerance/dates-in-every-form.json").ticket;
    assert_eq!(t.created_at.0.unwrap().to_rfc3339(), "2017-01-16T09:12:13Z");
    assert_eq!(t.updated_at.0.unwrap().to_rfc3339(), "2022-08-29T18:45:26Z");
    let rfc = ticket("freshdesk/ticket-create.json").ticket;
    assert_eq!(
        rfc.created_at.0.unwrap().to_rfc3339(),
        "2015-07-09T13:08:06Z"
    );
}

#[test]
fn ids_and_codes_as_strings() {
    let t = ticket("tolerance/ids-and-codes-as-strings.json").ticket;
    let n = ticket("freshdesk/ticket-create.json").ticket;
    assert_eq!(t.id, n.id);
    assert_eq!(t.responder_id, n.responder_id);
    assert_eq!(t.priority.unwrap().0, 3);
    assert_eq!(t.status.unwrap().0, 2);
}

#[test]
fn extra_fields_never_reject_a_payload() {
    let t = ticket("tolerance/extra-fields.json");
    assert_eq!(t.ticket.subject.as_deref(), Some("Support Needed..."));
}

#[test]
fn an_odd_shape_in_a_part_the_event_does_not_use_is_ignored() {
    let t = ticket("tolerance/odd-shape-in-unused-part.json");
    assert_eq!(t.ticket.id.as_str(), "1");
}

#[test]
fn optional_fields_null() {
    let ev = event("tolerance/optional-fields-null.json");
    assert!(ev.domain.is_none());
    let Event::TicketCreated(t) = ev.event else {
        panic!()
    };
    assert!(t.ticket.subject.is_none() && t.ticket.priority.is_none() && t.requester.is_none());
    assert!(t.ticket.tags().is_empty());
    assert!(t.ticket.created_at.0.is_none());
}

#[test]
fn optional_fields_absent() {
    let t = ticket("tolerance/optional-fields-absent.json");
    assert_eq!(t.ticket.id.as_str(), "7");
    assert!(t.ticket.changes.is_empty() && t.requester.is_none());
}

#[test]
fn unknown_event_keeps_raw_json() {
    let ev = event("tolerance/unknown-event-name.json");
    let Event::Unknown { name, raw } = &ev.event else {
        panic!()
    };
    assert_eq!(name, "onAppInstall");
    let raw: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
    let original: serde_json::Value =
        serde_json::from_slice(&bytes("tolerance/unknown-event-name.json")).unwrap();
    assert_eq!(raw, original);
    assert_eq!(ev.account_id.unwrap().as_str(), "13");
}

#[test]
fn unknown_event_with_data_we_would_misread_is_still_unknown() {
    let ev = event("tolerance/unknown-event-odd-data.json");
    assert!(matches!(ev.event, Event::Unknown { ref name, .. } if name == "onScheduledEvent"));
}

#[test]
fn unknown_xelion_notification_is_unknown() {
    let ev = event("tolerance/xelion-unknown-notification.json");
    assert!(matches!(ev.event, Event::Unknown { ref name, .. } if name == "chatMessageEvent"));
}

#[test]
fn changes_in_three_places_two_orders() {
    use serde_json::json;
    // data.ticket.changes, [old, new]
    let t = ticket_update("freshdesk/ticket-update-responder-320-to-321.json");
    assert_eq!(
        (t.old_text(), t.new_text()),
        (Some("320".into()), Some("321".into()))
    );
    // data.changes.model_changes, [old, new]
    let Event::ChatConversationUpdated(c) =
        event("freshchat/conversation-update-assigned-to-agent.json").event
    else {
        panic!()
    };
    let a = c
        .changes
        .iter()
        .find(|c| c.field == "assigned_agent_id")
        .unwrap();
    assert_eq!(
        (a.old.clone(), a.new.clone()),
        (json!(null), json!("2823233e-7122-4f87-9d56-38aaaaeb676a"))
    );
    // data.changes (Freshcaller), [new, old]
    let Event::CallUpdated(c) = event("freshcaller/call-update-incoming-missed.json").event else {
        panic!()
    };
    assert_eq!(
        (c.changes[0].old.clone(), c.changes[0].new.clone()),
        (json!(null), json!(3))
    );
}

fn ticket_update(name: &str) -> deskbell_core::event::Change {
    match event(name).event {
        Event::TicketUpdated(t) => t.ticket.changes[0].clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_change_that_is_not_a_pair_is_kept() {
    let ev = decode(
        br#"{"event":"onTicketUpdate","data":{"ticket":{"id":1,"changes":{"tags":{"added":["vip"]}}}}}"#,
    )
    .unwrap();
    let Event::TicketUpdated(t) = ev.event else {
        panic!()
    };
    assert_eq!(t.ticket.changes[0].field, "tags");
    assert_eq!(
        t.ticket.changes[0].new,
        serde_json::json!({"added": ["vip"]})
    );
}
