use std::fmt;

use serde::{Serialize, Serializer};

use super::xelion::XelionKind;

/// The event names Deskbell knows; any other is kept as `Unknown`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventName {
    OnTicketCreate,
    OnTicketUpdate,
    OnConversationCreate,
    OnConversationUpdate,
    OnContactCreate,
    OnContactUpdate,
    OnCallCreate,
    OnCallUpdate,
    OnPhoneCallCreate,
    OnPhoneCallUpdate,
    OnAgentUpdate,
    Xelion(XelionKind),
    Unknown(String),
}

impl EventName {
    pub fn parse(name: &str) -> Self {
        match name {
            "onTicketCreate" => Self::OnTicketCreate,
            "onTicketUpdate" => Self::OnTicketUpdate,
            "onConversationCreate" => Self::OnConversationCreate,
            "onConversationUpdate" => Self::OnConversationUpdate,
            "onContactCreate" => Self::OnContactCreate,
            "onContactUpdate" => Self::OnContactUpdate,
            "onCallCreate" => Self::OnCallCreate,
            "onCallUpdate" => Self::OnCallUpdate,
            "onPhoneCallCreate" => Self::OnPhoneCallCreate,
            "onPhoneCallUpdate" => Self::OnPhoneCallUpdate,
            "onAgentUpdate" => Self::OnAgentUpdate,
            other => match XelionKind::parse(other) {
                Some(kind) => Self::Xelion(kind),
                None => Self::Unknown(other.to_owned()),
            },
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::OnTicketCreate => "onTicketCreate",
            Self::OnTicketUpdate => "onTicketUpdate",
            Self::OnConversationCreate => "onConversationCreate",
            Self::OnConversationUpdate => "onConversationUpdate",
            Self::OnContactCreate => "onContactCreate",
            Self::OnContactUpdate => "onContactUpdate",
            Self::OnCallCreate => "onCallCreate",
            Self::OnCallUpdate => "onCallUpdate",
            Self::OnPhoneCallCreate => "onPhoneCallCreate",
            Self::OnPhoneCallUpdate => "onPhoneCallUpdate",
            Self::OnAgentUpdate => "onAgentUpdate",
            Self::Xelion(kind) => kind.as_str(),
            Self::Unknown(name) => name,
        }
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which product an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    Freshdesk,
    Freshcaller,
    Freshchat,
    Xelion,
    Unknown,
}
