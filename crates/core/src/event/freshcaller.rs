//! Freshcaller (Contact Center) calls: `onCallCreate`/`onCallUpdate` with
//! `data.call`, and the platform-3 `onPhoneCallCreate`/`onPhoneCallUpdate`
//! with `data.phone_call`. Both decode to one [`Call`].

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::change::Change;
use crate::wire::{Code, Id, LenientTime, Text};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Call {
    pub id: Id,
    /// The first call of a transfer chain; the key for "one notification per call".
    #[serde(default)]
    pub root_call_id: Option<Id>,
    #[serde(default)]
    pub parent_call_id: Option<Id>,
    #[serde(default)]
    pub direction: Option<Direction>,
    /// The Freshcaller number the call came in on or went out from.
    #[serde(default)]
    pub phone_number: Option<Text>,
    #[serde(default)]
    pub assigned_agent_id: Option<Id>,
    #[serde(default)]
    pub assigned_agent_name: Option<Text>,
    #[serde(default)]
    pub participants: Option<Vec<Participant>>,
    #[serde(default)]
    pub created_time: LenientTime,
    #[serde(default)]
    pub updated_time: LenientTime,
}

impl Call {
    /// The id every event of one call shares: `root_call_id`, else `id`.
    pub fn call_key(&self) -> &Id {
        self.root_call_id.as_ref().unwrap_or(&self.id)
    }

    pub fn participants(&self) -> &[Participant] {
        self.participants.as_deref().unwrap_or(&[])
    }

    pub fn customer(&self) -> Option<&Participant> {
        self.participants()
            .iter()
            .find(|p| matches!(p.participant_type, Some(ParticipantType::Customer)))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Participant {
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub participant_id: Option<Id>,
    #[serde(default)]
    pub participant_type: Option<ParticipantType>,
    #[serde(default)]
    pub caller_number: Option<Text>,
    #[serde(default)]
    pub caller_name: Option<Text>,
    /// Outcome code: see `rules::missed_call::CallStatusTable`.
    #[serde(default)]
    pub call_status: Option<Code>,
}

/// "Customer" or "Agent"; others are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ParticipantType {
    Customer,
    Agent,
    Unknown(String),
}

impl<'de> Deserialize<'de> for ParticipantType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::wire::Text::deserialize(d)?;
        Ok(match s.as_str().to_ascii_lowercase().as_str() {
            "customer" => Self::Customer,
            "agent" => Self::Agent,
            _ => Self::Unknown(s.as_str().to_owned()),
        })
    }
}

/// Call direction: a string ("incoming", "outgoing") or an integer code.
/// Integer codes are mapped by the configurable call table, never guessed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Incoming,
    Outgoing,
    Code(i64),
    Unknown(String),
}

impl<'de> Deserialize<'de> for Direction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Direction;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a call direction (string or integer)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Direction, E> {
                Ok(Direction::Code(v.min(i64::MAX as u64) as i64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Direction, E> {
                Ok(Direction::Code(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Direction, E> {
                Ok(match v.trim().to_ascii_lowercase().as_str() {
                    "incoming" | "inbound" => Direction::Incoming,
                    "outgoing" | "outbound" => Direction::Outgoing,
                    _ => Direction::Unknown(v.to_owned()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A call event with its normalised changes (`[new, old]` on the wire).
#[derive(Clone, Debug, Serialize)]
pub struct CallEvent {
    pub call: Call,
    /// `phone_call` (platform 3) or `call` (older platform).
    pub platform: CallPlatform,
    pub changes: Vec<Change>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallPlatform {
    Call,
    PhoneCall,
}
