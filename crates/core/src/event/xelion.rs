//! Xelion PBX WebSocket notifications:
//! `{"notificationType": ..., "oid": ..., "notification": {CallEvent}}`.

use serde::{Deserialize, Serialize};

use crate::wire::{Id, LenientTime, Text};

/// The CallEvent object; every field is optional on the wire in practice.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct XelionCall {
    #[serde(default)]
    pub call_id: Option<Id>,
    #[serde(default)]
    pub date: LenientTime,
    #[serde(default)]
    pub initiation: Option<Text>,
    #[serde(default)]
    pub caller_phone_number: Option<Text>,
    #[serde(default)]
    pub caller_user: Option<Text>,
    #[serde(default)]
    pub caller_flow_id: Option<Text>,
    #[serde(default)]
    pub callee_phone_number: Option<Text>,
    #[serde(default)]
    pub callee_user: Option<Text>,
    #[serde(default)]
    pub callee_flow_id: Option<Text>,
    #[serde(default)]
    pub duration: Option<Text>,
}

/// The call notification types; others are kept by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum XelionKind {
    NewCallEvent,
    CallConnectedEvent,
    CallHungUpEvent,
    MissedCallEvent,
    ChannelHungUpEvent,
}

impl XelionKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "newCallEvent" => Self::NewCallEvent,
            "callConnectedEvent" => Self::CallConnectedEvent,
            "callHungUpEvent" => Self::CallHungUpEvent,
            "missedCallEvent" => Self::MissedCallEvent,
            "channelHungUpEvent" => Self::ChannelHungUpEvent,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NewCallEvent => "newCallEvent",
            Self::CallConnectedEvent => "callConnectedEvent",
            Self::CallHungUpEvent => "callHungUpEvent",
            Self::MissedCallEvent => "missedCallEvent",
            Self::ChannelHungUpEvent => "channelHungUpEvent",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct XelionCallEvent {
    pub kind: XelionKind,
    pub oid: Option<Id>,
    pub call: XelionCall,
}
