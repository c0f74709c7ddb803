//! The popup's buttons, in the core with `now` passed in: which actions a
//! notification offers from which source; "Remind me later" coming back
//! once after 15 minutes, kept across a restart, and not at all once the
//! ticket got an agent; "Call back" against the Xelion double's
//! `pbx_call`.

mod common;
// Shared with the desktop tests (tests/desktop_actions.rs).
#[path = "../../../tests/doubles/xelion_server.rs"]
mod xelion_server;

use chrono::{DateTime, Duration, FixedOffset};
use deskbell_core::actions::reminders::{ReminderStore, Reminders};
use deskbell_core::actions::{Action, ActionId, Pressed};
use deskbell_core::config::{AccountConfig, LinkScope};
use deskbell_core::l10n::Locale;
use deskbell_core::notification::{Kind, Notification};
use deskbell_core::pipeline::Pipeline;
use deskbell_core::rules::{Identity, Rules};

const UNASSIGNED: &str = "freshdesk/ticket-create-unassigned-fr-due.json";
const ASSIGNED_LATER: &str = "freshdesk/ticket-update-unassigned-assigned.json";

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

fn relay() -> AccountConfig {
    AccountConfig::Relay {
        name: "acme".into(),
        url: "https://relay.acme.example/".into(),
        fallback_urls: Vec::new(),
        domains: vec!["sample.freshdesk.com".into()],
    }
}

fn xelion() -> AccountConfig {
    AccountConfig::Xelion {
        name: "pbx".into(),
        url: "https://pbx.acme.example/".into(),
        tenant: "master".into(),
        user: "tom".into(),
        user_space: None,
        admin: false,
    }
}

fn pipeline() -> Pipeline {
    // First responses off: only the new-ticket popup is under test here.
    let mut rules = Rules::default();
    rules.subscriptions.set(Kind::FirstResponseDue, false);
    Pipeline::new(rules, Identity::default(), Duration::zero())
}

fn shown(p: &mut Pipeline, fixture: &str, now: &str, scope: LinkScope<'_>) -> Vec<Notification> {
    p.ingest_from(&common::bytes(fixture), at(now), scope)
        .deliveries
        .iter()
        .flat_map(|d| d.notifications().to_vec())
        .collect()
}

fn due(p: &mut Pipeline, now: &str) -> Vec<Notification> {
    p.tick(at(now))
        .iter()
        .flat_map(|d| d.notifications().to_vec())
        .collect()
}

#[test]
fn each_source_offers_only_what_it_can_do() {
    let account = relay();
    let n = shown(
        &mut pipeline(),
        UNASSIGNED,
        "2026-12-03T09:41:00Z",
        LinkScope::Account(&account),
    );
    assert_eq!(n.len(), 1);
    assert_eq!(
        n[0].actions,
        [
            Action::AssignToMe {
                ticket: "4201".into()
            },
            Action::RemindLater
        ]
    );
    assert_eq!(n[0].account.as_deref(), Some("acme"));
    let pressed = Pressed::of(&n[0], "assign").unwrap();
    assert_eq!(pressed.action.id(), ActionId::AssignToMe);
    assert!(Pressed::of(&n[0], "call_back").is_none(), "not offered");

    // The demo can assign nothing: only the reminder stays.
    let n = shown(
        &mut pipeline(),
        UNASSIGNED,
        "2026-12-03T09:41:00Z",
        LinkScope::Freshworks,
    );
    assert_eq!(n[0].actions, [Action::RemindLater]);
    assert_eq!(n[0].account, None);

    // A ticket with an agent already: nothing to take.
    let n = shown(
        &mut pipeline(),
        "freshdesk/ticket-create.json",
        "2026-12-03T09:41:00Z",
        LinkScope::Account(&account),
    );
    assert_eq!(n[0].actions, [Action::RemindLater]);

    // A Xelion missed call rings back through the PBX.
    let pbx = xelion();
    let n = shown(
        &mut pipeline(),
        "xelion/missed-call.json",
        "2026-11-20T09:02:00Z",
        LinkScope::Account(&pbx),
    );
    assert_eq!(n[0].kind, Kind::MissedCall);
    assert!(
        matches!(&n[0].actions[0], Action::CallBack { number } if !number.is_empty()),
        "{:?}",
        n[0].actions
    );
    assert_eq!(n[0].account.as_deref(), Some("pbx"));
}

#[test]
fn a_freshcaller_call_back_dials_by_tel_when_configured() {
    use deskbell_core::rules::missed_call::CallBackVia;
    let account = relay();
    let missed = "freshcaller/call-update-incoming-missed.json";
    // By default the call opens in Freshcaller: no action of its own.
    let n = shown(
        &mut pipeline(),
        missed,
        "2026-12-03T09:41:00Z",
        LinkScope::Account(&account),
    );
    assert_eq!(n[0].actions, [Action::RemindLater]);

    let rules = Rules {
        call_back: CallBackVia::Tel,
        ..Rules::default()
    };
    let mut p = Pipeline::new(rules, Identity::default(), Duration::zero());
    let n = shown(
        &mut p,
        missed,
        "2026-12-03T09:41:00Z",
        LinkScope::Account(&account),
    );
    let Action::Dial { number } = &n[0].actions[0] else {
        panic!("{:?}", n[0].actions);
    };
    assert!(
        deskbell_core::actions::tel_link(number).is_some(),
        "{number}"
    );
}

#[test]
fn a_reminder_comes_back_once_after_15_minutes_and_survives_a_restart() {
    let account = relay();
    let mut p = pipeline();
    let n = shown(
        &mut p,
        UNASSIGNED,
        "2026-12-03T09:41:00Z",
        LinkScope::Account(&account),
    );
    let when = p.remind(n[0].clone(), at("2026-12-03T09:42:00Z").to_utc());
    assert_eq!(when, at("2026-12-03T09:57:00Z").to_utc());
    assert!(p.take_reminders_changed());
    assert!(due(&mut p, "2026-12-03T09:56:59Z").is_empty());

    // Kept across a restart.
    let dir = std::env::temp_dir().join(format!("deskbell-reminders-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = ReminderStore::at(dir.join("reminders.json"));
    store.save(p.reminders()).unwrap();
    let mut p = pipeline();
    p.restore_reminders(store.load());
    assert_eq!(p.reminders().len(), 1);

    let back = due(&mut p, "2026-12-03T09:57:00Z");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].key, n[0].key, "it replaces what is on screen");
    assert_eq!(back[0].title, format!("Reminder: {}", n[0].title));
    assert_eq!(back[0].actions, n[0].actions, "its buttons come back too");
    assert!(p.take_reminders_changed());
    assert!(due(&mut p, "2026-12-03T10:30:00Z").is_empty(), "once");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_ticket_that_got_an_agent_needs_no_reminder() {
    let account = relay();
    let mut p = pipeline();
    let n = shown(
        &mut p,
        UNASSIGNED,
        "2026-12-03T09:41:00Z",
        LinkScope::Account(&account),
    );
    p.remind(n[0].clone(), at("2026-12-03T09:42:00Z").to_utc());
    shown(
        &mut p,
        ASSIGNED_LATER,
        "2026-12-03T09:45:00Z",
        LinkScope::Account(&account),
    );
    assert!(p.reminders().is_empty());
    assert!(due(&mut p, "2026-12-03T10:00:00Z").is_empty());

    // Pressed twice: one reminder, at the later time.
    let mut r = Reminders::default();
    r.add(n[0].clone(), at("2026-12-03T09:42:00Z").to_utc());
    r.add(n[0].clone(), at("2026-12-03T09:50:00Z").to_utc());
    assert_eq!(r.len(), 1);
    assert!(r
        .take_due(at("2026-12-03T09:58:00Z").to_utc(), &Locale::english())
        .is_empty());
    assert_eq!(
        r.take_due(at("2026-12-03T10:05:00Z").to_utc(), &Locale::english())
            .len(),
        1
    );
}

#[tokio::test]
async fn call_back_asks_the_pbx_once_and_says_why_not() {
    use deskbell_core::actions::call_back::{call_back, outcome};
    use deskbell_core::secret::Secret;
    use deskbell_core::stream::xelion_client::XelionAccount;
    use std::sync::atomic::Ordering;
    use xelion_server::{XelionServer, PASSWORD, TENANT, USER};

    let server = XelionServer::start(std::time::Duration::from_secs(600)).await;
    let account = |password: &str| XelionAccount {
        base: server.base.parse().unwrap(),
        tenant: TENANT.into(),
        user: USER.into(),
        password: Secret::new(password),
        user_space: None,
        admin: false,
    };
    call_back(&account(PASSWORD), "+31201234567").await.unwrap();
    assert_eq!(*server.shared.calls.lock().unwrap(), ["+31201234567"]);

    let wrong = call_back(&account("wrong"), "+31201234567").await;
    assert_eq!(wrong.unwrap_err().code(), "sign_in_needed");
    server.shared.no_device.store(true, Ordering::Relaxed);
    let err = call_back(&account(PASSWORD), "+31201234567")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "no_device");
    assert_eq!(server.shared.calls.lock().unwrap().len(), 1, "never twice");

    let pressed = common::notified(common::rule(
        "xelion/missed-call.json",
        &Rules::default(),
        &Identity::default(),
    ))
    .remove(0);
    let now = at("2026-11-20T09:05:00Z").to_utc();
    let said = outcome(&pressed, "+31201234567", &Err(err), now, &Locale::english());
    assert_eq!(said.key, pressed.key);
    assert_eq!(said.title, "Could not call +31201234567 back");
    assert!(said.body.contains("no phone"), "{}", said.body);
    assert!(said.actions.is_empty());
}
