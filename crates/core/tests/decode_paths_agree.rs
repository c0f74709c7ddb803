//! The fast path (envelope first, one pass) and the careful path (part by
//! part, naming the field that is wrong) decode any input to the same event
//! or the same error; and every well-formed fixture takes the fast path.

use deskbell_core::event::{decode_carefully, decode_fast_path};
use deskbell_core::{decode, DecodeError, DecodedEvent};
use proptest::prelude::*;

mod common;
use common::fixtures_dir as fixtures;
use common::payloadish::payloadish;

fn every_fixture() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(fixtures()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let label = path.strip_prefix(fixtures()).unwrap().display().to_string();
                out.push((label, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// What a decode came to, comparable: the event as JSON, or the error.
/// Where serde_json places a syntax error depends on what it was reading
/// (a struct, or any value), so invalid JSON is compared by its code.
fn outcome(r: &Result<DecodedEvent, DecodeError>) -> Result<serde_json::Value, DecodeError> {
    match r {
        Ok(ev) => Ok(serde_json::to_value(ev).unwrap()),
        Err(DecodeError::InvalidJson { .. }) => Err(DecodeError::InvalidJson {
            line: 0,
            column: 0,
            message: String::new(),
        }),
        Err(e) => Err(e.clone()),
    }
}

fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
    let fast = outcome(&decode(bytes));
    let careful = outcome(&decode_carefully(bytes));
    prop_assert_eq!(fast, careful, "{}", String::from_utf8_lossy(bytes));
    Ok(())
}

#[test]
fn both_paths_agree_on_every_fixture() {
    for (label, bytes) in every_fixture() {
        let fast = outcome(&decode(&bytes));
        let careful = outcome(&decode_carefully(&bytes));
        assert_eq!(fast, careful, "{label}");
    }
}

#[test]
fn well_formed_fixtures_take_the_fast_path() {
    let mut taken = 0;
    for (label, bytes) in every_fixture() {
        let payload = [
            "freshdesk/",
            "freshcaller/",
            "freshchat/",
            "xelion/",
            "tolerance/",
        ];
        if !payload.iter().any(|dir| label.starts_with(dir)) {
            continue;
        }
        match decode_fast_path(&bytes) {
            Some(Ok(_)) => taken += 1,
            other => panic!("{label} left the fast path: {:?}", other.map(|r| r.err())),
        }
    }
    assert!(taken > 40, "only {taken} fixtures");
}

#[test]
fn the_name_after_data_still_reads_data() {
    // The Freshdesk samples put `event` last: `data` waits, raw, for it.
    let first = br#"{"event":"onTicketCreate","data":{"ticket":{"id":7,"subject":"s"}}}"#;
    let last = br#"{"data":{"ticket":{"id":7,"subject":"s"}},"event":"onTicketCreate"}"#;
    let a = decode_fast_path(first).unwrap().unwrap();
    let b = decode_fast_path(last).unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        serde_json::to_value(&b).unwrap()
    );
    // A later, stronger name than the one `data` was read for: the careful
    // path decides, and it reads `data` for the name that counts.
    let overridden =
        br#"{"events":"onContactUpdate","data":{"ticket":{"id":7}},"event":"onTicketCreate"}"#;
    assert!(decode_fast_path(overridden).is_none());
    assert_eq!(decode(overridden).unwrap().name.as_str(), "onTicketCreate");
}

#[test]
fn contact_events_keep_the_contact_unread() {
    // No rule reads a contact: a wrong field inside one is found when it is
    // read, not at the relay's door.
    let odd = br#"{"event":"onContactUpdate","data":{"contact":{"id":[1]}}}"#;
    let ev = decode(odd).unwrap();
    let deskbell_core::Event::ContactUpdated(c) = &ev.event else {
        panic!("{:?}", ev.event)
    };
    assert_eq!(c.contact().unwrap_err().code(), "bad_field");
    // Still an object, or the event is refused.
    for refused in [
        &br#"{"event":"onContactUpdate","data":{"contact":[1]}}"#[..],
        br#"{"event":"onContactUpdate","data":{"contact":"x"}}"#,
    ] {
        assert_eq!(decode(refused).unwrap_err().code(), "bad_field");
    }
    assert_eq!(
        decode(br#"{"event":"onContactUpdate","data":{"contact":null}}"#)
            .unwrap_err()
            .code(),
        "missing_part"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn paths_agree_on_payload_shaped_json(v in payloadish(), name in prop::sample::select(vec![
        "onTicketCreate", "onTicketUpdate", "onConversationCreate", "onConversationUpdate",
        "onContactCreate", "onContactUpdate", "onCallCreate", "onCallUpdate", "onPhoneCallCreate",
        "onPhoneCallUpdate", "onAgentUpdate", "missedCallEvent", "callHungUpEvent", "somethingElse",
    ]), name_key in prop::sample::select(vec!["event", "events", "notificationType"]),
        name_first in any::<bool>()) {
        let mut v = v;
        if let Some(obj) = v.as_object_mut() {
            // serde_json's map keeps keys sorted: put the name before or
            // after `data` by writing the text by hand.
            obj.remove(name_key);
            let rest = serde_json::to_string(&v).unwrap();
            let pair = format!("{}:{}", serde_json::Value::from(name_key), serde_json::Value::from(name));
            let text = match (rest.as_str(), name_first) {
                ("{}", _) => format!("{{{pair}}}"),
                (r, true) => format!("{{{pair},{}", &r[1..]),
                (r, false) => format!("{},{pair}}}", &r[..r.len() - 1]),
            };
            agree(text.as_bytes())?;
        } else {
            agree(&serde_json::to_vec(&v).unwrap())?;
        }
    }

    #[test]
    fn paths_agree_on_mutated_fixtures(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let all = every_fixture();
        let (_, mut bytes) = all[which.index(all.len())].clone();
        let i = at.index(bytes.len());
        if cut {
            bytes.truncate(i);
        } else {
            bytes[i] = byte;
        }
        agree(&bytes)?;
    }
}
