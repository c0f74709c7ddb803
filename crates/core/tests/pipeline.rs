//! The stages chained, with `now` passed in: dedupe across deliveries, the
//! board, holds that release one summary, and burst coalescing.

mod common;

use chrono::{DateTime, Duration, FixedOffset};

/// A fixture's bytes, kept for the whole test: what the pipeline returns
/// borrows them.
fn bytes(name: &str) -> &'static [u8] {
    Box::leak(common::bytes(name).into_boxed_slice())
}
use deskbell_core::coalesce::Delivery;
use deskbell_core::event::agent::AgentStatus;
use deskbell_core::notification::Kind;
use deskbell_core::pipeline::{Classifier, Pipeline};
use deskbell_core::rules::{Identity, Rules, Skip, Verdict};
use deskbell_core::schedule::HoldReason;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn pipeline(identity: Identity) -> Pipeline {
    Pipeline::new(Rules::default(), identity, Duration::seconds(10))
}

fn tom() -> Identity {
    Identity::from_strings(&["tom@acme.example".to_string()])
}

fn titles(d: &[Delivery]) -> Vec<String> {
    let en = deskbell_core::l10n::Locale::english();
    d.iter().map(|d| d.title(&en)).collect()
}

#[test]
fn one_missed_call_however_many_updates() {
    let mut p = pipeline(Identity::default());
    let now = t("2026-11-20T10:00:00Z");
    let first = p.ingest(bytes("freshcaller/call-update-incoming-missed.json"), now);
    assert_eq!(titles(&first.deliveries), ["Missed call from Rachel Green"]);
    let again = p.ingest(
        bytes("freshcaller/call-update-incoming-missed-cost-added.json"),
        now + Duration::seconds(60),
    );
    assert!(again.deliveries.is_empty());
    assert_eq!(
        again.classified.verdict,
        Some(Verdict::Skip(Skip::AlreadyNotified))
    );
    // Platform 3, two legs of one transferred call (same root_call_id).
    let a = p.ingest(
        bytes("freshcaller/phone-call-update-missed.json"),
        now + Duration::seconds(120),
    );
    let b = p.ingest(
        bytes("freshcaller/phone-call-update-missed-after-transfer.json"),
        now + Duration::seconds(121),
    );
    assert_eq!(a.deliveries.len(), 1);
    assert!(b.deliveries.is_empty());
}

#[test]
fn redelivered_event_is_a_duplicate() {
    let mut c = Classifier::new(Rules::default(), Identity::default());
    let now = t("2026-11-20T10:00:00Z").to_utc();
    let payload = bytes("freshdesk/ticket-create.json");
    assert!(matches!(
        c.classify_bytes(payload, now).verdict,
        Some(Verdict::Notify(_))
    ));
    // Same content, different bytes (compact vs pretty): still the same event.
    let compact =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(payload).unwrap()).unwrap();
    assert_eq!(
        c.classify_bytes(&compact, now).verdict,
        Some(Verdict::Skip(Skip::DuplicateEvent))
    );
    assert_eq!(c.stats().duplicates, 1);
}

#[test]
fn xelion_repeated_hangup_is_deduped_on_call_id_and_type() {
    let mut c = Classifier::new(Rules::default(), Identity::default());
    let now = t("2026-11-20T10:00:00Z").to_utc();
    let first = c.classify_bytes(bytes("xelion/hangup-a-to-b-first.json"), now);
    assert_eq!(first.verdict, Some(Verdict::Skip(Skip::NotNotifiable)));
    let second = c.classify_bytes(bytes("xelion/hangup-a-to-b-second.json"), now);
    assert_eq!(second.verdict, Some(Verdict::Skip(Skip::DuplicateEvent)));
    // A different type with the same callId is a different event.
    let missed = c.classify_bytes(bytes("xelion/missed-call.json"), now);
    let repeat = c.classify_bytes(bytes("xelion/missed-call-repeated.json"), now);
    assert!(matches!(missed.verdict, Some(Verdict::Notify(_))));
    assert_eq!(repeat.verdict, Some(Verdict::Skip(Skip::DuplicateEvent)));
}

#[test]
fn malformed_payload_is_counted_and_the_stream_goes_on() {
    let mut p = pipeline(Identity::default());
    let now = t("2026-11-20T10:00:00Z");
    let bad = p.ingest(b"{\"event\": \"onTicketCreate\", ", now);
    assert!(bad.classified.event.is_err());
    let good = p.ingest(bytes("freshdesk/ticket-create.json"), now);
    assert_eq!(good.deliveries.len(), 1);
    let stats = p.classifier().stats();
    assert_eq!((stats.malformed, stats.notified), (1, 1));
}

#[test]
fn board_follows_agent_updates() {
    let mut p = pipeline(Identity::default());
    let now = t("2026-11-20T10:00:00Z");
    for name in [
        "freshcaller/agent-update-busy.json",
        "freshcaller/agent-update-custom-status.json",
        "freshcaller/agent-update-mobile.json",
    ] {
        p.ingest(bytes(name), now);
    }
    let board = p.classifier().board();
    assert_eq!(board.len(), 3);
    assert_eq!(board.get("5001").unwrap().status, AgentStatus::Busy);
    assert_eq!(
        board.get("5002").unwrap().status,
        AgentStatus::Custom("In a meeting".into())
    );
    p.ingest(bytes("freshcaller/agent-update-online.json"), now);
    let tom = p.classifier().board().get("5001").unwrap();
    assert_eq!(tom.status, AgentStatus::Online);
    assert_eq!(tom.since.unwrap().to_rfc3339(), "2026-11-20T09:22:00Z");
    assert_eq!(tom.teams.len(), 2);
}

#[test]
fn agent_status_notifies_only_when_switched_on() {
    let mut rules = Rules::default();
    rules.subscriptions.agent_status = true;
    let mut p = Pipeline::new(rules, Identity::default(), Duration::seconds(10));
    let now = t("2026-11-20T10:00:00Z");
    let d = p
        .ingest(bytes("freshcaller/agent-update-custom-status.json"), now)
        .deliveries;
    assert_eq!(titles(&d), ["Monica Lead is now In a meeting"]);
}

#[test]
fn on_a_call_everything_is_held_then_summarised_once() {
    let mut p = pipeline(tom());
    let now = t("2026-11-20T10:00:00Z");
    // Tom goes busy: a hold starts.
    p.ingest(bytes("freshcaller/agent-update-busy.json"), now);
    let held1 = p.ingest(
        bytes("freshdesk/ticket-create.json"),
        now + Duration::seconds(1),
    );
    let held2 = p.ingest(
        bytes("freshcaller/call-update-incoming-missed.json"),
        now + Duration::seconds(2),
    );
    assert!(held1.deliveries.is_empty() && held2.deliveries.is_empty());
    assert_eq!(p.held_count(), 2);
    // After-call work still holds.
    let acw = p.ingest(
        bytes("freshcaller/agent-update-after-call-work.json"),
        now + Duration::seconds(30),
    );
    assert!(acw.deliveries.is_empty());
    // Back online: one summary with everything.
    let back = p.ingest(
        bytes("freshcaller/agent-update-online.json"),
        now + Duration::seconds(60),
    );
    assert_eq!(back.deliveries.len(), 1);
    let Delivery::Held(summary) = &back.deliveries[0] else {
        panic!("{:?}", back.deliveries)
    };
    assert_eq!(summary.reason, HoldReason::OnCall);
    assert_eq!(summary.items.len(), 2);
    assert_eq!(
        back.deliveries[0].title(&deskbell_core::l10n::Locale::english()),
        "While you were on a call"
    );
    assert_eq!(
        back.deliveries[0].body(&deskbell_core::l10n::Locale::english()),
        "1 missed call, 1 new ticket"
    );
    assert_eq!(p.held_count(), 0);
    // Nothing is released twice.
    assert!(p.tick(now + Duration::seconds(61)).is_empty());
}

#[test]
fn do_not_disturb_releases_on_tick_after_it_ends() {
    let mut rules = Rules::default();
    rules.schedule.do_not_disturb_until = Some(t("2026-11-20T11:00:00Z").to_utc());
    let mut p = Pipeline::new(rules, Identity::default(), Duration::seconds(10));
    let d = p.ingest(
        bytes("freshdesk/ticket-create.json"),
        t("2026-11-20T10:30:00Z"),
    );
    assert!(d.deliveries.is_empty());
    assert!(p.tick(t("2026-11-20T10:59:59Z")).is_empty());
    let out = p.tick(t("2026-11-20T11:00:00Z"));
    assert_eq!(titles(&out), ["While you were in do-not-disturb"]);
}

#[test]
fn a_burst_becomes_one_summary() {
    let mut p = pipeline(Identity::default());
    let now = t("2026-11-20T10:00:00Z");
    let base: serde_json::Value =
        serde_json::from_slice(bytes("freshdesk/ticket-create.json")).unwrap();
    let mut shown = Vec::new();
    for i in 0..12 {
        let mut v = base.clone();
        v["data"]["ticket"]["id"] = serde_json::json!(100 + i);
        let payload = serde_json::to_vec(&v).unwrap();
        let out = p.ingest(&payload, now + Duration::milliseconds(100 * i));
        shown.extend(out.deliveries);
    }
    // The first at once, the other eleven as one when the window ends.
    assert_eq!(titles(&shown), ["New ticket #100: Support Needed..."]);
    assert_eq!(
        p.next_deadline(),
        Some((now + Duration::seconds(10)).to_utc())
    );
    let flushed = p.tick(now + Duration::seconds(10));
    assert_eq!(titles(&flushed), ["11 new tickets"]);
    assert!(
        matches!(&flushed[0], Delivery::Burst { kind: Kind::NewTicket, items } if items.len() == 11)
    );
    // A quiet window closes; the next ticket shows at once again.
    assert!(p.tick(now + Duration::seconds(20)).is_empty());
    let mut v = base.clone();
    v["data"]["ticket"]["id"] = serde_json::json!(500);
    let payload = serde_json::to_vec(&v).unwrap();
    let next = p.ingest(&payload, now + Duration::seconds(30));
    assert_eq!(
        titles(&next.deliveries),
        ["New ticket #500: Support Needed..."]
    );
}

#[test]
fn identity_by_email_resolves_through_the_board() {
    let mut c = Classifier::new(Rules::default(), tom());
    let now = t("2026-11-20T10:00:00Z").to_utc();
    // Before the board knows Tom's id, the responder change is not "for me".
    let v = c
        .classify_bytes(
            bytes("freshdesk/ticket-update-responder-320-to-321.json"),
            now,
        )
        .verdict;
    assert_eq!(v, Some(Verdict::Skip(Skip::NotForMe)));
    // Freshdesk's agent update teaches the board that 320 is tom@.
    let tom_fd = r#"{"event":"onAgentUpdate","data":{"agent":{"id":320,"available":true,"contact":{"name":"Tom","email":"TOM@acme.example"}}}}"#;
    c.classify_bytes(tom_fd.as_bytes(), now);
    let mut v: serde_json::Value =
        serde_json::from_slice(bytes("freshdesk/ticket-update-responder-320-to-321.json")).unwrap();
    v["data"]["ticket"]["updated_at"] = serde_json::json!("2015-07-09T15:00:00Z");
    let out = c
        .classify_bytes(&serde_json::to_vec(&v).unwrap(), now)
        .verdict;
    let Some(Verdict::Notify(n)) = out else {
        panic!("{out:?}")
    };
    assert_eq!(n[0].title, "Ticket #1 taken from you");
}

#[test]
fn links_outside_the_sources_domains_are_dropped_not_the_notification() {
    use deskbell_core::config::{AccountConfig, LinkScope};
    let now = t("2026-11-20T10:00:00Z");
    let url_of = |d: &[Delivery]| match d {
        [Delivery::Single(n)] => n.url.clone(),
        other => panic!("{other:?}"),
    };
    // The demo's scope: Freshworks' own domains.
    let mut p = pipeline(Identity::default());
    let shown = p.ingest(bytes("freshdesk/ticket-create.json"), now);
    assert_eq!(
        url_of(&shown.deliveries).as_deref(),
        Some("https://sample.freshdesk.com/a/tickets/1")
    );
    // An account with a support domain of its own opens links there and on
    // Freshworks' domains, and refuses any other host.
    let pinned = AccountConfig::Relay {
        name: "acme".into(),
        url: "https://relay.acme.example/".into(),
        fallback_urls: Vec::new(),
        domains: vec!["support.acme.example".into()],
    };
    let mut p = pipeline(Identity::default());
    let shown = p.ingest_from(
        bytes("freshdesk/ticket-create.json"),
        now,
        LinkScope::Account(&pinned),
    );
    assert_eq!(
        url_of(&shown.deliveries).as_deref(),
        Some("https://sample.freshdesk.com/a/tickets/1")
    );
    let forged = String::from_utf8(bytes("freshdesk/ticket-create.json").to_vec())
        .unwrap()
        .replace("sample.freshdesk.com", "support.acme.example.evil.example");
    let mut p = pipeline(Identity::default());
    let shown = p.ingest_from(forged.as_bytes(), now, LinkScope::Account(&pinned));
    assert_eq!(titles(&shown.deliveries).len(), 1);
    assert_eq!(url_of(&shown.deliveries), None);
}

#[test]
fn a_redelivery_after_a_restart_does_not_notify_again() {
    let dir = std::env::temp_dir().join(format!("deskbell-notified-{}", std::process::id()));
    let store = deskbell_core::notified::NotifiedStore::at(dir.join("notified.json"));
    assert!(store.load().is_empty());
    let now = t("2026-11-20T10:00:00Z");
    let call = bytes("freshcaller/call-update-incoming-missed.json");

    let mut before = pipeline(Identity::default());
    assert_eq!(before.ingest(call, now).deliveries.len(), 1);
    store.save(&before.classifier().notified()).unwrap();

    // A fresh pipeline, as after a restart: the same event comes again.
    let mut after = pipeline(Identity::default());
    after.classifier_mut().remember_notified(store.load());
    let again = after.ingest(call, now + Duration::minutes(5));
    assert!(again.deliveries.is_empty());
    assert_eq!(
        again.classified.verdict,
        Some(Verdict::Skip(Skip::AlreadyNotified))
    );
    // Without the memory it would have notified: the test can fail.
    let mut forgetful = pipeline(Identity::default());
    assert_eq!(forgetful.ingest(call, now).deliveries.len(), 1);
    // A day later the memory has lapsed, as it would have without a restart.
    let later = after.ingest(
        bytes("freshcaller/call-update-incoming-missed-cost-added.json"),
        now + Duration::hours(25),
    );
    assert_eq!(later.deliveries.len(), 1);

    std::fs::write(store.path(), b"[[1, ").unwrap();
    assert!(
        store.load().is_empty(),
        "a damaged file is only a lost memory"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_ticket_marked_spam_is_taken_back_on_screen_in_a_burst_and_in_a_hold() {
    let now = t("2026-11-20T10:00:00Z");
    let base: serde_json::Value =
        serde_json::from_slice(bytes("freshdesk/ticket-create.json")).unwrap();
    let ticket = |id: i64| {
        let mut v = base.clone();
        v["data"]["ticket"]["id"] = serde_json::json!(id);
        serde_json::to_vec(&v).unwrap()
    };
    let spam = |id: i64| {
        let mut v: serde_json::Value =
            serde_json::from_slice(bytes("freshdesk/ticket-update-marked-spam.json")).unwrap();
        v["data"]["ticket"]["id"] = serde_json::json!(id);
        serde_json::to_vec(&v).unwrap()
    };

    // On screen: the sinks are told to take it back.
    let mut p = pipeline(Identity::default());
    assert_eq!(
        titles(&p.ingest(&ticket(1), now).deliveries),
        ["New ticket #1: Support Needed..."]
    );
    let spam_1 = spam(1);
    let out = p.ingest(&spam_1, now + Duration::seconds(1));
    assert_eq!(
        out.deliveries,
        [Delivery::Withdrawn {
            key: "ticket:sample.freshdesk.com:1".into(),
            title: "Ticket #1 was marked as spam".into(),
        }]
    );
    // Waiting in a burst: it never shows.
    p.ingest(&ticket(2), now + Duration::seconds(2));
    p.ingest(&ticket(3), now + Duration::seconds(3));
    p.ingest(&spam(3), now + Duration::seconds(4));
    let flushed = p.tick(now + Duration::seconds(12));
    assert_eq!(titles(&flushed), ["New ticket #2: Support Needed..."]);

    // Held in do-not-disturb: neither listed nor counted afterwards.
    let mut rules = Rules::default();
    rules.schedule.do_not_disturb_until = Some(t("2026-11-20T11:00:00Z").to_utc());
    let mut p = Pipeline::new(rules, Identity::default(), Duration::seconds(10));
    p.ingest(&ticket(7), t("2026-11-20T10:30:00Z"));
    p.ingest(&spam(7), t("2026-11-20T10:31:00Z"));
    assert_eq!(p.held_count(), 0);
    assert!(p.tick(t("2026-11-20T11:00:00Z")).is_empty());
}

#[test]
fn the_teams_state_fills_the_board_and_an_older_update_never_wins() {
    let now = t("2026-11-20T10:00:00Z");
    let stamped = |name: &str, at: f64| {
        let mut v: serde_json::Value = serde_json::from_slice(bytes(name)).unwrap();
        v["timestamp"] = serde_json::json!(at);
        serde_json::to_vec(&v).unwrap()
    };
    let mut p = pipeline(Identity::default());
    // The relay's `team` event: onto the board, never a notification.
    let change = p
        .classifier_mut()
        .remember_team_member(
            &stamped("freshcaller/agent-update-busy.json", 2000.0),
            now.to_utc(),
        )
        .unwrap();
    assert_eq!(change.agent_id, "5001");
    // When the board last heard of the agent: the update's own time.
    let heard = p
        .classifier()
        .board()
        .get("5001")
        .unwrap()
        .heard_at
        .unwrap();
    assert_eq!(heard.0.timestamp(), 2000);
    let status = |p: &Pipeline| p.classifier().board().get("5001").unwrap().status.clone();
    assert_eq!(status(&p), AgentStatus::Busy);
    // A live update from before it (a retry, a slow webhook) changes nothing.
    let payload = stamped("freshcaller/agent-update-online.json", 1000.0);
    let out = p.ingest(&payload, now);
    assert!(out.classified.board_change.is_none());
    assert_eq!(status(&p), AgentStatus::Busy);
    // A later one does.
    p.ingest(
        &stamped("freshcaller/agent-update-after-call-work.json", 3000.0),
        now,
    );
    assert_eq!(status(&p), AgentStatus::AfterCallWork);
    // What is not an agent update is counted and changes nothing.
    let malformed = p.classifier().stats().malformed;
    assert!(p
        .classifier_mut()
        .remember_team_member(bytes("freshdesk/ticket-create.json"), now.to_utc())
        .is_none());
    assert_eq!(p.classifier().stats().malformed, malformed + 1);
}

#[test]
fn missed_calls_and_urgent_tickets_stay_until_dismissed_unless_switched_off() {
    use deskbell_core::notification::Urgency;
    let shown = |rules: Rules, fixture: &str| {
        let mut p = Pipeline::new(rules, Identity::default(), Duration::zero());
        let d = p
            .ingest(bytes(fixture), t("2026-11-20T10:00:00Z"))
            .deliveries;
        d[0].notifications()[0].urgency
    };
    let call = "freshcaller/call-update-incoming-missed.json";
    assert_eq!(shown(Rules::default(), call), Urgency::Critical);
    let mut rules = Rules::default();
    rules.stay_until_dismissed.missed_call = false;
    assert_eq!(shown(rules, call), Urgency::Normal, "expires like the rest");
    // An urgent ticket stays; a normal one expires whatever the setting.
    let mut urgent: serde_json::Value =
        serde_json::from_slice(bytes("freshdesk/ticket-create.json")).unwrap();
    urgent["data"]["ticket"]["priority"] = serde_json::json!(4);
    let mut p = Pipeline::new(Rules::default(), Identity::default(), Duration::zero());
    let d = p
        .ingest(
            &serde_json::to_vec(&urgent).unwrap(),
            t("2026-11-20T10:00:00Z"),
        )
        .deliveries;
    assert_eq!(d[0].notifications()[0].urgency, Urgency::Critical);
    assert_eq!(
        shown(Rules::default(), "freshdesk/ticket-create.json"),
        Urgency::Low
    );
}

/// A Xelion missed call as the catch-up hands it on.
fn xelion_missed(id: &str) -> String {
    let mut v: serde_json::Value =
        serde_json::from_slice(bytes("xelion/missed-call.json")).unwrap();
    v["notification"]["callId"] = serde_json::json!(id);
    v["notification"]["callerPhoneNumber"] = serde_json::json!(format!("+3120{id}"));
    v.to_string()
}

#[test]
fn a_catch_up_is_one_summary_and_repeats_nothing_already_shown() {
    let mut p = pipeline(Identity::default());
    let now = t("2026-12-03T10:00:00+01:00");
    // Seen live before the connection dropped.
    let payload = xelion_missed("1");
    let live = p.ingest(payload.as_bytes(), now);
    assert_eq!(live.deliveries.len(), 1);

    let back = t("2026-12-03T10:30:00+01:00");
    let payloads = [xelion_missed("1"), xelion_missed("2"), xelion_missed("3")];
    let summary = p
        .catch_up(
            &payloads,
            back,
            deskbell_core::config::LinkScope::Freshworks,
        )
        .expect("a summary");
    let Delivery::Held(h) = &summary else {
        panic!("one summary, not a burst: {summary:?}");
    };
    assert_eq!(h.reason, HoldReason::Away);
    assert_eq!(h.counts.get(&Kind::MissedCall), Some(&2));
    assert_eq!(
        summary.title(&deskbell_core::l10n::Locale::english()),
        "While you were away"
    );
    assert_eq!(
        summary.body(&deskbell_core::l10n::Locale::english()),
        "2 missed calls"
    );
    // Nothing new: no summary at all.
    assert!(p
        .catch_up(
            &payloads,
            back,
            deskbell_core::config::LinkScope::Freshworks
        )
        .is_none());
}
