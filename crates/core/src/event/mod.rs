//! Decoding: payload bytes to a typed [`DecodedEvent`]. The envelope (event
//! name, account, domain, timestamp) is read first, then the family payload.
//! Where each family is decoded: `freshdesk.rs`, `freshcaller.rs`,
//! `freshchat.rs`, `agent.rs`, `xelion.rs`; changes in `change.rs`.

pub mod agent;
pub mod change;
mod envelope;
mod error;
pub mod freshcaller;
pub mod freshchat;
pub mod freshdesk;
mod name;
mod objects;
mod raw;
pub mod xelion;

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;

pub use change::Change;
pub use error::DecodeError;
pub use name::{EventName, Product};

use crate::wire::{Domain, Id, Timestamp};

/// A decoded payload: envelope fields plus the typed event. Its free text
/// (subjects, bodies, tags, a contact or an unknown event kept whole) is
/// borrowed from the payload's bytes; [`DecodedEvent::into_owned`] for an
/// event kept past them.
#[derive(Clone, Debug, Serialize)]
pub struct DecodedEvent<'a> {
    pub name: EventName,
    pub account_id: Option<Id>,
    pub domain: Option<Domain>,
    /// The envelope's `timestamp`, when sent.
    pub timestamp: Option<Timestamp>,
    pub event: Event<'a>,
}

impl DecodedEvent<'_> {
    /// The same event owning all its text.
    pub fn into_owned(self) -> DecodedEvent<'static> {
        DecodedEvent {
            name: self.name,
            account_id: self.account_id,
            domain: self.domain,
            timestamp: self.timestamp,
            event: self.event.into_owned(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum Event<'a> {
    TicketCreated(freshdesk::TicketEvent<'a>),
    TicketUpdated(freshdesk::TicketEvent<'a>),
    TicketConversationCreated(freshdesk::TicketConversation<'a>),
    TicketConversationUpdated(freshdesk::TicketConversation<'a>),
    ContactCreated(freshdesk::ContactEvent<'a>),
    ContactUpdated(freshdesk::ContactEvent<'a>),
    CallCreated(freshcaller::CallEvent),
    CallUpdated(freshcaller::CallEvent),
    ChatConversationCreated(freshchat::ChatConversationEvent),
    ChatConversationUpdated(freshchat::ChatConversationEvent),
    AgentUpdated(agent::AgentUpdate),
    Xelion(xelion::XelionCallEvent),
    /// An event name we do not model: kept whole, never an error.
    Unknown {
        name: String,
        #[serde(skip)]
        raw: Cow<'a, RawValue>,
    },
}

impl Event<'_> {
    pub fn into_owned(self) -> Event<'static> {
        match self {
            Event::TicketCreated(t) => Event::TicketCreated(t.into_owned()),
            Event::TicketUpdated(t) => Event::TicketUpdated(t.into_owned()),
            Event::TicketConversationCreated(c) => Event::TicketConversationCreated(c.into_owned()),
            Event::TicketConversationUpdated(c) => Event::TicketConversationUpdated(c.into_owned()),
            Event::ContactCreated(c) => Event::ContactCreated(c.into_owned()),
            Event::ContactUpdated(c) => Event::ContactUpdated(c.into_owned()),
            Event::CallCreated(c) => Event::CallCreated(c),
            Event::CallUpdated(c) => Event::CallUpdated(c),
            Event::ChatConversationCreated(c) => Event::ChatConversationCreated(c),
            Event::ChatConversationUpdated(c) => Event::ChatConversationUpdated(c),
            Event::AgentUpdated(a) => Event::AgentUpdated(a),
            Event::Xelion(x) => Event::Xelion(x),
            Event::Unknown { name, raw } => Event::Unknown {
                name,
                raw: Cow::Owned(raw.into_owned()),
            },
        }
    }

    pub fn product(&self) -> Product {
        match self {
            Event::TicketCreated(_)
            | Event::TicketUpdated(_)
            | Event::TicketConversationCreated(_)
            | Event::TicketConversationUpdated(_)
            | Event::ContactCreated(_)
            | Event::ContactUpdated(_) => Product::Freshdesk,
            Event::CallCreated(_) | Event::CallUpdated(_) | Event::AgentUpdated(_) => {
                Product::Freshcaller
            }
            Event::ChatConversationCreated(_) | Event::ChatConversationUpdated(_) => {
                Product::Freshchat
            }
            Event::Xelion(_) => Product::Xelion,
            Event::Unknown { .. } => Product::Unknown,
        }
    }
}

/// Decodes one payload (a Freshworks product event or a Xelion WebSocket
/// notification). Unknown event names are `Event::Unknown`, not errors.
pub fn decode(bytes: &[u8]) -> Result<DecodedEvent<'_>, DecodeError> {
    match envelope::decode(bytes) {
        Ok(event) => Ok(event),
        Err(Some(err)) => Err(err),
        // The one-pass parse met a shape it did not expect somewhere. The
        // careful path reads only the parts this event needs, and names the
        // field when one of those is wrong.
        Err(None) => raw::decode_carefully(bytes),
    }
}

/// The fast path alone: `None` where it would hand the payload to the
/// careful path. For tests that hold the fast path to be taken.
#[doc(hidden)]
pub fn decode_fast_path(bytes: &[u8]) -> Option<Result<DecodedEvent<'_>, DecodeError>> {
    match envelope::decode(bytes) {
        Ok(event) => Some(Ok(event)),
        Err(Some(err)) => Some(Err(err)),
        Err(None) => None,
    }
}

/// The careful path alone: slower, and the reference the fast path is held
/// to (same event, same error, for any input).
pub fn decode_carefully(bytes: &[u8]) -> Result<DecodedEvent<'_>, DecodeError> {
    raw::decode_carefully(bytes)
}

/// Reads just the event name, cheaply: for filtering before a full parse.
pub fn peek_name(bytes: &[u8]) -> Option<EventName> {
    raw::peek_name(bytes)
}
