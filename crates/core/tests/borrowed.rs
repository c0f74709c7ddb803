//! Decoding copies no free text: a ticket's subject, type and tags, a
//! reply's body, a contact and an unknown event are borrowed from the
//! payload's bytes; text with escapes is the one exception, unescaped into
//! its own string. `into_owned` keeps the same event past the bytes.

mod common;

use std::borrow::Cow;

use common::bytes;
use deskbell_core::wire::Str;
use deskbell_core::{decode, Event};

/// Whether `text` lies inside `payload` (borrowed) rather than in a copy.
fn inside(payload: &[u8], text: &str) -> bool {
    payload.as_ptr_range().contains(&text.as_ptr())
}

fn borrowed(s: &Str<'_>) -> bool {
    matches!(s.0, Cow::Borrowed(_))
}

#[test]
fn a_tickets_text_is_borrowed_from_the_payload() {
    for decode_path in [decode, deskbell_core::event::decode_carefully] {
        let payload = bytes("freshdesk/ticket-create.json");
        let ev = decode_path(&payload).unwrap();
        let Event::TicketCreated(t) = &ev.event else {
            panic!("not a ticket: {:?}", ev.event)
        };
        let subject = t.ticket.subject.as_ref().unwrap();
        assert!(borrowed(subject) && inside(&payload, subject));
        let kind = t.ticket.ticket_type.as_ref().unwrap();
        assert!(borrowed(kind) && inside(&payload, kind));
        assert_eq!(t.ticket.tags(), ["sales", "marketing"]);
        assert!(t.ticket.tags().iter().all(|tag| inside(&payload, tag)));
    }
}

#[test]
fn text_with_escapes_is_unescaped_into_its_own_string() {
    let payload = bytes("tolerance/hostile-markup-in-customer-text.json");
    let ev = decode(&payload).unwrap();
    let Event::TicketCreated(t) = &ev.event else {
        panic!("not a ticket: {:?}", ev.event)
    };
    let subject = t.ticket.subject.as_ref().unwrap();
    assert!(!borrowed(subject));
    assert!(
        subject.contains(r#"<a href="javascript:alert(1)">"#),
        "{subject}"
    );
}

#[test]
fn a_replys_body_a_contact_and_an_unknown_event_are_borrowed() {
    let payload = bytes("freshdesk/conversation-create-reply.json");
    let ev = decode(&payload).unwrap();
    let Event::TicketConversationCreated(c) = &ev.event else {
        panic!("not a reply: {:?}", ev.event)
    };
    let body = c.body_text.as_ref().unwrap();
    assert!(borrowed(body) && inside(&payload, body));

    let payload = bytes("freshdesk/contact-create.json");
    let ev = decode(&payload).unwrap();
    let Event::ContactCreated(c) = &ev.event else {
        panic!("not a contact: {:?}", ev.event)
    };
    assert!(inside(&payload, c.raw().get()));
    assert_eq!(c.contact().unwrap().id.as_str(), "2");

    let payload = bytes("tolerance/unknown-event-name.json");
    let ev = decode(&payload).unwrap();
    let Event::Unknown { raw, .. } = &ev.event else {
        panic!("not unknown: {:?}", ev.event)
    };
    assert!(matches!(raw, Cow::Borrowed(_)) && inside(&payload, raw.get()));
}

#[test]
fn an_owned_event_is_the_same_event_after_its_bytes_are_gone() {
    for name in common::all_valid() {
        let payload = bytes(&name);
        let ev = decode(&payload).unwrap();
        let before = format!("{ev:?}");
        let owned = ev.into_owned();
        drop(payload);
        assert_eq!(format!("{owned:?}"), before, "{name}");
    }
}
