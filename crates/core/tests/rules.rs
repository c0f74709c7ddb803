//! Which fixtures notify, with what, and why the others do not.

mod common;

use common::{notified, rule, skipped};
use deskbell_core::notification::{Kind, Urgency};
use deskbell_core::rules::{Identity, Rules, Skip};

fn none() -> Identity {
    Identity::default()
}

fn me(ids: &[&str]) -> Identity {
    Identity::from_strings(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

#[test]
fn missed_incoming_call_notifies_with_caller_and_contact() {
    let n = notified(rule(
        "freshcaller/call-update-incoming-missed.json",
        &Rules::default(),
        &none(),
    ));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind, Kind::MissedCall);
    assert_eq!(n[0].title, "Missed call from Rachel Green");
    assert_eq!(n[0].body, "+14155550123 · to +18005550100");
    assert_eq!(n[0].urgency, Urgency::Critical);
    assert_eq!(
        n[0].url.as_deref(),
        Some("https://acme.freshcaller.com/calls/70001")
    );
}

#[test]
fn call_outcomes_that_are_not_missed() {
    let r = Rules::default();
    assert_eq!(
        skipped(rule(
            "freshcaller/call-update-incoming-answered.json",
            &r,
            &none()
        )),
        Skip::CallAnswered
    );
    assert_eq!(
        skipped(rule(
            "freshcaller/call-update-incoming-ended.json",
            &r,
            &none()
        )),
        Skip::CallEnded
    );
    assert_eq!(
        skipped(rule(
            "freshcaller/call-update-outgoing-unanswered.json",
            &r,
            &none()
        )),
        Skip::CallOutgoing
    );
    assert_eq!(
        skipped(rule(
            "freshcaller/call-create-incoming-ringing.json",
            &r,
            &none()
        )),
        Skip::CallInProgress
    );
    assert_eq!(
        skipped(rule(
            "freshcaller/call-update-unmapped-status.json",
            &r,
            &none()
        )),
        Skip::UnmappedCallStatus(7)
    );
    assert_eq!(
        skipped(rule(
            "freshcaller/call-update-direction-integer.json",
            &r,
            &none()
        )),
        Skip::UnmappedDirection("1".into())
    );
}

#[test]
fn the_call_table_is_configurable() {
    let mut r = Rules::default();
    r.calls.missed_statuses.push(7);
    r.calls.incoming_direction_codes.push(1);
    notified(rule(
        "freshcaller/call-update-unmapped-status.json",
        &r,
        &none(),
    ));
    notified(rule(
        "freshcaller/call-update-direction-integer.json",
        &r,
        &none(),
    ));
    r.calls.missed_statuses.clear();
    assert_eq!(
        skipped(rule(
            "freshcaller/call-update-incoming-missed.json",
            &r,
            &none()
        )),
        Skip::UnmappedCallStatus(3)
    );
}

#[test]
fn xelion_missed_call_notifies_other_call_events_do_not() {
    let n = notified(rule("xelion/missed-call.json", &Rules::default(), &none()));
    assert_eq!(n[0].kind, Kind::MissedCall);
    assert_eq!(n[0].title, "Missed call from +31201234567");
    assert_eq!(n[0].url, None);
    for name in [
        "xelion/new-call.json",
        "xelion/call-connected.json",
        "xelion/hangup-customer-to-a.json",
    ] {
        assert_eq!(
            skipped(rule(name, &Rules::default(), &none())),
            Skip::NotNotifiable,
            "{name}"
        );
    }
}

#[test]
fn new_ticket_notifies_with_subject_priority_requester_and_link() {
    let n = notified(rule(
        "freshdesk/ticket-create.json",
        &Rules::default(),
        &none(),
    ));
    assert_eq!(n[0].kind, Kind::NewTicket);
    assert_eq!(n[0].title, "New ticket #1: Support Needed...");
    assert_eq!(
        n[0].body,
        "Low priority · from Rachel <rachel@freshdesk.com> · Portal"
    );
    assert_eq!(
        n[0].url.as_deref(),
        Some("https://sample.freshdesk.com/a/tickets/1")
    );
    assert_eq!(n[0].urgency, Urgency::Low);
}

#[test]
fn new_ticket_filters() {
    let name = "freshdesk/ticket-create.json"; // priority 1, group 351, Question, source 2, tags sales+marketing, responder 320
    let check = |edit: &dyn Fn(&mut Rules), pass: bool| {
        let mut r = Rules::default();
        edit(&mut r);
        let v = rule(name, &r, &me(&["320"]));
        assert_eq!(
            matches!(v, deskbell_core::rules::Verdict::Notify(_)),
            pass,
            "{:?}",
            r.new_ticket
        );
    };
    check(&|r| r.new_ticket.min_priority = Some(2), false);
    check(&|r| r.new_ticket.min_priority = Some(1), true);
    check(&|r| r.new_ticket.groups = vec!["999".into()], false);
    check(&|r| r.new_ticket.groups = vec!["351".into()], true);
    check(&|r| r.new_ticket.types = vec!["incident".into()], false);
    check(&|r| r.new_ticket.types = vec!["question".into()], true);
    check(&|r| r.new_ticket.sources = vec![1], false);
    check(&|r| r.new_ticket.sources = vec![2], true);
    check(&|r| r.new_ticket.tags = vec!["vip".into()], false);
    check(&|r| r.new_ticket.tags = vec!["Sales".into()], true);
    check(&|r| r.new_ticket.only_mine = true, true);
    let mut r = Rules::default();
    r.new_ticket.only_mine = true;
    let s = skipped(rule(name, &r, &me(&["999"])));
    assert_eq!(s, Skip::Filtered("not assigned to me".into()));
    r.new_ticket.min_priority = Some(3);
    let s = skipped(rule(name, &r, &none()));
    assert_eq!(
        s.to_string(),
        "filtered out: priority Low is below the minimum High"
    );
}

#[test]
fn ticket_reassignment_with_and_without_identity() {
    let name = "freshdesk/ticket-update-responder-320-to-321.json";
    let r = Rules::default();
    let any = notified(rule(name, &r, &none()));
    assert_eq!(any[0].kind, Kind::TicketReassigned);
    assert_eq!(any[0].title, "Ticket #1 reassigned");
    // No directory yet: said plainly, never as a raw id.
    assert_eq!(
        any[0].body,
        "Support Needed... · an agent not in the directory → an agent not in the directory"
    );
    assert_eq!(
        notified(rule(name, &r, &me(&["321"])))[0].title,
        "Ticket #1 assigned to you"
    );
    assert_eq!(
        notified(rule(name, &r, &me(&["320"])))[0].title,
        "Ticket #1 taken from you"
    );
    assert_eq!(skipped(rule(name, &r, &me(&["999"]))), Skip::NotForMe);
}

#[test]
fn ticket_group_change_follows_my_groups() {
    let name = "freshdesk/ticket-update-group-351-to-352.json";
    let r = Rules::default();
    assert_eq!(
        notified(rule(name, &r, &none()))[0].title,
        "Ticket #1 reassigned"
    );
    let mut id = me(&["320"]);
    id.group_ids = vec!["352".into()];
    assert_eq!(
        notified(rule(name, &r, &id))[0].title,
        "Ticket #1 assigned to your group"
    );
    id.group_ids = vec!["351".into()];
    assert_eq!(
        notified(rule(name, &r, &id))[0].title,
        "Ticket #1 taken from your group"
    );
}

#[test]
fn other_ticket_updates_raise_nothing() {
    let r = Rules::default();
    for name in [
        "freshdesk/ticket-update-source-priority.json",
        "freshdesk/ticket-update-status-resolved.json",
        "freshdesk/ticket-update-deleted.json",
    ] {
        assert_eq!(
            skipped(rule(name, &r, &none())),
            Skip::NoAssignmentChange,
            "{name}"
        );
    }
}

#[test]
fn chat_reassignment_to_and_from_me() {
    let r = Rules::default();
    let mine = me(&["2823233e-7122-4f87-9d56-38aaaaeb676a"]);
    let to = notified(rule(
        "freshchat/conversation-update-assigned-to-agent.json",
        &r,
        &mine,
    ));
    assert_eq!(to[0].kind, Kind::ConversationReassigned);
    assert_eq!(to[0].title, "Conversation with Ross Geller assigned to you");
    assert!(to[0].body.starts_with("by Monica Lead"), "{}", to[0].body);
    assert_eq!(
        to[0].url.as_deref(),
        Some("https://acme.freshchat.com/a/884923745698263/open/conversation/3f1d2b4a-5c6e-4f70-8a9b-0c1d2e3f4a5b")
    );
    let from = notified(rule(
        "freshchat/conversation-update-taken-from-agent.json",
        &r,
        &mine,
    ));
    assert_eq!(
        from[0].title,
        "Conversation with Ross Geller taken from you"
    );
    // Unassigned from me on resolve: agent change wins over the group change.
    let resolved = notified(rule(
        "freshchat/conversation-update-resolved-unassigned.json",
        &r,
        &mine,
    ));
    assert_eq!(
        resolved[0].title,
        "Conversation with Ross Geller taken from you"
    );
    assert_eq!(
        skipped(rule(
            "freshchat/conversation-update-reopened.json",
            &r,
            &mine
        )),
        Skip::NoAssignmentChange
    );
    assert_eq!(
        skipped(rule(
            "freshchat/conversation-update-assigned-to-agent.json",
            &r,
            &me(&["someone-else"])
        )),
        Skip::NotForMe
    );
}

#[test]
fn subscriptions_switch_kinds_off() {
    let mut r = Rules::default();
    r.subscriptions.set(Kind::NewTicket, false);
    assert_eq!(
        skipped(rule("freshdesk/ticket-create.json", &r, &none())),
        Skip::NotSubscribed(Kind::NewTicket)
    );
    r.subscriptions.set(Kind::MissedCall, false);
    assert_eq!(
        skipped(rule("xelion/missed-call.json", &r, &none())),
        Skip::NotSubscribed(Kind::MissedCall)
    );
    // Agent status is off by default.
    assert!(!Rules::default().subscriptions.agent_status);
}

#[test]
fn non_notifying_events_say_so() {
    for name in [
        "freshdesk/contact-create.json",
        "freshdesk/contact-update-phone.json",
        "freshdesk/conversation-create-reply.json",
        "freshchat/conversation-create.json",
    ] {
        assert_eq!(
            skipped(rule(name, &Rules::default(), &none())),
            Skip::NotNotifiable,
            "{name}"
        );
    }
    assert_eq!(
        skipped(rule(
            "tolerance/unknown-event-name.json",
            &Rules::default(),
            &none()
        )),
        Skip::UnknownEvent
    );
}

#[test]
fn hostile_text_stays_plain_text_and_urls_stay_on_the_domain() {
    let n = notified(rule(
        "tolerance/hostile-markup-in-customer-text.json",
        &Rules::default(),
        &none(),
    ));
    // The core passes text through unchanged; the notification sink escapes it.
    assert!(n[0].title.contains("<b>URGENT</b>"));
    assert_eq!(
        n[0].url.as_deref(),
        Some("https://sample.freshdesk.com/a/tickets/1")
    );
    // An id that would change the path yields no link at all.
    use deskbell_core::notification::urls;
    use deskbell_core::wire::{Domain, Id};
    let d = Domain::parse("sample.freshdesk.com");
    assert_eq!(urls::ticket(d.as_ref(), &Id::new("1/../../evil")), None);
    assert_eq!(urls::ticket(None, &Id::new("1")), None);
}

#[test]
fn spam_and_tickets_created_done_never_notify_by_default() {
    let r = Rules::default();
    assert_eq!(
        skipped(rule("freshdesk/ticket-create-spam.json", &r, &none())),
        Skip::Spam
    );
    for (fixture, status) in [
        ("freshdesk/ticket-create-closed.json", "Closed"),
        ("freshdesk/ticket-create-resolved.json", "Resolved"),
    ] {
        assert_eq!(
            skipped(rule(fixture, &r, &none())),
            Skip::Filtered(format!(
                "created {status}; only tickets created Open or Pending notify"
            )),
            "{fixture}"
        );
    }
    // The status set is a rule: with it emptied, any status notifies; spam
    // still never does.
    let mut any = Rules::default();
    any.new_ticket.statuses.clear();
    assert_eq!(
        notified(rule("freshdesk/ticket-create-closed.json", &any, &none()))[0].title,
        "New ticket #3: Phone call logged after the fact"
    );
    assert_eq!(
        skipped(rule("freshdesk/ticket-create-spam.json", &any, &none())),
        Skip::Spam
    );
    // Open still notifies, as before.
    assert_eq!(
        notified(rule("freshdesk/ticket-create.json", &r, &none())).len(),
        1
    );
}

#[test]
fn direction_controls_never_reach_a_notification() {
    let n = notified(rule(
        "tolerance/direction-controls-in-subject.json",
        &Rules::default(),
        &none(),
    ));
    // "\u{202e}gnp.exe" would display as "exe.png".
    assert_eq!(n[0].title, "New ticket #5: Invoice attached: gnp.exe");
    assert_eq!(
        n[0].body,
        "Low priority · from Mallory Admin <rachel@freshdesk.com> · Portal"
    );
}

#[test]
fn a_ticket_marked_spam_afterwards_is_withdrawn() {
    let w = common::withdrawn(rule(
        "freshdesk/ticket-update-marked-spam.json",
        &Rules::default(),
        &none(),
    ));
    assert_eq!(w.key, "ticket:sample.freshdesk.com:1");
    assert_eq!(w.title, "Ticket #1 was marked as spam");
    assert_eq!(w.to_string(), "withdrawn: the ticket was marked as spam");
    // Any other update of the ticket is ruled as before.
    assert_eq!(
        skipped(rule(
            "freshdesk/ticket-update-status-resolved.json",
            &Rules::default(),
            &none()
        )),
        Skip::NoAssignmentChange
    );
}

fn acme_names() -> deskbell_core::directory::Names {
    let dir = deskbell_core::directory::Directory::from_json(&common::fixture_text(
        "directory/acme.json",
    ))
    .unwrap();
    deskbell_core::directory::Names::from_directories([&dir])
}

#[test]
fn reassignments_and_new_tickets_name_agents_and_groups_from_the_directory() {
    let names = acme_names();
    let r = Rules::default();
    let first = |fixture: &str, me: &Identity| {
        notified(common::rule_named(fixture, &r, me, &names))
            .into_iter()
            .next()
            .unwrap()
    };
    let moved = "freshdesk/ticket-update-responder-320-to-321.json";
    assert_eq!(
        first(moved, &none()).body,
        "Support Needed... · Tom Agent → Ann Lead"
    );
    // Taken from me: I am "you", the new agent by name.
    let mine = first(moved, &me(&["320"]));
    assert_eq!(mine.title, "Ticket #1 taken from you");
    assert_eq!(mine.body, "Support Needed... · you → Ann Lead");
    // Me by email only: the directory says which agent id that is.
    assert_eq!(
        first(moved, &me(&["ann@acme.example"])).title,
        "Ticket #1 assigned to you"
    );
    let groups = first("freshdesk/ticket-update-group-351-to-352.json", &none());
    assert!(groups.body.ends_with("Billing → Sales"), "{}", groups.body);
    let created = first("freshdesk/ticket-create.json", &none());
    assert!(created.body.contains(" · Billing"), "{}", created.body);
}

#[test]
fn who_i_am_comes_from_the_directory_and_the_team_by_email_and_typing_overrides_it() {
    use deskbell_core::directory::{Directory, Product, WhoAmI};
    let dir = Directory::from_json(&common::fixture_text("directory/acme.json")).unwrap();
    let phone = common::fixture_text("freshcaller/agent-update-online.json");
    let team = [phone.as_str(), "[1,2,3]", "{\"event\":\"onAgentUpdate\"}"];
    // Tom: Freshdesk agent 320 in Billing (the directory), Freshcaller agent
    // 5001 in Support and Billing (the team's state), matched in any case.
    let tom = WhoAmI::resolve("tom-desk", Some("TOM@acme.example"), &dir, team);
    assert_eq!(tom.emails, ["tom@acme.example"]);
    let agents: Vec<(Product, &str)> = tom
        .agents
        .iter()
        .map(|a| (a.product.clone(), a.id.as_str()))
        .collect();
    assert_eq!(
        agents,
        [(Product::Freshdesk, "320"), (Product::Freshcaller, "5001")]
    );
    let groups: Vec<(&str, Option<&str>)> = tom
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.name.as_deref()))
        .collect();
    assert_eq!(
        groups,
        [
            ("351", Some("Billing")),
            ("2201", Some("Support")),
            ("2202", Some("Billing"))
        ]
    );
    assert_eq!(WhoAmI::from_json(&tom.to_json()).unwrap(), tom);
    // Unbound, or nobody by that email: the name alone, nothing to match.
    let nobody = WhoAmI::resolve("kiosk", None, &dir, team);
    assert!(!nobody.identity().is_known());
    assert!(WhoAmI::resolve("x", Some("zed@acme.example"), &dir, team)
        .agents
        .is_empty());

    // What the agent typed wins field by field; an empty field takes the
    // relay's. With it, "assigned to you" works with nothing typed.
    let learned = tom.identity();
    let typed = Identity {
        emails: vec!["typed@acme.example".into()],
        ..Identity::default()
    };
    let used = typed.over(&learned);
    assert_eq!(used.emails, ["typed@acme.example"]);
    assert_eq!(used.agent_ids, ["320", "5001"]);
    assert_eq!(used.group_ids, ["351", "2201", "2202"]);
    let names = acme_names();
    let moved = "freshdesk/ticket-update-responder-320-to-321.json";
    let n = notified(common::rule_named(
        moved,
        &Rules::default(),
        &Identity::default().over(&learned),
        &names,
    ));
    assert_eq!(n[0].title, "Ticket #1 taken from you");
    // Two accounts' relays: merged without repeats.
    let both = Identity::merged([&learned, &learned]);
    assert_eq!(both, learned);
}

#[test]
fn a_sound_per_kind_from_the_theme_a_name_or_a_file_and_none_for_a_summary() {
    use deskbell_core::rules::{Sound, Sounds};
    let d = Sounds::default();
    assert_eq!(
        d.of(Kind::MissedCall),
        Some(Sound::Theme("phone-incoming-call".into()))
    );
    assert_eq!(d.of(Kind::NewTicket), None, "off unless chosen");
    let rules: Rules = toml::from_str(
        r#"
        [sounds]
        missed_call = false
        new_ticket = "bell"
        first_response_due = { file = "/usr/share/sounds/alarm.oga" }
        "#,
    )
    .unwrap();
    assert_eq!(rules.sounds.of(Kind::MissedCall), None);
    assert_eq!(
        rules.sounds.of(Kind::NewTicket),
        Some(Sound::Theme("bell".into()))
    );
    assert_eq!(
        rules.sounds.of(Kind::FirstResponseDue),
        Some(Sound::File("/usr/share/sounds/alarm.oga".into()))
    );
    // A summary after a hold is no moment for a sound.
    let held = deskbell_core::coalesce::Delivery::Held(deskbell_core::schedule::HeldSummary {
        reason: deskbell_core::schedule::HoldReason::DoNotDisturb,
        counts: Default::default(),
        items: Vec::new(),
    });
    assert_eq!(d.for_delivery(&held), None);
}
