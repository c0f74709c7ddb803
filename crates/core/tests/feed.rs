//! The window's feed: newest first, bounded, kept across restarts, with what
//! arrived while the agent was away on top.

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use common::bytes;
use deskbell_core::feed::{FeedStore, FEED_CAPACITY};
use deskbell_core::notification::Kind;
use deskbell_core::pipeline::Pipeline;
use deskbell_core::rules::{Identity, Rules};
use deskbell_core::schedule::HoldReason;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn ticket(id: u64) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&bytes("freshdesk/ticket-create.json")).unwrap();
    v["data"]["ticket"]["id"] = id.into();
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn the_feed_keeps_what_was_shown_newest_first_with_the_away_summary() {
    let now = t("2026-11-20T10:00:00Z");
    let mut rules = Rules::default();
    rules.schedule.do_not_disturb_until = Some((now + Duration::minutes(5)).with_timezone(&Utc));
    let mut p = Pipeline::new(rules, Identity::default(), Duration::seconds(10));
    let mut feed = deskbell_core::feed::Feed::default();
    // Held during do-not-disturb, then released as one summary.
    for id in [1, 2] {
        for d in p.ingest(&ticket(id), now).deliveries {
            feed.record(&d, now.with_timezone(&Utc));
        }
    }
    assert!(feed.is_empty());
    let later = now + Duration::minutes(6);
    for d in p.tick(later) {
        feed.record(&d, later.with_timezone(&Utc));
    }
    let away = feed.away().expect("an away summary");
    assert_eq!(away.reason, HoldReason::DoNotDisturb);
    assert_eq!(away.counts.get(&Kind::NewTicket), Some(&2));
    assert!(feed
        .newest_first()
        .all(|i| i.held == Some(HoldReason::DoNotDisturb)));
    // Shown normally afterwards: on top, not held.
    for d in p.ingest(&ticket(3), later).deliveries {
        feed.record(&d, later.with_timezone(&Utc));
    }
    let titles: Vec<_> = feed.newest_first().map(|i| i.title.clone()).collect();
    assert!(titles[0].starts_with("New ticket #3"), "{titles:?}");
    assert_eq!(feed.newest_first().next().unwrap().held, None);
    assert_eq!(
        feed.newest_first().next().unwrap().url.as_deref(),
        Some("https://sample.freshdesk.com/a/tickets/3")
    );
    feed.dismiss_away();
    assert!(feed.away().is_none());
}

#[test]
fn the_feed_is_bounded_and_survives_a_restart_or_a_damaged_file() {
    let now = t("2026-11-20T10:00:00Z");
    let mut p = Pipeline::new(Rules::default(), Identity::default(), Duration::seconds(0));
    let mut feed = deskbell_core::feed::Feed::default();
    for id in 1..=(FEED_CAPACITY as u64 + 50) {
        let at = now + Duration::seconds(id as i64);
        for d in p.ingest(&ticket(id), at).deliveries {
            feed.record(&d, at.with_timezone(&Utc));
        }
    }
    assert_eq!(feed.len(), FEED_CAPACITY);
    let newest = feed.newest_first().next().unwrap().clone();
    assert!(newest
        .title
        .starts_with(&format!("New ticket #{}", FEED_CAPACITY + 50)));

    let dir = std::env::temp_dir().join(format!("deskbell-feed-{}", std::process::id()));
    let store = FeedStore::at(dir.join("feed.json"));
    assert!(store.load().is_empty());
    store.save(&feed).unwrap();
    let loaded = store.load();
    assert_eq!(loaded, feed);
    assert_eq!(loaded.get(newest.id), Some(&newest));
    std::fs::write(store.path(), b"{ damaged").unwrap();
    assert!(store.load().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_newest_word_on_a_ticket_carries_its_buttons() {
    use deskbell_core::actions::{Action, Pressed};
    use deskbell_core::coalesce::Delivery;
    use deskbell_core::config::{AccountConfig, LinkScope};
    let account = AccountConfig::Relay {
        name: "acme".into(),
        url: "https://relay.acme.example/".into(),
        fallback_urls: Vec::new(),
        domains: Vec::new(),
    };
    let mut p = Pipeline::new(Rules::default(), Identity::default(), Duration::zero());
    let now = t("2026-12-03T09:41:00Z");
    let shown = p
        .ingest_from(
            &bytes("freshdesk/ticket-create-unassigned-fr-due.json"),
            now,
            LinkScope::Account(&account),
        )
        .deliveries;
    let mut feed = deskbell_core::feed::Feed::default();
    let first = feed.record(&shown[0], now.to_utc()).remove(0);
    assert_eq!(
        first.actions,
        [
            Action::AssignToMe {
                ticket: "4201".into()
            },
            Action::RemindLater
        ]
    );
    // From the row as from the popup: the same notification, its account.
    let pressed = Pressed::of(&first.notification(), "assign").unwrap();
    assert_eq!(pressed.notification.account.as_deref(), Some("acme"));
    assert_eq!(pressed.notification.key, "ticket:sample.freshdesk.com:4201");

    // The outcome, same key: the old row's buttons go.
    let mut outcome = first.notification();
    outcome.title = "Ticket #4201 is yours".into();
    outcome.actions.clear();
    feed.record(&Delivery::Single(outcome), now.to_utc());
    assert!(feed.get(first.id).unwrap().actions.is_empty());
}
