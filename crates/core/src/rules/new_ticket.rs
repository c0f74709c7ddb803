//! New tickets: `onTicketCreate`, filtered by priority, group, type, source,
//! tags and "only assigned to me".

use serde::{Deserialize, Serialize};

use super::{join, Context, Skip, Verdict};
use crate::event::freshdesk::{ticket_source_name, Priority, TicketEvent};
use crate::event::DecodedEvent;
use crate::notification::{urls, Kind, Notification, Urgency};

/// Empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketFilter {
    /// 1 Low .. 4 Urgent.
    pub min_priority: Option<u8>,
    pub groups: Vec<String>,
    pub types: Vec<String>,
    pub sources: Vec<i64>,
    /// A ticket passes when it has any of these tags.
    pub tags: Vec<String>,
    pub only_mine: bool,
}

pub fn classify(ev: &DecodedEvent, t: &TicketEvent, ctx: &Context<'_>) -> Verdict {
    let f = &ctx.rules.new_ticket;
    let ticket = &t.ticket;
    if let Some(min) = f.min_priority {
        let p = ticket.priority.map(|c| c.0).unwrap_or(0);
        if p < i64::from(min) {
            return filtered(format!(
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
        return filtered("group is not one of the chosen groups".into());
    }
    if !f.types.is_empty()
        && !ticket
            .ticket_type
            .as_ref()
            .is_some_and(|ty| f.types.iter().any(|x| x.eq_ignore_ascii_case(ty)))
    {
        return filtered("type is not one of the chosen types".into());
    }
    if !f.sources.is_empty() && !ticket.source.is_some_and(|s| f.sources.contains(&s.0)) {
        return filtered("source is not one of the chosen sources".into());
    }
    if !f.tags.is_empty()
        && !ticket
            .tags()
            .iter()
            .any(|t| f.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
    {
        return filtered("has none of the chosen tags".into());
    }
    if f.only_mine
        && !ticket
            .responder_id
            .as_ref()
            .is_some_and(|r| ctx.me.is_me(r.as_str()))
    {
        return filtered("not assigned to me".into());
    }

    let subject = ticket.subject.clone().filter(|s| !s.trim().is_empty());
    let requester = t.requester.as_ref().and_then(|r| {
        let name = r.name.as_ref().map(|n| n.to_string());
        let email = r.email.as_ref().map(|e| e.to_string());
        match (name, email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (n, e) => n.or(e),
        }
    });
    let priority = ticket.priority();
    let key = format!("ticket:{}:{}", scope(ev), ticket.id);
    Verdict::Notify(vec![Notification {
        kind: Kind::NewTicket,
        dedupe_key: format!("created:{key}"),
        title: format!(
            "New ticket #{}: {}",
            ticket.id,
            subject.as_deref().unwrap_or("(no subject)")
        ),
        body: join([
            priority.map(|p| format!("{} priority", p.label())),
            requester.map(|r| format!("from {r}")),
            ticket
                .source
                .and_then(|s| ticket_source_name(s.0))
                .map(|s| s.to_owned()),
        ]),
        url: urls::ticket(ev.domain.as_ref(), &ticket.id),
        urgency: match priority {
            Some(Priority::Urgent) => Urgency::Critical,
            Some(Priority::Low) => Urgency::Low,
            _ => Urgency::Normal,
        },
        at: ticket.created_at.0.or(ev.timestamp),
        key,
    }])
}

fn filtered(why: String) -> Verdict {
    Verdict::Skip(Skip::Filtered(why))
}

/// What makes a key unique across helpdesks: the domain, else the account.
pub(crate) fn scope(ev: &DecodedEvent) -> String {
    ev.domain
        .as_ref()
        .map(|d| d.to_string())
        .or(ev.account_id.as_ref().map(|a| a.to_string()))
        .unwrap_or_default()
}
