//! Loads the shared payload fixtures from the repository's `tests/fixtures/`.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod payloadish;

use deskbell_core::rules::{Context, Identity, Me, Rules, Verdict};
use deskbell_core::{decode, DecodedEvent, Notification};

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn bytes(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(bytes(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A fixture's event, owning its text (the bytes are gone when it returns).
pub fn event(name: &str) -> DecodedEvent<'static> {
    decode(&bytes(name))
        .map(DecodedEvent::into_owned)
        .unwrap_or_else(|e| panic!("fixture {name} should decode: {e}"))
}

/// Every fixture file under a family folder, sorted.
pub fn all_in(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join(folder))
        .unwrap()
        .map(|e| format!("{folder}/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Every fixture that decodes: the product families and the tolerances.
pub fn all_valid() -> Vec<String> {
    [
        "freshdesk",
        "freshcaller",
        "freshchat",
        "xelion",
        "tolerance",
    ]
    .into_iter()
    .flat_map(all_in)
    .collect()
}

/// Rules one event alone with an empty board.
pub fn rule(name: &str, rules: &Rules, identity: &Identity) -> Verdict {
    rule_named(
        name,
        rules,
        identity,
        &deskbell_core::directory::Names::default(),
    )
}

/// Rules one event alone with an empty board and these names.
pub fn rule_named(
    name: &str,
    rules: &Rules,
    identity: &Identity,
    names: &deskbell_core::directory::Names,
) -> Verdict {
    let board = deskbell_core::board::Board::default();
    let ev = event(name);
    let ctx = Context {
        rules,
        me: Me {
            identity,
            board: &board,
            names,
        },
        board_change: None,
        locale: &deskbell_core::l10n::Locale::english(),
    };
    deskbell_core::rules::classify(&ev, &ctx)
}

pub fn notified(v: Verdict) -> Vec<Notification> {
    match v {
        Verdict::Notify(list) => list,
        Verdict::Skip(skip) => panic!("expected a notification, got skip: {skip}"),
        Verdict::Withdraw(w) => panic!("expected a notification, got {w:?}"),
    }
}

pub fn skipped(v: Verdict) -> deskbell_core::rules::Skip {
    match v {
        Verdict::Skip(s) => s,
        Verdict::Notify(list) => panic!("expected a skip, got {list:?}"),
        Verdict::Withdraw(w) => panic!("expected a skip, got {w:?}"),
    }
}

pub fn withdrawn(v: Verdict) -> deskbell_core::rules::Withdrawal {
    match v {
        Verdict::Withdraw(w) => w,
        other => panic!("expected a withdrawal, got {other:?}"),
    }
}
