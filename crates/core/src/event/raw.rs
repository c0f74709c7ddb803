//! The `data` parts of every family, their assembly into typed events, and
//! the careful path. The fast path that feeds them is `envelope.rs`.

use serde::de::{self, IgnoredAny, MapAccess};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::agent::{Agent, AgentUpdate};
use super::change::{self, Change, PairOrder, RawChanges};
use super::envelope::Family;
use super::freshcaller::{Call, CallEvent, CallPlatform};
use super::freshchat::{Actor, ChatConversation, ChatConversationEvent};
use super::freshdesk::{ContactEvent, Person, Ticket, TicketConversation, TicketEvent};
use super::xelion::{XelionCall, XelionCallEvent};
use super::{DecodeError, DecodedEvent, Event, EventName};
use crate::wire::{Code, Domain, Id, LenientTime, Str, Text};

/// The `data` parts the families read. Only the event's own family's parts
/// are filled; `contact` stays the input's bytes.
#[derive(Default)]
pub(super) struct Data<'a> {
    ticket: Option<Box<Ticket<'a>>>,
    requester: Option<Box<Person>>,
    conversation: Option<Box<Conversation<'a>>>,
    contact: Option<&'a RawValue>,
    call: Option<Box<Call>>,
    phone_call: Option<Box<Call>>,
    agent: Option<Box<Agent>>,
    actor: Option<Box<Actor>>,
    associations: Option<Box<Associations>>,
    changes: Option<RawChanges>,
}

/// `data`'s keys; anything else is skipped unread.
#[derive(Clone, Copy)]
enum DataKey {
    Ticket,
    Requester,
    Conversation,
    Contact,
    Call,
    PhoneCall,
    Agent,
    Actor,
    Associations,
    Changes,
    Other,
}

impl<'de> Deserialize<'de> for DataKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = DataKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DataKey, E> {
                Ok(match v {
                    "ticket" => DataKey::Ticket,
                    "requester" => DataKey::Requester,
                    "conversation" => DataKey::Conversation,
                    "contact" => DataKey::Contact,
                    "call" => DataKey::Call,
                    "phone_call" => DataKey::PhoneCall,
                    "agent" => DataKey::Agent,
                    "actor" => DataKey::Actor,
                    "associations" => DataKey::Associations,
                    "changes" => DataKey::Changes,
                    _ => DataKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Reads `data`'s entries, building only what `family` uses. A part given
/// twice is an error, as a derived struct would say (the careful path then
/// decides).
pub(super) fn read_data<'de, A: MapAccess<'de>>(
    family: Family,
    map: &mut A,
) -> Result<Data<'de>, A::Error> {
    let mut data = Data::default();
    let mut seen = 0u16;
    while let Some(key) = map.next_key::<DataKey>()? {
        let wanted = family == Family::Any && !matches!(key, DataKey::Other)
            || matches!(
                (family, key),
                (Family::Ticket, DataKey::Ticket | DataKey::Requester)
                    | (
                        Family::Conversation,
                        DataKey::Conversation
                            | DataKey::Actor
                            | DataKey::Associations
                            | DataKey::Changes
                    )
                    | (Family::Contact, DataKey::Contact)
                    | (
                        Family::Call,
                        DataKey::Call | DataKey::PhoneCall | DataKey::Changes
                    )
                    | (Family::Agent, DataKey::Agent | DataKey::Changes)
            );
        if !wanted {
            map.next_value::<IgnoredAny>()?;
            continue;
        }
        let bit = 1u16 << (key as u16);
        if seen & bit != 0 {
            return Err(de::Error::custom("a data part is given twice"));
        }
        seen |= bit;
        match key {
            DataKey::Ticket => data.ticket = map.next_value()?,
            DataKey::Requester => data.requester = map.next_value()?,
            DataKey::Conversation => data.conversation = map.next_value()?,
            DataKey::Contact => data.contact = map.next_value()?,
            DataKey::Call => data.call = map.next_value()?,
            DataKey::PhoneCall => data.phone_call = map.next_value()?,
            DataKey::Agent => data.agent = map.next_value()?,
            DataKey::Actor => data.actor = map.next_value()?,
            DataKey::Associations => data.associations = map.next_value()?,
            DataKey::Changes => data.changes = map.next_value()?,
            DataKey::Other => {}
        }
    }
    Ok(data)
}

/// `data.conversation` as either product sends it: a Freshdesk reply/note
/// carries `ticket_id`; a Freshchat conversation does not.
#[derive(Default, Deserialize)]
struct Conversation<'a> {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default)]
    ticket_id: Option<Id>,
    #[serde(default, borrow)]
    body_text: Option<Str<'a>>,
    #[serde(default)]
    user_id: Option<Id>,
    #[serde(default)]
    private: Option<bool>,
    #[serde(default)]
    incoming: Option<bool>,
    #[serde(default)]
    source: Option<Code>,
    #[serde(default)]
    from_email: Option<Text>,
    #[serde(default, deserialize_with = "change::old_new")]
    changes: Vec<Change>,
    #[serde(default)]
    conversation_id: Option<Id>,
    #[serde(default)]
    app_id: Option<Id>,
    #[serde(default)]
    status: Option<Text>,
    #[serde(default)]
    assigned_agent_id: Option<Id>,
    #[serde(default)]
    assigned_group_id: Option<Id>,
    #[serde(default)]
    channel_id: Option<Id>,
}

#[derive(Default, Deserialize)]
struct Associations {
    #[serde(default)]
    user: Option<Actor>,
}

fn name_of(
    payload_event: &Option<Text>,
    events: &Option<Text>,
    notification_type: &Option<Text>,
) -> Option<EventName> {
    payload_event
        .as_ref()
        .or(events.as_ref())
        .or(notification_type.as_ref())
        .map(|t| EventName::parse(t.as_str()))
}

fn unknown<'a>(name: &str, text: &'a str) -> Result<Event<'a>, DecodeError> {
    // The payload kept whole, borrowed, for whoever wants it (the check
    // tool, the feed's detail view).
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| DecodeError::from_json(&e))?;
    Ok(Event::Unknown {
        name: name.to_owned(),
        raw: Cow::Borrowed(raw),
    })
}

fn missing(name: &EventName, part: &'static str) -> DecodeError {
    DecodeError::MissingPart {
        event: name.as_str().to_owned(),
        part,
    }
}

pub(super) fn assemble<'a>(
    name: &EventName,
    data: Data<'a>,
    oid: Option<Id>,
    notification: Option<Box<XelionCall>>,
    text: &'a str,
) -> Result<Event<'a>, DecodeError> {
    Ok(match name {
        EventName::OnTicketCreate | EventName::OnTicketUpdate => {
            let ticket = *data.ticket.ok_or_else(|| missing(name, "data.ticket"))?;
            let ev = TicketEvent {
                ticket,
                requester: data.requester.map(|r| *r),
            };
            if *name == EventName::OnTicketCreate {
                Event::TicketCreated(ev)
            } else {
                Event::TicketUpdated(ev)
            }
        }
        EventName::OnConversationCreate | EventName::OnConversationUpdate => {
            let c = data
                .conversation
                .ok_or_else(|| missing(name, "data.conversation"))?;
            let created = *name == EventName::OnConversationCreate;
            match c.ticket_id {
                Some(ticket_id) => {
                    let conv = TicketConversation {
                        id: c.id.ok_or_else(|| missing(name, "data.conversation.id"))?,
                        ticket_id,
                        body_text: c.body_text,
                        user_id: c.user_id,
                        private: c.private,
                        incoming: c.incoming,
                        source: c.source,
                        from_email: c.from_email,
                        changes: c.changes,
                    };
                    if created {
                        Event::TicketConversationCreated(conv)
                    } else {
                        Event::TicketConversationUpdated(conv)
                    }
                }
                None => {
                    let ev = ChatConversationEvent {
                        conversation: ChatConversation {
                            conversation_id: c.conversation_id,
                            id: c.id,
                            app_id: c.app_id,
                            status: c.status,
                            assigned_agent_id: c.assigned_agent_id,
                            assigned_group_id: c.assigned_group_id,
                            channel_id: c.channel_id,
                        },
                        actor: data.actor.map(|a| *a),
                        user: data.associations.and_then(|a| a.user),
                        changes: data
                            .changes
                            .unwrap_or_default()
                            .normalise(PairOrder::OldNew),
                    };
                    if created {
                        Event::ChatConversationCreated(ev)
                    } else {
                        Event::ChatConversationUpdated(ev)
                    }
                }
            }
        }
        EventName::OnContactCreate | EventName::OnContactUpdate => {
            let contact = ContactEvent::keep(name, data.contact)?;
            if *name == EventName::OnContactCreate {
                Event::ContactCreated(contact)
            } else {
                Event::ContactUpdated(contact)
            }
        }
        EventName::OnCallCreate
        | EventName::OnCallUpdate
        | EventName::OnPhoneCallCreate
        | EventName::OnPhoneCallUpdate => {
            // Accept either object under either name: the platforms were seen
            // to mix them during migration.
            let (call, platform) = match (data.phone_call, data.call) {
                (Some(c), _) => (*c, CallPlatform::PhoneCall),
                (None, Some(c)) => (*c, CallPlatform::Call),
                (None, None) => {
                    let part = match name {
                        EventName::OnPhoneCallCreate | EventName::OnPhoneCallUpdate => {
                            "data.phone_call"
                        }
                        _ => "data.call",
                    };
                    return Err(missing(name, part));
                }
            };
            let ev = CallEvent {
                call,
                platform,
                changes: data
                    .changes
                    .unwrap_or_default()
                    .normalise(PairOrder::NewOld),
            };
            match name {
                EventName::OnCallCreate | EventName::OnPhoneCallCreate => Event::CallCreated(ev),
                _ => Event::CallUpdated(ev),
            }
        }
        EventName::OnAgentUpdate => {
            let agent = *data.agent.ok_or_else(|| missing(name, "data.agent"))?;
            let changes = data
                .changes
                .unwrap_or_default()
                .normalise(PairOrder::OldNew);
            Event::AgentUpdated(AgentUpdate { agent, changes })
        }
        EventName::Xelion(kind) => {
            let call = *notification.ok_or_else(|| missing(name, "notification"))?;
            Event::Xelion(XelionCallEvent {
                kind: kind.clone(),
                oid,
                call,
            })
        }
        EventName::Unknown(n) => unknown(n, text)?,
    })
}

/// The careful path: envelope first with `data` kept raw, then only the parts
/// this event needs, each parsed with its path tracked for the error message.
pub(super) fn decode_carefully(bytes: &[u8]) -> Result<DecodedEvent<'_>, DecodeError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(default)]
        account_id: Option<&'a RawValue>,
        #[serde(default)]
        domain: Option<&'a RawValue>,
        #[serde(default)]
        event: Option<&'a RawValue>,
        #[serde(default)]
        events: Option<&'a RawValue>,
        #[serde(default)]
        timestamp: Option<&'a RawValue>,
        #[serde(default, borrow)]
        data: Option<BTreeMap<String, &'a RawValue>>,
        #[serde(default, rename = "notificationType")]
        notification_type: Option<&'a RawValue>,
        #[serde(default)]
        oid: Option<&'a RawValue>,
        #[serde(default)]
        notification: Option<&'a RawValue>,
    }

    let whole: &RawValue = serde_json::from_slice(bytes).map_err(|e| DecodeError::from_json(&e))?;
    if !whole.get().trim_start().starts_with('{') {
        return Err(DecodeError::NotAnObject);
    }
    // The payload's text, without the whitespace around it.
    let text = whole.get();
    let env: Envelope = serde_json::from_slice(bytes).map_err(|e| bad("", &e))?;

    let event = field::<Option<Text>>("event", env.event)?;
    let events = field::<Option<Text>>("events", env.events)?;
    let ntype = field::<Option<Text>>("notificationType", env.notification_type)?;
    let name = name_of(&event, &events, &ntype).ok_or(DecodeError::NoEventName)?;
    if let EventName::Unknown(n) = &name {
        // Unknown names keep everything; the rest of the envelope is best effort.
        return Ok(DecodedEvent {
            account_id: field::<Option<Id>>("account_id", env.account_id)
                .ok()
                .flatten(),
            domain: field::<Option<Text>>("domain", env.domain)
                .ok()
                .flatten()
                .and_then(|d| Domain::parse(d.as_str())),
            timestamp: field::<LenientTime>("timestamp", env.timestamp)
                .ok()
                .and_then(|t| t.0),
            event: unknown(n, text)?,
            name,
        });
    }

    let raw_data = env.data.unwrap_or_default();
    let part = |key: &'static str| raw_data.get(key).copied();
    let mut data = Data::default();
    match &name {
        EventName::OnTicketCreate | EventName::OnTicketUpdate => {
            data.ticket = field("data.ticket", part("ticket"))?;
            data.requester = field("data.requester", part("requester"))?;
        }
        EventName::OnConversationCreate | EventName::OnConversationUpdate => {
            data.conversation = field("data.conversation", part("conversation"))?;
            data.actor = field("data.actor", part("actor"))?;
            data.associations = field("data.associations", part("associations"))?;
            data.changes = field("data.changes", part("changes"))?;
        }
        EventName::OnContactCreate | EventName::OnContactUpdate => {
            data.contact = part("contact");
        }
        EventName::OnCallCreate
        | EventName::OnCallUpdate
        | EventName::OnPhoneCallCreate
        | EventName::OnPhoneCallUpdate => {
            data.call = field("data.call", part("call"))?;
            data.phone_call = field("data.phone_call", part("phone_call"))?;
            data.changes = field("data.changes", part("changes"))?;
        }
        EventName::OnAgentUpdate => {
            data.agent = field("data.agent", part("agent"))?;
            data.changes = field("data.changes", part("changes"))?;
        }
        EventName::Xelion(_) | EventName::Unknown(_) => {}
    }
    let notification = match &name {
        EventName::Xelion(_) => field("notification", env.notification)?,
        _ => None,
    };
    let oid = field::<Option<Id>>("oid", env.oid).ok().flatten();
    let event = assemble(&name, data, oid, notification, text)?;
    Ok(DecodedEvent {
        account_id: field("account_id", env.account_id)?,
        domain: field::<Option<Text>>("domain", env.domain)?
            .and_then(|d| Domain::parse(d.as_str())),
        timestamp: field::<LenientTime>("timestamp", env.timestamp)?.0,
        event,
        name,
    })
}

/// Parses one raw part, naming its full path when it is wrong.
pub(super) fn field<'a, T: Deserialize<'a> + Default>(
    path: &str,
    raw: Option<&'a RawValue>,
) -> Result<T, DecodeError> {
    let Some(raw) = raw else {
        return Ok(T::default());
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(super::objects::Objects(&mut de)).map_err(|e| {
        let inner = e.path().to_string();
        let full = match (path.is_empty(), inner.as_str()) {
            (true, p) => p.to_owned(),
            (false, ".") => path.to_owned(),
            (false, p) => format!("{path}.{p}"),
        };
        bad(&full, e.inner())
    })
}

fn bad(path: &str, err: &serde_json::Error) -> DecodeError {
    let message = err.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    DecodeError::BadField {
        path: if path.is_empty() {
            "payload".into()
        } else {
            path.into()
        },
        message,
    }
}

/// Reads only the event name: `event`, `events` or `notificationType`.
pub(super) fn peek_name(bytes: &[u8]) -> Option<EventName> {
    #[derive(Deserialize)]
    struct Names<'a> {
        #[serde(default, borrow)]
        event: Option<std::borrow::Cow<'a, str>>,
        #[serde(default, borrow)]
        events: Option<std::borrow::Cow<'a, str>>,
        #[serde(default, borrow, rename = "notificationType")]
        notification_type: Option<std::borrow::Cow<'a, str>>,
    }
    let n: Names = serde_json::from_slice(bytes).ok()?;
    n.event
        .or(n.events)
        .or(n.notification_type)
        .map(|s| EventName::parse(&s))
}
