//! Reassignments: Freshdesk `onTicketUpdate` whose `responder_id` or
//! `group_id` changed, and Freshchat `onConversationUpdate` whose
//! `assigned_agent_id` or `assigned_group_id` changed. With a known identity
//! only "assigned to me" and "taken from me" notify (and the same for my
//! groups); with none, every reassignment does.

use super::new_ticket::scope;
use super::{join, Context, Me, Skip, Verdict};
use crate::event::freshchat::ChatConversationEvent;
use crate::event::freshdesk::TicketEvent;
use crate::event::{Change, DecodedEvent};
use crate::l10n::{Locale, Msg};
use crate::notification::{urls, Kind, Notification, Urgency};

/// What a reassignment means to me; the order is the preference when one
/// event changes both agent and group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    AssignedToMe,
    TakenFromMe,
    AssignedToMyGroup,
    TakenFromMyGroup,
    /// No identity configured: any reassignment.
    Reassigned,
}

impl Relation {
    /// The catalogs' `$relation`.
    fn key(self) -> &'static str {
        match self {
            Relation::AssignedToMe => "to-me",
            Relation::TakenFromMe => "from-me",
            Relation::AssignedToMyGroup => "to-my-group",
            Relation::TakenFromMyGroup => "from-my-group",
            Relation::Reassigned => "any",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Agent,
    Group,
}

fn relation(me: &Me<'_>, target: Target, change: &Change) -> Option<Relation> {
    if !me.is_known() {
        return Some(Relation::Reassigned);
    }
    let (old, new) = (change.old_text(), change.new_text());
    let is = |v: &Option<String>| {
        v.as_deref().is_some_and(|id| match target {
            Target::Agent => me.is_me(id),
            Target::Group => me.is_my_group(id),
        })
    };
    match (target, is(&old), is(&new)) {
        (_, true, true) | (_, false, false) => None,
        (Target::Agent, false, true) => Some(Relation::AssignedToMe),
        (Target::Agent, true, false) => Some(Relation::TakenFromMe),
        (Target::Group, false, true) => Some(Relation::AssignedToMyGroup),
        (Target::Group, true, false) => Some(Relation::TakenFromMyGroup),
    }
}

/// The most relevant assignment change, or why there is none.
fn pick<'c>(
    me: &Me<'_>,
    changes: &'c [Change],
    agent_field: &str,
    group_field: &str,
) -> Result<(Relation, &'c Change), Skip> {
    let mut any = false;
    let mut best: Option<(Relation, &Change)> = None;
    for c in changes {
        let target = if c.field == agent_field {
            Target::Agent
        } else if c.field == group_field {
            Target::Group
        } else {
            continue;
        };
        if c.old == c.new {
            continue;
        }
        any = true;
        if let Some(rel) = relation(me, target, c) {
            if best.is_none_or(|(b, _)| rel < b) {
                best = Some((rel, c));
            }
        }
    }
    match (best, any) {
        (Some(b), _) => Ok(b),
        (None, true) => Err(Skip::NotForMe),
        (None, false) => Err(Skip::NoAssignmentChange),
    }
}

/// `old → new` as a person reads it: names from the directory (or the
/// board), "you" for me, "nobody" for no one, and never a raw id.
fn describe(c: &Change, target: Target, me: &Me<'_>, locale: &Locale) -> String {
    let lookup = me.lookup();
    let side = |v: Option<String>| match (v, target) {
        (None, _) => locale.text(Msg::Nobody, &[]),
        (Some(id), Target::Agent) if me.is_known() && me.is_me(&id) => locale.text(Msg::You, &[]),
        (Some(id), Target::Agent) => lookup.agent_or_unknown(&id, locale),
        (Some(id), Target::Group) => lookup.group_or_unknown(&id, locale),
    };
    format!("{} → {}", side(c.old_text()), side(c.new_text()))
}

fn target_of(c: &Change, group_field: &str) -> Target {
    if c.field == group_field {
        Target::Group
    } else {
        Target::Agent
    }
}

fn occurrence(key: &str, c: &Change, when: Option<String>) -> String {
    format!(
        "reassigned:{key}:{}:{}:{}:{}",
        c.field,
        c.old,
        c.new,
        when.unwrap_or_default()
    )
}

pub fn ticket(ev: &DecodedEvent, t: &TicketEvent, ctx: &Context<'_>) -> Verdict {
    let ticket = &t.ticket;
    let (rel, change) = match pick(&ctx.me, &ticket.changes, "responder_id", "group_id") {
        Ok(found) => found,
        Err(skip) => return Verdict::Skip(skip),
    };
    let target = target_of(change, "group_id");
    let key = format!("ticket:{}:{}", scope(ev), ticket.id);
    let when = ticket.updated_at.0.or(ev.timestamp);
    Verdict::Notify(vec![Notification {
        kind: Kind::TicketReassigned,
        dedupe_key: occurrence(&key, change, when.map(|w| w.to_rfc3339())),
        title: ctx.locale.text(
            Msg::TicketReassigned,
            &[
                ("id", ticket.id.as_str().into()),
                ("relation", rel.key().into()),
            ],
        ),
        body: join([
            ticket.subject.as_deref().map(str::to_owned),
            Some(describe(change, target, &ctx.me, ctx.locale)),
        ]),
        url: urls::ticket(ev.domain.as_ref(), &ticket.id),
        urgency: Urgency::Normal,
        at: when,
        actions: Vec::new(),
        account: None,
        key,
    }])
}

pub fn chat(ev: &DecodedEvent, c: &ChatConversationEvent, ctx: &Context<'_>) -> Verdict {
    let (rel, change) = match pick(
        &ctx.me,
        &c.changes,
        "assigned_agent_id",
        "assigned_group_id",
    ) {
        Ok(found) => found,
        Err(skip) => return Verdict::Skip(skip),
    };
    let conv = &c.conversation;
    let id = conv.key().map(|i| i.to_string()).unwrap_or_default();
    let key = format!("chat:{}:{id}", scope(ev));
    let customer = c.user.as_ref().and_then(|u| u.display_name());
    let actor = c.actor.as_ref().and_then(|a| a.display_name());
    let target = target_of(change, "assigned_group_id");
    Verdict::Notify(vec![Notification {
        kind: Kind::ConversationReassigned,
        dedupe_key: occurrence(&key, change, ev.timestamp.map(|w| w.to_rfc3339())),
        title: match customer {
            Some(name) => ctx.locale.text(
                Msg::ConversationWithReassigned,
                &[("name", (&name).into()), ("relation", rel.key().into())],
            ),
            None => ctx.locale.text(
                Msg::ConversationReassigned,
                &[("relation", rel.key().into())],
            ),
        },
        body: join([
            actor.map(|a| ctx.locale.text(Msg::ReassignedBy, &[("name", (&a).into())])),
            Some(describe(change, target, &ctx.me, ctx.locale)),
        ]),
        url: conv.key().and_then(|cid| {
            urls::chat_conversation(
                ev.domain.as_ref(),
                conv.app_id.as_ref().or(ev.account_id.as_ref()),
                cid,
            )
        }),
        urgency: Urgency::Normal,
        at: ev.timestamp,
        actions: Vec::new(),
        account: None,
        key,
    }])
}
