//! New tickets: `onTicketCreate`, filtered by the status it was created in,
//! priority, group, type, source, tags and "only assigned to me". Spam never
//! notifies.

use serde::{Deserialize, Serialize};

use super::{join, Context, Skip, Verdict, WithdrawReason, Withdrawal};
use crate::actions::Action;
use crate::event::freshdesk::{ticket_source_name, Priority, Ticket, TicketEvent, TicketStatus};
use crate::event::DecodedEvent;
use crate::l10n::{Locale, Msg};
use crate::notification::{urls, Kind, Notification, Urgency};

/// Empty lists mean "any".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketFilter {
    /// The statuses a ticket may be created in and notify. By default Open
    /// and Pending: a ticket created Resolved or Closed (a call logged after
    /// the fact, an import) needs nobody.
    pub statuses: Vec<i64>,
    /// 1 Low .. 4 Urgent.
    pub min_priority: Option<u8>,
    pub groups: Vec<String>,
    pub types: Vec<String>,
    pub sources: Vec<i64>,
    /// A ticket passes when it has any of these tags.
    pub tags: Vec<String>,
    pub only_mine: bool,
}

/// Open and Pending.
pub const DEFAULT_STATUSES: [i64; 2] = [2, 3];

impl Default for TicketFilter {
    fn default() -> Self {
        TicketFilter {
            statuses: DEFAULT_STATUSES.to_vec(),
            min_priority: None,
            groups: Vec::new(),
            types: Vec::new(),
            sources: Vec::new(),
            tags: Vec::new(),
            only_mine: false,
        }
    }
}

pub fn classify(ev: &DecodedEvent, t: &TicketEvent, ctx: &Context<'_>) -> Verdict {
    let f = &ctx.rules.new_ticket;
    let ticket = &t.ticket;
    // A spam wave must not become a popup storm on every desktop.
    if ticket.spam == Some(true) {
        return Verdict::Skip(Skip::Spam);
    }
    // A ticket without a status is shown: missing data never hides one.
    if let Some(status) = ticket.status() {
        if !f.statuses.is_empty() && !f.statuses.contains(&status.code()) {
            return filtered(format!(
                "created {}; only tickets created {} notify",
                status.label(),
                f.statuses
                    .iter()
                    .map(|c| TicketStatus::from_code(*c).label())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    if let Err(why) = scope_filter(f, ticket) {
        return filtered(why);
    }
    if f.only_mine
        && !ticket
            .responder_id
            .as_ref()
            .is_some_and(|r| ctx.me.is_me(r.as_str()))
    {
        return filtered("not assigned to me".into());
    }

    let l = ctx.locale;
    let subject = ticket.subject.as_deref().filter(|s| !s.trim().is_empty());
    let requester = t
        .requester
        .as_ref()
        .and_then(|r| match (r.name.as_ref(), r.email.as_ref()) {
            (Some(n), Some(e)) => Some(l.text(
                Msg::TicketFromNameEmail,
                &[("name", n.as_str().into()), ("email", e.as_str().into())],
            )),
            (n, e) => n
                .or(e)
                .map(|x| l.text(Msg::TicketFrom, &[("who", x.as_str().into())])),
        });
    let priority = ticket.priority();
    let key = format!("ticket:{}:{}", scope(ev), ticket.id);
    Verdict::Notify(vec![Notification {
        kind: Kind::NewTicket,
        dedupe_key: format!("created:{key}"),
        title: l.text(
            Msg::NewTicketTitle,
            &[
                ("id", ticket.id.as_str().into()),
                (
                    "subject",
                    (&subject.map_or_else(|| l.text(Msg::NoSubject, &[]), str::to_owned)).into(),
                ),
            ],
        ),
        body: join([
            priority.map(|p| priority_text(p, l)),
            requester,
            // The group's name when the directory knows it; an unknown
            // group's id would mean nothing to the agent.
            ticket
                .group_id
                .as_ref()
                .and_then(|g| ctx.me.lookup().group(g.as_str())),
            ticket
                .source
                .filter(|s| ticket_source_name(s.0).is_some())
                .map(|s| l.text(Msg::TicketSource, &[("code", s.0.into())])),
        ]),
        url: urls::ticket(ev.domain.as_ref(), &ticket.id),
        urgency: match priority {
            Some(Priority::Urgent) => Urgency::Critical,
            Some(Priority::Low) => Urgency::Low,
            _ => Urgency::Normal,
        },
        at: ticket.created_at.0.or(ev.timestamp),
        // Nobody has it yet: the agent can take it from the popup.
        actions: if ticket.responder_id.is_none() {
            vec![Action::AssignToMe {
                ticket: ticket.id.to_string(),
            }]
        } else {
            Vec::new()
        },
        account: None,
        key,
    }])
}

/// A ticket turned into spam after it was created (`changes.spam: [false,
/// true]`): whatever is on screen for it is taken back.
pub fn marked_spam(ev: &DecodedEvent, t: &TicketEvent, l: &Locale) -> Option<Withdrawal> {
    let now_spam = t
        .ticket
        .changes
        .iter()
        .any(|c| c.field == "spam" && c.new == serde_json::Value::Bool(true) && c.old != c.new);
    now_spam.then(|| Withdrawal {
        key: format!("ticket:{}:{}", scope(ev), t.ticket.id),
        title: l.text(Msg::TicketSpam, &[("id", t.ticket.id.as_str().into())]),
        why: WithdrawReason::MarkedSpam,
    })
}

/// "High priority", as the agent's language says it.
pub(crate) fn priority_text(p: Priority, l: &Locale) -> String {
    let (key, code) = match p {
        Priority::Low => ("low", 1),
        Priority::Medium => ("medium", 2),
        Priority::High => ("high", 3),
        Priority::Urgent => ("urgent", 4),
        Priority::Unknown(c) => ("other", c),
    };
    l.text(
        Msg::TicketPriority,
        &[("priority", key.into()), ("code", code.into())],
    )
}

/// The filters that say which tickets are this agent's business at all
/// (priority, groups, types, sources, tags), shared with the
/// first-response warnings; why not, when a ticket fails one.
pub(crate) fn scope_filter(f: &TicketFilter, ticket: &Ticket) -> Result<(), String> {
    if let Some(min) = f.min_priority {
        let p = ticket.priority.map(|c| c.0).unwrap_or(0);
        if p < i64::from(min) {
            return Err(format!(
                "priority {} is below the minimum {}",
                ticket
                    .priority()
                    .map(Priority::label)
                    .unwrap_or_else(|| "(none)".into()),
                Priority::from_code(i64::from(min)).label()
            ));
        }
    }
    if !f.groups.is_empty()
        && !ticket
            .group_id
            .as_ref()
            .is_some_and(|g| f.groups.iter().any(|x| x == g.as_str()))
    {
        return Err("group is not one of the chosen groups".into());
    }
    if !f.types.is_empty()
        && !ticket
            .ticket_type
            .as_ref()
            .is_some_and(|ty| f.types.iter().any(|x| x.eq_ignore_ascii_case(ty)))
    {
        return Err("type is not one of the chosen types".into());
    }
    if !f.sources.is_empty() && !ticket.source.is_some_and(|s| f.sources.contains(&s.0)) {
        return Err("source is not one of the chosen sources".into());
    }
    if !f.tags.is_empty()
        && !ticket
            .tags()
            .iter()
            .any(|t| f.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
    {
        return Err("has none of the chosen tags".into());
    }
    Ok(())
}

fn filtered(why: String) -> Verdict {
    Verdict::Skip(Skip::Filtered(why))
}

/// What makes a key unique across helpdesks: the domain, else the account.
pub(crate) fn scope<'e>(ev: &'e DecodedEvent<'_>) -> &'e str {
    ev.domain
        .as_ref()
        .map(|d| d.as_str())
        .or(ev.account_id.as_ref().map(|a| a.as_str()))
        .unwrap_or_default()
}
