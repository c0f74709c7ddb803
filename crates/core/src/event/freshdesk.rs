//! Freshdesk product events: tickets, ticket conversations (replies and
//! notes), contacts. Field tables come from the Freshdesk seed document.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use std::borrow::Cow;

use super::change::{self, Change};
use super::{DecodeError, EventName};
use crate::wire::{Code, Id, LenientTime, Str, Text};

/// `data.ticket` of `onTicketCreate` / `onTicketUpdate`. Its free text is
/// borrowed from the payload ([`Str`]).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Ticket<'a> {
    pub id: Id,
    #[serde(default, borrow)]
    pub subject: Option<Str<'a>>,
    #[serde(default)]
    pub status: Option<Code>,
    #[serde(default)]
    pub priority: Option<Code>,
    #[serde(default)]
    pub source: Option<Code>,
    #[serde(default, borrow, rename = "type")]
    pub ticket_type: Option<Str<'a>>,
    #[serde(default)]
    pub group_id: Option<Id>,
    #[serde(default)]
    pub responder_id: Option<Id>,
    #[serde(default)]
    pub requester_id: Option<Id>,
    #[serde(default, borrow)]
    pub tags: Option<Vec<Str<'a>>>,
    #[serde(default)]
    pub spam: Option<bool>,
    #[serde(default)]
    pub created_at: LenientTime,
    #[serde(default)]
    pub updated_at: LenientTime,
    /// When the first response is due (RFC 3339 with any offset, or epoch
    /// seconds; anything else reads as none).
    #[serde(default)]
    pub fr_due_by: LenientTime,
    /// When the resolution is due.
    #[serde(default)]
    pub due_by: LenientTime,
    /// Freshdesk escalated the ticket for a missed first response.
    #[serde(default)]
    pub fr_escalated: Option<bool>,
    /// `{field: [old, new]}`, normalised.
    #[serde(default, deserialize_with = "change::old_new")]
    pub changes: Vec<Change>,
}

impl Ticket<'_> {
    pub fn status(&self) -> Option<TicketStatus> {
        self.status.map(|c| TicketStatus::from_code(c.0))
    }

    pub fn priority(&self) -> Option<Priority> {
        self.priority.map(|c| Priority::from_code(c.0))
    }

    pub fn tags(&self) -> &[Str<'_>] {
        self.tags.as_deref().unwrap_or(&[])
    }

    pub fn into_owned(self) -> Ticket<'static> {
        Ticket {
            subject: self.subject.map(Str::into_owned),
            ticket_type: self.ticket_type.map(Str::into_owned),
            tags: self
                .tags
                .map(|tags| tags.into_iter().map(Str::into_owned).collect()),
            id: self.id,
            status: self.status,
            priority: self.priority,
            source: self.source,
            group_id: self.group_id,
            responder_id: self.responder_id,
            requester_id: self.requester_id,
            spam: self.spam,
            created_at: self.created_at,
            updated_at: self.updated_at,
            fr_due_by: self.fr_due_by,
            due_by: self.due_by,
            fr_escalated: self.fr_escalated,
            changes: self.changes,
        }
    }
}

/// `data.requester` next to a ticket.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Person {
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub name: Option<Text>,
    #[serde(default)]
    pub email: Option<Text>,
    #[serde(default)]
    pub phone: Option<Text>,
    #[serde(default)]
    pub mobile: Option<Text>,
}

/// A ticket event: the ticket and, when sent, its requester.
#[derive(Clone, Debug, Serialize)]
pub struct TicketEvent<'a> {
    pub ticket: Ticket<'a>,
    pub requester: Option<Person>,
}

impl TicketEvent<'_> {
    pub fn into_owned(self) -> TicketEvent<'static> {
        TicketEvent {
            ticket: self.ticket.into_owned(),
            requester: self.requester,
        }
    }
}

/// `data.conversation` of Freshdesk's `onConversationCreate`: a reply or a
/// note on a ticket (it always carries `ticket_id`).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct TicketConversation<'a> {
    pub id: Id,
    pub ticket_id: Id,
    #[serde(default, borrow)]
    pub body_text: Option<Str<'a>>,
    #[serde(default)]
    pub user_id: Option<Id>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub incoming: Option<bool>,
    #[serde(default)]
    pub source: Option<Code>,
    #[serde(default)]
    pub from_email: Option<Text>,
    #[serde(default, deserialize_with = "change::old_new")]
    pub changes: Vec<Change>,
}

impl TicketConversation<'_> {
    pub fn into_owned(self) -> TicketConversation<'static> {
        TicketConversation {
            body_text: self.body_text.map(Str::into_owned),
            id: self.id,
            ticket_id: self.ticket_id,
            user_id: self.user_id,
            private: self.private,
            incoming: self.incoming,
            source: self.source,
            from_email: self.from_email,
            changes: self.changes,
        }
    }
}

/// A contact event's `data.contact`, kept as sent (borrowed from the
/// payload). No rule reads contacts, so neither the relay nor the desktop
/// parses one; [`ContactEvent::contact`] does, on demand.
#[derive(Clone, Debug)]
pub struct ContactEvent<'a> {
    raw: Cow<'a, RawValue>,
}

impl<'a> ContactEvent<'a> {
    /// `data.contact` when it is an object: anything else is refused here as
    /// the models would refuse it, without reading further.
    pub(super) fn keep(name: &EventName, raw: Option<&'a RawValue>) -> Result<Self, DecodeError> {
        let raw = raw
            .filter(|r| r.get() != "null")
            .ok_or_else(|| DecodeError::MissingPart {
                event: name.as_str().to_owned(),
                part: "data.contact",
            })?;
        if !raw.get().starts_with('{') {
            return Err(DecodeError::BadField {
                path: "data.contact".into(),
                message: "expected an object".into(),
            });
        }
        Ok(Self {
            raw: Cow::Borrowed(raw),
        })
    }

    pub fn into_owned(self) -> ContactEvent<'static> {
        ContactEvent {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }

    /// The contact, read now; a field that is wrong is named by its path.
    pub fn contact(&self) -> Result<Contact, DecodeError> {
        super::raw::field::<Option<Contact>>("data.contact", Some(&self.raw))?.ok_or_else(|| {
            DecodeError::BadField {
                path: "data.contact".into(),
                message: "is null".into(),
            }
        })
    }

    pub fn raw(&self) -> &RawValue {
        &self.raw
    }
}

impl Serialize for ContactEvent<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// `data.contact` of `onContactCreate` / `onContactUpdate`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Contact {
    pub id: Id,
    #[serde(default)]
    pub name: Option<Text>,
    #[serde(default)]
    pub email: Option<Text>,
    #[serde(default)]
    pub phone: Option<Text>,
    #[serde(default)]
    pub mobile: Option<Text>,
    #[serde(default, deserialize_with = "change::old_new")]
    pub changes: Vec<Change>,
}

/// Ticket status; 6 and custom statuses exist, so the set is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Pending,
    Resolved,
    Closed,
    Unknown(i64),
}

impl TicketStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            2 => Self::Open,
            3 => Self::Pending,
            4 => Self::Resolved,
            5 => Self::Closed,
            other => Self::Unknown(other),
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Self::Open => 2,
            Self::Pending => 3,
            Self::Resolved => 4,
            Self::Closed => 5,
            Self::Unknown(code) => code,
        }
    }

    /// As the helpdesk names it; a custom status by its code.
    pub fn label(self) -> String {
        match self {
            Self::Open => "Open".into(),
            Self::Pending => "Pending".into(),
            Self::Resolved => "Resolved".into(),
            Self::Closed => "Closed".into(),
            Self::Unknown(code) => format!("status {code}"),
        }
    }
}

/// Ticket priority 1..4; anything else is kept as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
    Unknown(i64),
}

impl Priority {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Low,
            2 => Self::Medium,
            3 => Self::High,
            4 => Self::Urgent,
            other => Self::Unknown(other),
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Low => "Low".into(),
            Self::Medium => "Medium".into(),
            Self::High => "High".into(),
            Self::Urgent => "Urgent".into(),
            Self::Unknown(c) => format!("priority {c}"),
        }
    }
}

/// Ticket sources. The seed's table lost the names of 1, 5 and 6 (they were
/// icons); Freshdesk's API documents them as Email, Twitter and Facebook.
pub fn ticket_source_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "Email",
        2 => "Portal",
        3 => "Phone",
        5 => "Twitter",
        6 => "Facebook",
        7 => "Chat",
        8 => "Mobihelp",
        9 => "Feedback Widget",
        10 => "Outbound Email",
        _ => return None,
    })
}

/// Conversation (reply and note) sources from the seed.
pub fn conversation_source_name(code: i64) -> Option<&'static str> {
    Some(match code {
        0 => "Reply",
        2 => "Note",
        5 => "Tweet",
        6 => "Survey feedback",
        7 => "Facebook post",
        8 => "Forwarded email",
        9 => "Phone",
        10 => "Mobihelp",
        11 => "E-Commerce",
        _ => return None,
    })
}
