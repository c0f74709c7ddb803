//! The fast path: one `serde_json` pass over a payload, envelope first.
//!
//! The event name decides which `data` parts are read at all (the
//! [`Family`]); every other part is skipped by the parser without being
//! built. Freshworks sends `event` before `data`; when a payload does not
//! (one Freshdesk sample, anything re-serialised with sorted keys), `data`
//! is read for every family, which costs nothing extra for a payload that
//! carries only its own family's parts.
//!
//! The input is checked to be UTF-8 once, whole, so serde_json's string
//! reader need not check every key again; strings are borrowed from it
//! where nothing has to own them (names, the domain before it is
//! normalised). Anything this path does not expect goes to the careful path
//! (`raw::decode_carefully`), which names the field that is wrong: both give
//! the same event for the same input, and a property test holds them to it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::objects::Objects;
use super::raw::{self, Data};
use super::xelion::XelionCall;
use super::{DecodeError, DecodedEvent, EventName};
use crate::wire::{Domain, Id, LenientTime, TextVisitor};

/// The `data` parts an event reads, by its name. Contacts read none: no rule
/// looks at one, so `data.contact` is kept raw (see `ContactEvent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    Ticket,
    Conversation,
    Contact,
    Call,
    Agent,
    /// Xelion (its call is `notification`, outside `data`) and unknown names.
    Nothing,
    /// `data` came before any name: every family's parts.
    Any,
}

impl Family {
    pub(super) fn of(name: &EventName) -> Self {
        match name {
            EventName::OnTicketCreate | EventName::OnTicketUpdate => Self::Ticket,
            EventName::OnConversationCreate | EventName::OnConversationUpdate => Self::Conversation,
            EventName::OnContactCreate | EventName::OnContactUpdate => Self::Contact,
            EventName::OnCallCreate
            | EventName::OnCallUpdate
            | EventName::OnPhoneCallCreate
            | EventName::OnPhoneCallUpdate => Self::Call,
            EventName::OnAgentUpdate => Self::Agent,
            EventName::Xelion(_) | EventName::Unknown(_) => Self::Nothing,
        }
    }
}

/// Decodes on the fast path; `Err(None)` sends the payload to the careful
/// path, `Err(Some(_))` is the answer.
pub(super) fn decode(bytes: &[u8]) -> Result<DecodedEvent<'_>, Option<DecodeError>> {
    // Not UTF-8: the careful path says where, as serde_json does.
    let text = std::str::from_utf8(bytes).map_err(|_| None)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let env = match Envelope::deserialize(Objects(&mut de)).and_then(|env| de.end().map(|()| env)) {
        Ok(env) => env,
        Err(err) if err.is_syntax() || err.is_eof() => {
            return Err(Some(DecodeError::from_json(&err)))
        }
        Err(_) => return Err(None),
    };
    let name = best([
        env.event.as_ref(),
        env.events.as_ref(),
        env.notification_type.as_ref(),
    ])
    .ok_or(Some(DecodeError::NoEventName))?;
    let family = Family::of(&name);
    let data = match env.data {
        DataPart::Absent => Data::default(),
        DataPart::Read(data, read_as) if read_as == family || read_as == Family::Any => data,
        // Read for a name a later key overrode: rare enough to go careful.
        DataPart::Read(..) => return Err(None),
    };
    let notification = match (&name, env.notification) {
        (EventName::Xelion(_), Notification::Read(call)) => call,
        (EventName::Xelion(_), Notification::Raw(raw)) => {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            Option::<Box<XelionCall>>::deserialize(Objects(&mut de)).map_err(|_| None)?
        }
        // Skipped for a name a later key overrode.
        (EventName::Xelion(_), Notification::Skipped) => return Err(None),
        _ => None,
    };
    let event = raw::assemble(&name, data, env.oid, notification, text).map_err(Some)?;
    Ok(DecodedEvent {
        name,
        account_id: env.account_id,
        domain: env.domain.as_ref().and_then(|d| Domain::parse(&d.0)),
        timestamp: env.timestamp.0,
        event,
    })
}

/// Xelion's `notification`: read when the name before it is a Xelion one
/// (Xelion sends `notificationType` first), kept raw when no name came
/// before it, skipped otherwise.
enum Notification<'a> {
    Read(Option<Box<XelionCall>>),
    Raw(&'a RawValue),
    Skipped,
}

/// How far the envelope got with `data`.
enum DataPart<'a> {
    Absent,
    /// Read for the family of the name known then (or `Any`).
    Read(Data<'a>, Family),
}

struct Envelope<'a> {
    account_id: Option<Id>,
    domain: Option<Name<'a>>,
    event: Option<Name<'a>>,
    events: Option<Name<'a>>,
    notification_type: Option<Name<'a>>,
    timestamp: LenientTime,
    data: DataPart<'a>,
    oid: Option<Id>,
    notification: Notification<'a>,
}

/// The event name by its precedence: `event`, else `events` (the Freshdesk
/// contact samples), else Xelion's `notificationType`. Used while the
/// envelope is read (for the names seen so far) and once it is.
fn best(names: [Option<&Name<'_>>; 3]) -> Option<EventName> {
    names
        .into_iter()
        .flatten()
        .next()
        .map(|n| EventName::parse(&n.0))
}

/// A key's value once seen, `None` for absent or `null`.
fn seen<T>(slot: &Option<Option<T>>) -> Option<&T> {
    slot.as_ref().and_then(Option::as_ref)
}

/// An event name (or the domain) as sent: borrowed from the input unless it
/// had escapes; a number is kept as its digits, as `Text` does.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Borrows a plain string; anything else is read as `Text` reads it,
        /// so both paths name an event alike.
        struct V;
        const TEXT: TextVisitor = TextVisitor("text (string or number)");
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                TEXT.expecting(f)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                TEXT.visit_str(v).map(Name::owned)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                TEXT.visit_u64(v).map(Name::owned)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                TEXT.visit_i64(v).map(Name::owned)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                TEXT.visit_f64(v).map(Name::owned)
            }
        }
        d.deserialize_any(V)
    }
}

impl Name<'_> {
    fn owned(text: compact_str::CompactString) -> Self {
        Name(Cow::Owned(text.into()))
    }
}

/// The envelope's keys; anything else is skipped unread.
enum Key {
    AccountId,
    Domain,
    Event,
    Events,
    NotificationType,
    Timestamp,
    Data,
    Oid,
    Notification,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "account_id" => Key::AccountId,
                    "domain" => Key::Domain,
                    "event" => Key::Event,
                    "events" => Key::Events,
                    "notificationType" => Key::NotificationType,
                    "timestamp" => Key::Timestamp,
                    "data" => Key::Data,
                    "oid" => Key::Oid,
                    "notification" => Key::Notification,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Sets a field once; a repeated key is an error (derived structs say the
/// same), which sends the payload to the careful path.
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, key: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(key));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a payload object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<'de>, A::Error> {
                // `Option<Option<_>>`: a key seen with `null` still counts
                // as seen, for the duplicate check.
                let mut account_id: Option<Option<Id>> = None;
                let mut domain: Option<Option<Name<'de>>> = None;
                let mut event: Option<Option<Name<'de>>> = None;
                let mut events: Option<Option<Name<'de>>> = None;
                let mut notification_type: Option<Option<Name<'de>>> = None;
                let mut timestamp: Option<LenientTime> = None;
                let mut data: Option<DataPart<'de>> = None;
                let mut oid: Option<Option<Id>> = None;
                let mut notification: Option<Notification<'de>> = None;
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::AccountId => once(&mut account_id, map.next_value()?, "account_id")?,
                        Key::Domain => once(&mut domain, map.next_value()?, "domain")?,
                        Key::Event => once(&mut event, map.next_value()?, "event")?,
                        Key::Events => once(&mut events, map.next_value()?, "events")?,
                        Key::NotificationType => once(
                            &mut notification_type,
                            map.next_value()?,
                            "notificationType",
                        )?,
                        Key::Timestamp => once(&mut timestamp, map.next_value()?, "timestamp")?,
                        Key::Data => {
                            let family =
                                best([seen(&event), seen(&events), seen(&notification_type)])
                                    .map_or(Family::Any, |n| Family::of(&n));
                            let part =
                                DataPart::Read(map.next_value_seed(DataSeed(family))?, family);
                            once(&mut data, part, "data")?;
                        }
                        Key::Notification => {
                            let part =
                                match best([seen(&event), seen(&events), seen(&notification_type)])
                                {
                                    Some(EventName::Xelion(_)) => {
                                        Notification::Read(map.next_value()?)
                                    }
                                    None => match map.next_value::<Option<&'de RawValue>>()? {
                                        Some(raw) => Notification::Raw(raw),
                                        None => Notification::Read(None),
                                    },
                                    Some(_) => {
                                        map.next_value::<IgnoredAny>()?;
                                        Notification::Skipped
                                    }
                                };
                            once(&mut notification, part, "notification")?;
                        }
                        Key::Oid => once(&mut oid, map.next_value()?, "oid")?,
                        Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Envelope {
                    account_id: account_id.flatten(),
                    domain: domain.flatten(),
                    event: event.flatten(),
                    events: events.flatten(),
                    notification_type: notification_type.flatten(),
                    timestamp: timestamp.unwrap_or_default(),
                    data: data.unwrap_or(DataPart::Absent),
                    oid: oid.flatten(),
                    notification: notification.unwrap_or(Notification::Read(None)),
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// `data`, reading only the parts of one family; `null` reads as empty.
pub(super) struct DataSeed(pub(super) Family);

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = Data<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Data<'de>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for DataSeed {
    type Value = Data<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Data")
    }

    fn visit_none<E: de::Error>(self) -> Result<Data<'de>, E> {
        Ok(Data::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Data<'de>, D::Error> {
        d.deserialize_map(DataVisitor(self.0))
    }
}

struct DataVisitor(Family);

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Data")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data<'de>, A::Error> {
        raw::read_data(self.0, &mut map)
    }
}
