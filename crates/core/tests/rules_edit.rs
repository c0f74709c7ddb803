//! The window's rule edits (tests/fixtures/rules-edit/): the valid ones
//! apply and rule events as edited; each invalid one is refused with the
//! code and field the file expects. ui/test/rules.test.ts holds the page's
//! own checks to the same files.

mod common;

use common::{all_in, bytes, rule};
use deskbell_core::rules::{Identity, Rules, RulesEdit, Skip, Verdict};
use deskbell_core::schedule::Day;

fn case(name: &str) -> (serde_json::Value, RulesEdit) {
    let file: serde_json::Value = serde_json::from_slice(&bytes(name)).unwrap();
    let edit = RulesEdit::from_json(file["edit"].clone())
        .unwrap_or_else(|e| panic!("{name} has the page's shape: {e}"));
    (file["expect"].clone(), edit)
}

#[test]
fn every_case_is_accepted_or_refused_as_its_file_says() {
    let names = all_in("rules-edit");
    assert!(names.len() >= 11, "cases went missing: {names:?}");
    for name in names {
        let (expect, edit) = case(&name);
        match (edit.validate(), expect.is_null()) {
            (Ok(_), true) => {}
            (Ok(_), false) => panic!("{name}: accepted, expected {expect}"),
            (Err(e), true) => panic!("{name}: refused with {e}"),
            (Err(e), false) => {
                assert_eq!(e.code(), expect["code"], "{name}: {e}");
                assert_eq!(e.field(), expect["field"], "{name}: {e}");
            }
        }
    }
}

#[test]
fn an_applied_edit_rules_tickets_and_quiet_hours() {
    let (_, edit) = case("rules-edit/valid-evenings-and-saturday.json");
    let mut rules = Rules::default();
    let mut me = Identity::default();
    edit.validate().unwrap().apply_to(&mut rules, &mut me);
    assert_eq!(me.agent_ids, ["320"]);
    // The fixture ticket, priority Low, is now below the minimum.
    match rule("freshdesk/ticket-create.json", &rules, &me) {
        Verdict::Skip(Skip::Filtered(why)) => assert!(why.contains("priority"), "{why}"),
        other => panic!("expected a filtered ticket, got {other:?}"),
    }
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    // 2026-11-20 is a Friday; 2026-11-21 a Saturday.
    assert!(rules
        .schedule
        .in_quiet_hours(at("2026-11-20T19:00:00+01:00")));
    assert!(!rules
        .schedule
        .in_quiet_hours(at("2026-11-20T12:00:00+01:00")));
    assert!(rules
        .schedule
        .in_quiet_hours(at("2026-11-21T12:00:00+01:00")));
    assert_eq!(
        RulesEdit::of(&rules, &me).quiet_hours[&Day::Sat],
        ["00:00-00:00"]
    );
}
