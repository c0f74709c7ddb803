//! First responses coming due, through the whole pipeline with `now` passed
//! in: warned once before the due time and once after it, re-armed when the
//! due time moves (RFC 3339 with an offset, or epoch seconds), ended by an
//! assignment, a status whose SLA clock is off and an escalation, filtered
//! like new tickets, switchable, and kept across a restart.

mod common;

use chrono::{DateTime, Duration, FixedOffset};
use deskbell_core::coalesce::Delivery;
use deskbell_core::first_response::FirstResponses;
use deskbell_core::notification::{Kind, Notification, Urgency};
use deskbell_core::pipeline::Pipeline;
use deskbell_core::rules::{Identity, Rules};

const CREATED: &str = "freshdesk/ticket-create-unassigned-fr-due.json";

/// Local time in Berlin, an hour ahead of the 10:00Z due time's UTC.
fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

fn pipeline(rules: Rules) -> Pipeline {
    // No burst window: each warning is its own delivery.
    Pipeline::new(rules, Identity::default(), Duration::zero())
}

/// The first-response warnings delivered at `now`.
fn warnings(p: &mut Pipeline, now: &str) -> Vec<Notification> {
    p.tick(at(now))
        .into_iter()
        .flat_map(|d: Delivery| d.notifications().to_vec())
        .filter(|n| n.kind == Kind::FirstResponseDue)
        .collect()
}

fn ingest(p: &mut Pipeline, fixture: &str, now: &str) {
    let bytes = common::bytes(fixture);
    let ingested = p.ingest(&bytes, at(now));
    assert!(ingested.classified.event.is_ok(), "{fixture}");
}

#[test]
fn warned_once_before_and_once_after_the_due_time() {
    let mut p = pipeline(Rules::default());
    // Due 10:00Z (15:30+05:30 in the payload); the lead is 10 minutes.
    ingest(&mut p, CREATED, "2026-12-03T10:40:00+01:00");
    assert_eq!(p.classifier().first_responses().len(), 1);
    assert!(warnings(&mut p, "2026-12-03T10:49:59+01:00").is_empty());
    let soon = warnings(&mut p, "2026-12-03T10:50:00+01:00");
    assert_eq!(soon.len(), 1, "{soon:?}");
    assert_eq!(
        soon[0].title,
        "First response due in 10 min: #4201 Refund not received"
    );
    // The group's id (no directory here) is never shown raw; the due time
    // in the agent's own offset.
    assert_eq!(
        soon[0].body,
        "a group not in the directory · High priority · due 11:00 · unassigned"
    );
    assert_eq!(soon[0].urgency, Urgency::Normal);
    assert_eq!(
        soon[0].url.as_deref(),
        Some("https://sample.freshdesk.com/a/tickets/4201")
    );
    // The new-ticket popup's key: the warning replaces it on screen.
    assert_eq!(soon[0].key, "ticket:sample.freshdesk.com:4201");
    assert!(
        warnings(&mut p, "2026-12-03T10:55:00+01:00").is_empty(),
        "once"
    );
    let overdue = warnings(&mut p, "2026-12-03T11:00:00+01:00");
    assert_eq!(overdue.len(), 1);
    assert_eq!(
        overdue[0].title,
        "First response overdue: #4201 Refund not received"
    );
    assert_eq!(overdue[0].urgency, Urgency::Critical);
    assert!(
        warnings(&mut p, "2026-12-03T12:00:00+01:00").is_empty(),
        "once"
    );
}

#[test]
fn a_ticket_found_overdue_gets_only_the_overdue_warning() {
    let mut p = pipeline(Rules::default());
    // Said at once, with the event that armed it.
    let said: Vec<String> = p
        .ingest(&common::bytes(CREATED), at("2026-12-03T10:20:00Z"))
        .deliveries
        .iter()
        .flat_map(|d| d.notifications().to_vec())
        .filter(|n| n.kind == Kind::FirstResponseDue)
        .map(|n| n.title)
        .collect();
    assert_eq!(said, ["First response overdue: #4201 Refund not received"]);
    assert!(warnings(&mut p, "2026-12-03T10:20:01Z").is_empty());
}

#[test]
fn a_moved_due_time_rearms_and_an_older_update_changes_nothing() {
    let mut p = pipeline(Rules::default());
    ingest(&mut p, CREATED, "2026-12-03T09:40:00Z");
    assert_eq!(warnings(&mut p, "2026-12-03T09:50:00Z").len(), 1);
    // Moved to 10:30Z, given as epoch seconds.
    ingest(
        &mut p,
        "freshdesk/ticket-update-fr-due-moved-epoch.json",
        "2026-12-03T09:51:00Z",
    );
    assert!(
        warnings(&mut p, "2026-12-03T10:05:00Z").is_empty(),
        "not at the old time"
    );
    let again = warnings(&mut p, "2026-12-03T10:21:00Z");
    assert_eq!(
        again.iter().map(|n| n.title.as_str()).collect::<Vec<_>>(),
        ["First response due in 9 min: #4201 Refund not received"]
    );
    // The creation again (a retry, older than the update): the due time
    // stays the moved one.
    let mut retried = serde_json::from_slice::<serde_json::Value>(&common::bytes(CREATED)).unwrap();
    retried["iparams"] = serde_json::json!({"retry": 1});
    p.ingest(
        &serde_json::to_vec(&retried).unwrap(),
        at("2026-12-03T10:22:00Z"),
    );
    let watched = p
        .classifier()
        .first_responses()
        .get("ticket:sample.freshdesk.com:4201")
        .unwrap();
    assert_eq!(watched.due.0.to_rfc3339(), "2026-12-03T10:30:00+00:00");
}

#[test]
fn an_assignment_a_stopped_clock_or_an_escalation_ends_the_watch() {
    for ended_by in [
        "freshdesk/ticket-update-unassigned-assigned.json",
        "freshdesk/ticket-update-unassigned-pending.json",
        "freshdesk/ticket-update-fr-escalated.json",
    ] {
        let mut p = pipeline(Rules::default());
        ingest(&mut p, CREATED, "2026-12-03T09:40:00Z");
        ingest(&mut p, ended_by, "2026-12-03T09:45:00Z");
        assert!(p.classifier().first_responses().is_empty(), "{ended_by}");
        assert!(
            warnings(&mut p, "2026-12-03T10:30:00Z").is_empty(),
            "{ended_by}: no warning after it"
        );
    }
    // Assigned from the start: nothing to watch.
    let mut p = pipeline(Rules::default());
    ingest(
        &mut p,
        "freshdesk/ticket-create.json",
        "2015-07-09T13:08:06Z",
    );
    assert!(p.classifier().first_responses().is_empty());
}

#[test]
fn filtered_like_new_tickets_and_switchable() {
    let mut rules = Rules::default();
    rules.new_ticket.groups = vec!["999".into()];
    let mut p = pipeline(rules);
    ingest(&mut p, CREATED, "2026-12-03T09:40:00Z");
    assert!(p.classifier().first_responses().is_empty(), "not my group");

    let mut rules = Rules::default();
    rules.subscriptions.set(Kind::FirstResponseDue, false);
    rules.first_response.lead_minutes = 30;
    let mut p = pipeline(rules);
    ingest(&mut p, CREATED, "2026-12-03T09:00:00Z");
    assert!(
        warnings(&mut p, "2026-12-03T09:31:00Z").is_empty(),
        "switched off"
    );
    // Switched on again: what is due now shows.
    p.rules_mut()
        .subscriptions
        .set(Kind::FirstResponseDue, true);
    let said = warnings(&mut p, "2026-12-03T09:32:00Z");
    assert_eq!(said.len(), 1);
    assert!(said[0].title.starts_with("First response due in 28 min"));
    // The stream carries ticket updates for it, whatever else is off.
    let mut only = Rules::default().subscriptions;
    for k in Kind::ALL {
        only.set(k, k == Kind::FirstResponseDue);
    }
    let names = only.event_names();
    assert!(names.contains(&"onTicketCreate") && names.contains(&"onTicketUpdate"));
}

#[test]
fn the_watch_survives_a_restart_and_says_nothing_twice() {
    let mut p = pipeline(Rules::default());
    ingest(&mut p, CREATED, "2026-12-03T09:40:00Z");
    assert!(p.classifier_mut().take_first_responses_changed());
    assert_eq!(warnings(&mut p, "2026-12-03T09:51:00Z").len(), 1);
    // What the daemon writes, and what it reads back after a restart.
    let saved = serde_json::to_string(p.classifier().first_responses()).unwrap();
    let notified = p.classifier().notified();
    let mut after = pipeline(Rules::default());
    after
        .classifier_mut()
        .restore_first_responses(serde_json::from_str::<FirstResponses>(&saved).unwrap());
    after.classifier_mut().remember_notified(notified);
    assert!(
        warnings(&mut after, "2026-12-03T09:52:00Z").is_empty(),
        "the due-soon warning was said before the restart"
    );
    assert_eq!(
        warnings(&mut after, "2026-12-03T10:00:00Z")[0].title,
        "First response overdue: #4201 Refund not received"
    );
    // A damaged file reads as an empty watch: nothing to say, nothing lost
    // beyond it.
    assert!(serde_json::from_str::<FirstResponses>("{}")
        .unwrap()
        .is_empty());
}
