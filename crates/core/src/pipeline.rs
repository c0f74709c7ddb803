//! The one-way pipeline: bytes -> decode -> dedupe -> board -> rules ->
//! (hold gate -> coalesce) -> deliveries for the sinks. No stage calls back
//! into an earlier one; every time-dependent step takes `now`.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::Serialize;

use crate::actions::reminders::Reminders;
use crate::actions::Action;
use crate::board::{Board, BoardChange};
use crate::coalesce::{Coalescer, Delivery};
use crate::config::{AccountConfig, LinkScope};
use crate::dedupe::{event_fingerprint, fingerprint, Dedupe};
use crate::directory::Names;
use crate::event::{decode, DecodeError, DecodedEvent, Event};
use crate::first_response::{FirstResponses, Observed};
use crate::l10n::Locale;
use crate::notification::Notification;
use crate::rules::{classify, Context, Identity, Me, Rules, Skip, Verdict};
use crate::wire::Timestamp;

/// How long and how many events and notifications are remembered for dedupe.
const DEDUPE_CAPACITY: usize = 20_000;
const DEDUPE_WINDOW_HOURS: i64 = 24;

/// Counters for the tray's health line and the metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub decoded: u64,
    pub malformed: u64,
    pub duplicates: u64,
    pub notified: u64,
    pub skipped: u64,
}

/// What became of one payload.
#[derive(Debug)]
pub struct Classified<'a> {
    /// Borrowing the payload's bytes.
    pub event: Result<DecodedEvent<'a>, DecodeError>,
    /// `None` when the payload did not decode.
    pub verdict: Option<Verdict>,
    pub board_change: Option<BoardChange>,
}

/// Decode, dedupe, board and rules: the part `deskbell check` shares with
/// the app. No time windows beyond dedupe's.
#[derive(Debug)]
pub struct Classifier {
    pub rules: Rules,
    pub identity: Identity,
    /// The language notifications are written in.
    pub locale: Locale,
    board: Board,
    /// Names for ids, from the relays' directories (`crate::directory`).
    names: Names,
    events: Dedupe,
    notifications: Dedupe,
    stats: Stats,
    /// Tickets waiting for their first response (`crate::first_response`).
    first_responses: FirstResponses,
    /// The watch changed since the daemon last saved it.
    first_responses_changed: bool,
}

impl Classifier {
    pub fn new(rules: Rules, identity: Identity) -> Self {
        let window = Duration::hours(DEDUPE_WINDOW_HOURS);
        Classifier {
            rules,
            identity,
            locale: Locale::english(),
            board: Board::default(),
            names: Names::default(),
            events: Dedupe::new(DEDUPE_CAPACITY, window),
            notifications: Dedupe::new(DEDUPE_CAPACITY, window),
            stats: Stats::default(),
            first_responses: FirstResponses::default(),
            first_responses_changed: false,
        }
    }

    pub fn first_responses(&self) -> &FirstResponses {
        &self.first_responses
    }

    /// The watch as saved before a restart.
    pub fn restore_first_responses(&mut self, watch: FirstResponses) {
        self.first_responses = watch;
    }

    /// The account a ticket event came from, for its first-response watch.
    pub fn tag_first_response_account(&mut self, ev: &DecodedEvent, account: &str) {
        self.first_responses.tag_account(ev, account);
    }

    /// Whether the watch changed since this was last asked.
    pub fn take_first_responses_changed(&mut self) -> bool {
        std::mem::take(&mut self.first_responses_changed)
    }

    /// The first-response warnings due at `now`, each once (across
    /// restarts too: they go through the notification memory).
    pub fn first_responses_due(&mut self, now: DateTime<FixedOffset>) -> Vec<Notification> {
        let utc = now.with_timezone(&Utc);
        let lead = self.rules.first_response.lead();
        let lookup = crate::directory::Lookup {
            names: &self.names,
            board: &self.board,
        };
        let said = self.first_responses.due(now, lead, lookup, &self.locale);
        if !said.is_empty() {
            self.first_responses_changed = true;
        }
        // Past their due time for a day: the helpdesk's escalation has them.
        self.first_responses
            .forget_older_than(utc, Duration::hours(24));
        let fresh: Vec<Notification> = said
            .into_iter()
            .filter(|n| {
                self.notifications
                    .first_time(fingerprint(&n.dedupe_key), utc)
            })
            .collect();
        self.stats.notified += fresh.len() as u64;
        fresh
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The directories changed: names from now on come from these.
    pub fn set_names(&mut self, names: Names) {
        self.names = names;
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The notifications already raised (fingerprints of their dedupe keys,
    /// with when), oldest first: kept across restarts so a redelivered
    /// event does not notify again (`crate::notified`).
    pub fn notified(&self) -> Vec<(u64, DateTime<Utc>)> {
        self.notifications.remembered().collect()
    }

    /// Remembers notifications raised before a restart, oldest first.
    /// Entries past the dedupe window are forgotten as usual.
    pub fn remember_notified(&mut self, entries: impl IntoIterator<Item = (u64, DateTime<Utc>)>) {
        for (fp, at) in entries {
            self.notifications.first_time(fp, at);
        }
    }

    /// My own status on the board, for "hold while I am on a call".
    pub fn my_status(&self) -> Option<&crate::event::agent::AgentStatus> {
        let me = Me {
            identity: &self.identity,
            board: &self.board,
            names: &self.names,
        };
        self.board.status_of(|row| me.is_me(&row.id))
    }

    /// One agent's latest state as the relay keeps it (the stream's `team`
    /// event): onto the board, never through the rules; a state older than
    /// the row's is ignored. What did not decode, or is no agent update, is
    /// counted as malformed and changes nothing.
    pub fn remember_team_member(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Option<BoardChange> {
        match decode(bytes) {
            Ok(DecodedEvent {
                event: Event::AgentUpdated(update),
                timestamp,
                ..
            }) => self
                .board
                .apply_in_order(&update, timestamp, Timestamp(now)),
            _ => {
                self.stats.malformed += 1;
                None
            }
        }
    }

    pub fn classify_bytes<'a>(&mut self, bytes: &'a [u8], now: DateTime<Utc>) -> Classified<'a> {
        match decode(bytes) {
            Ok(ev) => {
                let (verdict, board_change) = self.classify_event(&ev, now);
                Classified {
                    event: Ok(ev),
                    verdict: Some(verdict),
                    board_change,
                }
            }
            Err(err) => {
                self.stats.malformed += 1;
                Classified {
                    event: Err(err),
                    verdict: None,
                    board_change: None,
                }
            }
        }
    }

    pub fn classify_event(
        &mut self,
        ev: &DecodedEvent,
        now: DateTime<Utc>,
    ) -> (Verdict, Option<BoardChange>) {
        self.stats.decoded += 1;
        if !self.events.first_time(event_fingerprint(ev), now) {
            self.stats.duplicates += 1;
            return (Verdict::Skip(Skip::DuplicateEvent), None);
        }
        if self.first_responses.observe(ev, &self.rules.new_ticket) != Observed::Unchanged {
            self.first_responses_changed = true;
        }
        let board_change = match &ev.event {
            Event::AgentUpdated(update) => {
                self.board
                    .apply_in_order(update, ev.timestamp, Timestamp(now))
            }
            _ => None,
        };
        let ctx = Context {
            rules: &self.rules,
            me: Me {
                identity: &self.identity,
                board: &self.board,
                names: &self.names,
            },
            board_change: board_change.as_ref(),
            locale: &self.locale,
        };
        let verdict = match classify(ev, &ctx) {
            Verdict::Notify(list) => {
                let fresh: Vec<Notification> = list
                    .into_iter()
                    .filter(|n| {
                        self.notifications
                            .first_time(fingerprint(&n.dedupe_key), now)
                    })
                    .collect();
                if fresh.is_empty() {
                    Verdict::Skip(Skip::AlreadyNotified)
                } else {
                    Verdict::Notify(fresh)
                }
            }
            skip => skip,
        };
        match &verdict {
            Verdict::Notify(list) => self.stats.notified += list.len() as u64,
            Verdict::Skip(_) | Verdict::Withdraw(_) => self.stats.skipped += 1,
        }
        (verdict, board_change)
    }
}

/// The whole pipeline the app runs: the classifier, then the hold gate and
/// the burst coalescer.
#[derive(Debug)]
pub struct Pipeline {
    classifier: Classifier,
    gate: crate::schedule::Gate,
    coalescer: Coalescer,
    /// "Remind me later" (`crate::actions::reminders`).
    reminders: Reminders,
    /// The reminders changed since the daemon last saved them.
    reminders_changed: bool,
}

/// Keeps the actions `account` can carry out, and adds "Remind me later",
/// which any notification offers; stamps the account for the daemon.
fn offer_actions(n: &mut Notification, account: Option<&AccountConfig>) {
    n.actions.retain(|a| a.possible_from(account));
    if !n.actions.contains(&Action::RemindLater) {
        n.actions.push(Action::RemindLater);
    }
    if let Some(a) = account {
        n.account = Some(a.name().to_owned());
    }
}

/// One payload's passage: what the rules said, and what to show now.
#[derive(Debug)]
pub struct Ingested<'a> {
    pub classified: Classified<'a>,
    pub deliveries: Vec<Delivery>,
}

impl Pipeline {
    pub fn new(rules: Rules, identity: Identity, coalesce_window: Duration) -> Self {
        Pipeline {
            classifier: Classifier::new(rules, identity),
            gate: crate::schedule::Gate::default(),
            coalescer: Coalescer::new(coalesce_window),
            reminders: Reminders::default(),
            reminders_changed: false,
        }
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    pub fn classifier_mut(&mut self) -> &mut Classifier {
        &mut self.classifier
    }

    pub fn rules_mut(&mut self) -> &mut Rules {
        &mut self.classifier.rules
    }

    /// "Remind me later" pressed on `n` at `now`: when it comes back.
    pub fn remind(&mut self, n: Notification, now: DateTime<Utc>) -> DateTime<Utc> {
        self.reminders_changed = true;
        self.reminders.add(n, now)
    }

    /// What `key` is about was dealt with (an assignment made from the
    /// popup): its reminder is dropped.
    pub fn settle(&mut self, key: &str) {
        if self.reminders.settle(key) {
            self.reminders_changed = true;
        }
    }

    pub fn reminders(&self) -> &Reminders {
        &self.reminders
    }

    /// The reminders as saved before a restart.
    pub fn restore_reminders(&mut self, reminders: Reminders) {
        self.reminders = reminders;
    }

    /// Whether the reminders changed since this was last asked.
    pub fn take_reminders_changed(&mut self) -> bool {
        std::mem::take(&mut self.reminders_changed)
    }

    pub fn held_count(&self) -> usize {
        self.gate.held_count()
    }

    /// One payload from a source without an account (the demo, tests):
    /// links may point at Freshworks' own domains only.
    pub fn ingest<'a>(&mut self, bytes: &'a [u8], now: DateTime<FixedOffset>) -> Ingested<'a> {
        self.ingest_from(bytes, now, LinkScope::Freshworks)
    }

    /// One payload from `scope`. A link outside the scope is dropped: the
    /// notification still shows, but opens nothing.
    pub fn ingest_from<'a>(
        &mut self,
        bytes: &'a [u8],
        now: DateTime<FixedOffset>,
        scope: LinkScope<'_>,
    ) -> Ingested<'a> {
        let utc = now.with_timezone(&Utc);
        let classified = self.classifier.classify_bytes(bytes, utc);
        // A status change of mine may end a hold: tick before delivering.
        let mut deliveries = self.tick(now);
        if let Ok(ev) = &classified.event {
            if let Some(account) = scope.account() {
                self.classifier
                    .tag_first_response_account(ev, account.name());
            }
            if let Some(key) = crate::actions::settled_key(ev) {
                self.settle(&key);
            }
        }
        if let Some(Verdict::Withdraw(w)) = &classified.verdict {
            self.settle(&w.key);
            // Not shown later either: neither after a hold nor in a burst.
            self.gate.withdraw(&w.key);
            self.coalescer.withdraw(&w.key);
            deliveries.push(Delivery::Withdrawn {
                key: w.key.clone(),
                title: w.title.clone(),
            });
        }
        if let Some(Verdict::Notify(list)) = &classified.verdict {
            let hold = self.hold_reason(now);
            for mut n in list.iter().cloned() {
                self.classifier.rules.stay_until_dismissed.apply(&mut n);
                if n.url.as_deref().is_some_and(|u| !scope.allows(u)) {
                    tracing::warn!(kind = ?n.kind, "dropped a link outside the source's domains");
                    n.url = None;
                }
                offer_actions(&mut n, scope.account());
                if let Some(n) = self.gate.offer(n, hold) {
                    deliveries.extend(self.coalescer.push(n, utc));
                }
            }
        }
        Ingested {
            classified,
            deliveries,
        }
    }

    /// What a source caught up on after time offline (`payloads`, oldest
    /// first): through the rules and the dedupe like any event, then shown
    /// as one "while you were away" summary, never as a burst; during a
    /// hold they join it instead.
    pub fn catch_up(
        &mut self,
        payloads: &[String],
        now: DateTime<FixedOffset>,
        scope: LinkScope<'_>,
    ) -> Option<Delivery> {
        let utc = now.with_timezone(&Utc);
        let hold = self.hold_reason(now);
        let mut items = Vec::new();
        for payload in payloads {
            let classified = self.classifier.classify_bytes(payload.as_bytes(), utc);
            let Some(Verdict::Notify(list)) = classified.verdict else {
                continue;
            };
            for mut n in list {
                if n.url.as_deref().is_some_and(|u| !scope.allows(u)) {
                    n.url = None;
                }
                offer_actions(&mut n, scope.account());
                if hold.is_some() {
                    let _ = self.gate.offer(n, hold);
                } else {
                    items.push(n);
                }
            }
        }
        if items.is_empty() {
            return None;
        }
        let mut counts = std::collections::BTreeMap::new();
        for n in &items {
            *counts.entry(n.kind).or_insert(0) += 1;
        }
        Some(Delivery::Held(crate::schedule::HeldSummary {
            reason: crate::schedule::HoldReason::Away,
            counts,
            items,
        }))
    }

    /// Releases a finished hold, raises the first-response warnings now
    /// due, and flushes ended bursts.
    pub fn tick(&mut self, now: DateTime<FixedOffset>) -> Vec<Delivery> {
        let mut out = Vec::new();
        let hold = self.hold_reason(now);
        if let Some(summary) = self.gate.release(hold) {
            out.push(Delivery::Held(summary));
        }
        // Switched off, the watch waits: switched on again, what is due shows.
        if self
            .classifier
            .rules
            .subscriptions
            .is_on(crate::notification::Kind::FirstResponseDue)
        {
            let utc = now.with_timezone(&Utc);
            for mut n in self.classifier.first_responses_due(now) {
                self.classifier.rules.stay_until_dismissed.apply(&mut n);
                // Only a relay's ticket can be assigned from here.
                if n.account.is_none() {
                    n.actions.clear();
                }
                if !n.actions.contains(&Action::RemindLater) {
                    n.actions.push(Action::RemindLater);
                }
                if let Some(n) = self.gate.offer(n, hold) {
                    out.extend(self.coalescer.push(n, utc));
                }
            }
        }
        let utc = now.with_timezone(&Utc);
        let due = self.reminders.take_due(utc, &self.classifier.locale);
        if !due.is_empty() {
            self.reminders_changed = true;
        }
        for n in due {
            if let Some(n) = self.gate.offer(n, hold) {
                out.extend(self.coalescer.push(n, utc));
            }
        }
        out.extend(self.coalescer.tick(now.with_timezone(&Utc)));
        out
    }

    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.coalescer.next_deadline()
    }

    fn hold_reason(&self, now: DateTime<FixedOffset>) -> Option<crate::schedule::HoldReason> {
        self.classifier
            .rules
            .schedule
            .hold_reason(now, self.classifier.my_status())
    }
}
