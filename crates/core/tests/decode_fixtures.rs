//! Every fixture decodes to the typed event its file name promises.

mod common;

use common::{all_in, all_valid, bytes, event};
use deskbell_core::event::agent::{AgentStatus, AvailableOn};
use deskbell_core::event::freshcaller::{CallPlatform, Direction, ParticipantType};
use deskbell_core::event::freshdesk::{Priority, TicketStatus};
use deskbell_core::event::xelion::XelionKind;
use deskbell_core::{decode, DecodeError, Event, EventName};
use serde_json::json;

#[test]
fn every_valid_fixture_decodes() {
    let mut count = 0;
    for name in all_valid() {
        if let Err(e) = decode(&bytes(&name)) {
            panic!("{name}: {e}");
        }
        count += 1;
    }
    assert!(count >= 55, "fixtures went missing: only {count}");
}

#[test]
fn every_invalid_fixture_is_an_error_not_a_panic() {
    for name in all_in("invalid") {
        assert!(decode(&bytes(&name)).is_err(), "{name} should not decode");
    }
}

#[test]
fn ticket_create_sample() {
    let ev = event("freshdesk/ticket-create.json");
    assert_eq!(ev.name, EventName::OnTicketCreate);
    assert_eq!(ev.account_id.as_ref().unwrap().as_str(), "13");
    assert_eq!(ev.domain.as_ref().unwrap().as_str(), "sample.freshdesk.com");
    let Event::TicketCreated(t) = &ev.event else {
        panic!("{:?}", ev.event)
    };
    assert_eq!(t.ticket.id.as_str(), "1");
    assert_eq!(t.ticket.subject.as_deref(), Some("Support Needed..."));
    assert_eq!(t.ticket.status(), Some(TicketStatus::Open));
    assert_eq!(t.ticket.priority(), Some(Priority::Low));
    assert_eq!(t.ticket.group_id.as_ref().unwrap().as_str(), "351");
    assert_eq!(t.ticket.tags(), ["sales", "marketing"]);
    let requester = t.requester.as_ref().unwrap();
    assert_eq!(requester.name.as_ref().unwrap().as_str(), "Rachel");
    // `mobile` is a number in the sample.
    assert_eq!(requester.mobile.as_ref().unwrap().as_str(), "7654367287");
}

#[test]
fn ticket_update_changes_are_old_then_new() {
    let ev = event("freshdesk/ticket-update-source-priority.json");
    let Event::TicketUpdated(t) = &ev.event else {
        panic!()
    };
    let prio = t
        .ticket
        .changes
        .iter()
        .find(|c| c.field == "priority")
        .unwrap();
    assert_eq!((prio.old.clone(), prio.new.clone()), (json!(1), json!(2)));
    let source = t
        .ticket
        .changes
        .iter()
        .find(|c| c.field == "source")
        .unwrap();
    assert_eq!(
        (source.old.clone(), source.new.clone()),
        (json!(2), json!(3))
    );
}

#[test]
fn deleted_ticket_has_status_6_and_epoch_dates() {
    let ev = event("freshdesk/ticket-update-deleted.json");
    let Event::TicketUpdated(t) = &ev.event else {
        panic!()
    };
    assert_eq!(t.ticket.status(), Some(TicketStatus::Unknown(6)));
    assert_eq!(t.ticket.created_at.0.unwrap().0.timestamp(), 1_484_557_933);
    assert_eq!(t.ticket.changes[0].field, "deleted");
    assert_eq!(t.ticket.changes[0].new, json!(true));
}

#[test]
fn freshdesk_conversations_are_ticket_conversations() {
    for name in [
        "freshdesk/conversation-create-reply.json",
        "freshdesk/conversation-create-public-note.json",
        "freshdesk/conversation-create-private-note.json",
    ] {
        let ev = event(name);
        let Event::TicketConversationCreated(c) = &ev.event else {
            panic!("{name}: {:?}", ev.event)
        };
        assert_eq!(c.ticket_id.as_str(), "452");
        assert_eq!(c.body_text.as_deref(), Some("Hi tom, Still Angry"));
    }
    let private = event("freshdesk/conversation-create-private-note.json");
    let Event::TicketConversationCreated(c) = &private.event else {
        panic!()
    };
    assert_eq!(c.private, Some(true));
}

#[test]
fn contacts_decode_with_their_changes() {
    let ev = event("freshdesk/contact-update-phone.json");
    assert_eq!(ev.name, EventName::OnContactUpdate);
    let Event::ContactUpdated(c) = &ev.event else {
        panic!()
    };
    // Kept as sent, read on demand: no rule reads a contact.
    let c = c.contact().unwrap();
    assert_eq!(c.changes[0].field, "phone");
    assert_eq!(c.changes[0].old, json!("98765315"));
    assert_eq!(c.changes[0].new, json!("987653151"));
    let Event::ContactCreated(c) = &event("freshdesk/contact-create.json").event else {
        panic!()
    };
    let c = c.contact().unwrap();
    assert_eq!(c.name.as_ref().unwrap().as_str(), "Sherlock Holmes");
}

#[test]
fn freshcaller_call_and_phone_call_decode_alike() {
    let old = event("freshcaller/call-update-incoming-missed.json");
    let Event::CallUpdated(c) = &old.event else {
        panic!()
    };
    assert_eq!(c.platform, CallPlatform::Call);
    assert_eq!(c.call.direction, Some(Direction::Incoming));
    let customer = c.call.customer().unwrap();
    assert_eq!(customer.participant_type, Some(ParticipantType::Customer));
    assert_eq!(customer.call_status.unwrap().0, 3);

    let new = event("freshcaller/phone-call-update-missed.json");
    assert_eq!(new.name, EventName::OnPhoneCallUpdate);
    let Event::CallUpdated(c) = &new.event else {
        panic!()
    };
    assert_eq!(c.platform, CallPlatform::PhoneCall);
    assert_eq!(c.call.call_key().as_str(), "80000");
    assert!(matches!(
        event("freshcaller/phone-call-create.json").event,
        Event::CallCreated(_)
    ));
}

#[test]
fn freshcaller_changes_are_new_then_old() {
    // The seed documents `{field: ["New value", "Old value"]}` for calls.
    let ev = event("freshcaller/call-update-incoming-ended.json");
    let Event::CallUpdated(c) = &ev.event else {
        panic!()
    };
    let ch = &c.changes[0];
    assert_eq!(ch.field, "call_status");
    assert_eq!((ch.old.clone(), ch.new.clone()), (json!(1), json!(10)));
}

#[test]
fn integer_direction_is_kept_as_a_code() {
    let Event::CallUpdated(c) = &event("freshcaller/call-update-direction-integer.json").event
    else {
        panic!()
    };
    assert_eq!(c.call.direction, Some(Direction::Code(1)));
}

#[test]
fn freshcaller_agent_update_has_status_fields() {
    let ev = event("freshcaller/agent-update-busy.json");
    let Event::AgentUpdated(a) = &ev.event else {
        panic!()
    };
    assert_eq!(a.agent.status(), Some(AgentStatus::Busy));
    assert_eq!(a.agent.available_on(), Some(AvailableOn::Browser));
    assert_eq!(a.agent.teams().len(), 2);
    assert_eq!(a.agent.email(), Some("tom@acme.example"));
    // "2022-08-29 18:45:26 UTC" style dates.
    assert_eq!(
        a.agent.status_since().unwrap().to_rfc3339(),
        "2026-11-20T09:14:05Z"
    );
    // model_changes: [old, new]
    let status = a.changes.iter().find(|c| c.field == "status").unwrap();
    assert_eq!(
        (status.old.clone(), status.new.clone()),
        (json!(1), json!(2))
    );
    // The envelope timestamp is a float epoch.
    assert_eq!(
        ev.timestamp.unwrap().0.timestamp_millis(),
        1_763_629_800_250
    );
}

#[test]
fn custom_status_keeps_its_name() {
    let Event::AgentUpdated(a) = &event("freshcaller/agent-update-custom-status.json").event else {
        panic!()
    };
    assert_eq!(
        a.agent.status(),
        Some(AgentStatus::Custom("In a meeting".into()))
    );
    assert_eq!(a.agent.available_on(), Some(AvailableOn::Nowhere));
}

#[test]
fn freshdesk_agent_shape_maps_available_to_status() {
    let Event::AgentUpdated(a) = &event("freshdesk/agent-update.json").event else {
        panic!()
    };
    assert_eq!(a.agent.status(), Some(AgentStatus::Offline));
    assert_eq!(a.agent.email(), Some("tom@sample.freshdesk.com"));
    assert_eq!(a.agent.display_name().as_deref(), Some("Tom Agent"));
    assert_eq!(a.agent.teams()[0].id.as_str(), "351");
}

#[test]
fn freshchat_conversation_update_reads_model_changes() {
    let ev = event("freshchat/conversation-update-resolved-unassigned.json");
    let Event::ChatConversationUpdated(c) = &ev.event else {
        panic!("{:?}", ev.event)
    };
    let agent = c
        .changes
        .iter()
        .find(|c| c.field == "assigned_agent_id")
        .unwrap();
    assert_eq!(agent.old, json!("2823233e-7122-4f87-9d56-38aaaaeb676a"));
    assert_eq!(agent.new, json!(null));
    let status = c.changes.iter().find(|c| c.field == "status").unwrap();
    assert_eq!(
        (status.old.clone(), status.new.clone()),
        (json!("new"), json!("resolved"))
    );
    assert_eq!(
        c.user.as_ref().unwrap().display_name().as_deref(),
        Some("Ross Geller")
    );
    assert!(matches!(
        event("freshchat/conversation-create.json").event,
        Event::ChatConversationCreated(_)
    ));
}

#[test]
fn xelion_notifications_decode_by_type() {
    for (name, kind) in [
        ("xelion/new-call.json", XelionKind::NewCallEvent),
        ("xelion/call-connected.json", XelionKind::CallConnectedEvent),
        (
            "xelion/hangup-customer-to-a.json",
            XelionKind::CallHungUpEvent,
        ),
        ("xelion/missed-call.json", XelionKind::MissedCallEvent),
        (
            "xelion/channel-hung-up.json",
            XelionKind::ChannelHungUpEvent,
        ),
    ] {
        let ev = event(name);
        let Event::Xelion(x) = &ev.event else {
            panic!("{name}")
        };
        assert_eq!(x.kind, kind, "{name}");
    }
    let Event::Xelion(x) = &event("xelion/missed-call.json").event else {
        panic!()
    };
    assert_eq!(x.call.call_id.as_ref().unwrap().as_str(), "call-5501");
    assert_eq!(
        x.call.caller_phone_number.as_ref().unwrap().as_str(),
        "+31201234567"
    );
}

#[test]
fn errors_name_the_problem() {
    let err = |name: &str| decode(&bytes(name)).unwrap_err();
    assert!(matches!(
        err("invalid/conversation-create-private-note-as-published.json"),
        DecodeError::InvalidJson {
            line: 1,
            column: 63,
            ..
        }
    ));
    assert_eq!(
        err("invalid/ticket-create-without-ticket.json"),
        DecodeError::MissingPart {
            event: "onTicketCreate".into(),
            part: "data.ticket"
        }
    );
    let bad = err("invalid/ticket-create-priority-not-a-number.json");
    assert_eq!(bad.code(), "bad_field");
    assert!(
        bad.to_string().starts_with("data.ticket.priority: "),
        "{bad}"
    );
    assert!(bad.to_string().contains("\"high\""), "{bad}");
    assert_eq!(
        err("invalid/call-update-without-call.json").code(),
        "missing_part"
    );
    assert_eq!(err("invalid/no-event-name.json"), DecodeError::NoEventName);
    assert_eq!(err("invalid/not-an-object.json"), DecodeError::NotAnObject);
    // A payload is a JSON object: never read positionally from an array.
    for top in [
        "invalid/array-of-numbers.json",
        "invalid/array-spelling-an-event.json",
        "invalid/nested-arrays.json",
        "invalid/scalar-number.json",
        "invalid/scalar-string.json",
    ] {
        assert_eq!(err(top), DecodeError::NotAnObject, "{top}");
    }
    // Nor any part of it the models read as an object.
    let ticket = err("invalid/ticket-as-array.json");
    assert_eq!(ticket.code(), "bad_field");
    assert!(
        ticket
            .to_string()
            .starts_with("data.ticket: invalid type: sequence"),
        "{ticket}"
    );
    let participant = err("invalid/participants-as-arrays.json");
    assert_eq!(participant.code(), "bad_field");
    assert!(
        participant
            .to_string()
            .starts_with("data.call.participants[0]: invalid type: sequence"),
        "{participant}"
    );
    assert_eq!(err("invalid/truncated.json").code(), "invalid_json");
    assert_eq!(
        err("invalid/ticket-update-as-published.json").code(),
        "invalid_json"
    );
}

#[test]
fn missing_ticket_id_names_the_path() {
    let e = decode(br#"{"event":"onTicketCreate","data":{"ticket":{"subject":"x"}}}"#).unwrap_err();
    assert_eq!(e.to_string(), "data.ticket: missing field `id`");
}

#[test]
fn peek_name_reads_only_the_name() {
    use deskbell_core::event::peek_name;
    assert_eq!(
        peek_name(&bytes("freshdesk/contact-update-phone.json")),
        Some(EventName::OnContactUpdate)
    );
    assert_eq!(
        peek_name(&bytes("xelion/missed-call.json")),
        Some(EventName::Xelion(XelionKind::MissedCallEvent))
    );
    assert_eq!(peek_name(b"nonsense"), None);
}
