//! First responses coming due: an open, unassigned Freshdesk ticket whose
//! `fr_due_by` is less than a lead time away (10 minutes by default) raises
//! "First response due in N min" once; one whose `fr_due_by` has passed
//! raises "First response overdue" once. A later event of the ticket
//! re-arms the watch when it moves `fr_due_by`, and ends it when the ticket
//! is assigned, goes to a status whose SLA clock is off (Pending, Resolved,
//! Closed), is escalated (`fr_escalated`) or is spam. The watch is state
//! with `now` passed in; the daemon keeps it in a state file, so it
//! survives restarts. Filtered like new tickets (priority, groups, types,
//! sources, tags).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::Lookup;
use crate::event::freshdesk::{Ticket, TicketEvent, TicketStatus};
use crate::event::{DecodedEvent, Event};
use crate::l10n::{Arg, Locale, Msg};
use crate::notification::{urls, Kind, Notification, Urgency};
use crate::rules::new_ticket::{scope, scope_filter};
use crate::rules::TicketFilter;
use crate::wire::Timestamp;

/// `[first_response]` in the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FirstResponseRules {
    /// How long before `fr_due_by` the warning comes.
    pub lead_minutes: u32,
}

impl Default for FirstResponseRules {
    fn default() -> Self {
        FirstResponseRules { lead_minutes: 10 }
    }
}

impl FirstResponseRules {
    pub fn lead(&self) -> Duration {
        Duration::minutes(i64::from(self.lead_minutes))
    }
}

/// What has been said of a watched ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Said {
    Nothing,
    DueSoon,
    Overdue,
}

/// One ticket waiting for its first response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    pub ticket_id: String,
    pub subject: Option<String>,
    pub group_id: Option<String>,
    pub priority: Option<i64>,
    pub url: Option<String>,
    pub due: Timestamp,
    /// The ticket's own `updated_at` when it was last seen: an older event
    /// arriving later (a retry) changes nothing.
    pub updated_at: Option<Timestamp>,
    pub said: Said,
    /// The account it came from (its name): where "Assign to me" goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Every watched ticket, by `ticket:<scope>:<id>` (the new-ticket
/// notification's key, so a warning replaces that popup on screen).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstResponses {
    #[serde(default)]
    watched: BTreeMap<String, Watched>,
}

/// `first_responses.json` in the state dir: the watch, across restarts.
/// Damaged, it costs the warnings of tickets seen before the restart.
pub type FirstResponseStore = crate::state_file::StateFile<FirstResponses>;

impl FirstResponseStore {
    pub fn default_location() -> Option<Self> {
        crate::state_file::StateFile::named("first_responses.json")
    }
}

/// What an event did to the watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Not a ticket event, or one that changes nothing.
    Unchanged,
    Armed,
    /// `fr_due_by` moved: warned again when the new time comes.
    Rearmed,
    /// Assigned, its SLA clock off, escalated, spam, or out of the filter.
    Ended,
}

/// Statuses whose first-response clock runs. A status Deskbell does not
/// know (a custom one) keeps the clock running: a warning too many beats a
/// breach nobody saw.
fn clock_runs(t: &Ticket) -> bool {
    !matches!(
        t.status(),
        Some(TicketStatus::Pending | TicketStatus::Resolved | TicketStatus::Closed)
    )
}

impl FirstResponses {
    pub fn len(&self) -> usize {
        self.watched.len()
    }

    pub fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Watched> {
        self.watched.get(key)
    }

    /// The account a ticket event came from, kept with its watch (the
    /// classifier itself knows no accounts).
    pub fn tag_account(&mut self, ev: &DecodedEvent, account: &str) {
        if let Event::TicketCreated(t) | Event::TicketUpdated(t) = &ev.event {
            let key = format!("ticket:{}:{}", scope(ev), t.ticket.id);
            if let Some(w) = self.watched.get_mut(&key) {
                w.account = Some(account.to_owned());
            }
        }
    }

    /// A ticket event as the ticket now stands (Freshdesk sends the whole
    /// ticket with every update).
    pub fn observe(&mut self, ev: &DecodedEvent, filter: &TicketFilter) -> Observed {
        let t: &TicketEvent = match &ev.event {
            Event::TicketCreated(t) | Event::TicketUpdated(t) => t,
            _ => return Observed::Unchanged,
        };
        let ticket = &t.ticket;
        let key = format!("ticket:{}:{}", scope(ev), ticket.id);
        let updated_at = ticket.updated_at.0;
        if let (Some(seen), Some(now)) = (
            self.watched.get(&key).and_then(|w| w.updated_at),
            updated_at,
        ) {
            if now < seen {
                return Observed::Unchanged;
            }
        }
        let waiting = ticket.responder_id.is_none()
            && clock_runs(ticket)
            && ticket.fr_escalated != Some(true)
            && ticket.spam != Some(true)
            && scope_filter(filter, ticket).is_ok();
        let due = ticket.fr_due_by.0.filter(|_| waiting);
        let Some(due) = due else {
            return match self.watched.remove(&key) {
                Some(_) => Observed::Ended,
                None => Observed::Unchanged,
            };
        };
        let watched = Watched {
            ticket_id: ticket.id.to_string(),
            subject: ticket
                .subject
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            group_id: ticket.group_id.as_ref().map(|g| g.to_string()),
            priority: ticket.priority.map(|p| p.0),
            url: urls::ticket(ev.domain.as_ref(), &ticket.id),
            due,
            updated_at,
            said: Said::Nothing,
            account: self.watched.get(&key).and_then(|w| w.account.clone()),
        };
        match self.watched.get_mut(&key) {
            Some(w) if w.due == due => {
                // The same due time: what was said stays said.
                let said = w.said;
                *w = Watched { said, ..watched };
                Observed::Unchanged
            }
            Some(w) => {
                *w = watched;
                Observed::Rearmed
            }
            None => {
                self.watched.insert(key, watched);
                Observed::Armed
            }
        }
    }

    /// The warnings due at `now`, each once: "due in N min" within `lead`
    /// of the due time, "overdue" once it passed. A ticket found already
    /// overdue gets only the second.
    pub fn due(
        &mut self,
        now: DateTime<FixedOffset>,
        lead: Duration,
        names: Lookup<'_>,
        locale: &Locale,
    ) -> Vec<Notification> {
        let utc = now.with_timezone(&Utc);
        let mut out = Vec::new();
        for (key, w) in &mut self.watched {
            let due = w.due.0;
            let stage = if utc >= due {
                Said::Overdue
            } else if due - utc <= lead {
                Said::DueSoon
            } else {
                continue;
            };
            if w.said == stage || w.said == Said::Overdue {
                continue;
            }
            w.said = stage;
            out.push(warning(key, w, stage, now, names, locale));
        }
        out
    }

    /// When [`Self::due`] next has something to say.
    pub fn next_deadline(&self, lead: Duration) -> Option<DateTime<Utc>> {
        self.watched
            .values()
            .filter_map(|w| {
                let due = w.due.0;
                match w.said {
                    Said::Nothing => Some(due - lead),
                    Said::DueSoon => Some(due),
                    Said::Overdue => None,
                }
            })
            .min()
    }

    /// Forgets tickets overdue for longer than `keep` (said, and nobody
    /// answered them here: the helpdesk's own escalation takes over).
    pub fn forget_older_than(&mut self, now: DateTime<Utc>, keep: Duration) {
        self.watched
            .retain(|_, w| w.said != Said::Overdue || w.due.0 + keep > now);
    }
}

fn warning(
    key: &str,
    w: &Watched,
    stage: Said,
    now: DateTime<FixedOffset>,
    names: Lookup<'_>,
    l: &Locale,
) -> Notification {
    let due_local = w.due.0.with_timezone(now.offset());
    let subject = w
        .subject
        .clone()
        .unwrap_or_else(|| l.text(Msg::NoSubject, &[]));
    let ticket = [
        ("id", Arg::from(&w.ticket_id)),
        ("subject", Arg::from(&subject)),
    ];
    let title = match stage {
        Said::Overdue => l.text(Msg::FirstResponseOverdue, &ticket),
        _ => {
            // Rounded up: "due in 10 min" at 9:30 left.
            let seconds = (w.due.0 - now.with_timezone(&Utc)).num_seconds().max(0);
            let minutes = (seconds + 59) / 60;
            let [id, subject] = ticket;
            l.text(
                Msg::FirstResponseDueIn,
                &[("minutes", minutes.into()), id, subject],
            )
        }
    };
    let body = crate::rules::join([
        w.group_id.as_deref().map(|g| names.group_or_unknown(g, l)),
        w.priority.map(|p| {
            crate::rules::new_ticket::priority_text(
                crate::event::freshdesk::Priority::from_code(p),
                l,
            )
        }),
        Some(l.text(
            Msg::FirstResponseDueAt,
            &[("time", (&l.time(&due_local)).into())],
        )),
        Some(l.text(Msg::Unassigned, &[])),
    ]);
    Notification {
        kind: Kind::FirstResponseDue,
        key: key.to_owned(),
        dedupe_key: format!(
            "first-response:{}:{key}:{}",
            match stage {
                Said::Overdue => "overdue",
                _ => "due",
            },
            w.due.0.timestamp()
        ),
        title,
        body,
        url: w.url.clone(),
        urgency: match stage {
            Said::Overdue => Urgency::Critical,
            _ => Urgency::Normal,
        },
        at: Some(Timestamp(now.with_timezone(&Utc))),
        // Unassigned by definition: the agent can take it from the popup.
        actions: vec![crate::actions::Action::AssignToMe {
            ticket: w.ticket_id.clone(),
        }],
        account: w.account.clone(),
    }
}
