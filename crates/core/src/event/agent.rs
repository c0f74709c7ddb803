//! `onAgentUpdate`: Freshcaller's agent (status, available_on, teams) and
//! Freshdesk's agent (available, group_ids, contact) decode to one model.

use serde::{Deserialize, Serialize};

use super::change::Change;
use super::freshdesk::Person;
use crate::wire::{Code, Id, LenientTime, Text, Timestamp};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Agent {
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub user_id: Option<Id>,
    #[serde(default)]
    pub name: Option<Text>,
    #[serde(default)]
    pub email: Option<Text>,
    /// Freshcaller: 0 offline or custom, 1 online, 2 busy, 3 after-call work.
    #[serde(default)]
    pub status: Option<Code>,
    /// Freshcaller: 0 none, 1 browser, 2 mobile.
    #[serde(default)]
    pub available_on: Option<Code>,
    #[serde(default)]
    pub browser_status_name: Option<Text>,
    #[serde(default)]
    pub common_status_name: Option<Text>,
    #[serde(default)]
    pub logged_in: Option<bool>,
    #[serde(default)]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub teams: Option<Vec<Team>>,
    #[serde(default)]
    pub last_status_change_at: LenientTime,
    /// Freshdesk shape: `available`, `group_ids`, `contact`.
    #[serde(default)]
    pub available: Option<bool>,
    #[serde(default)]
    pub group_ids: Option<Vec<Id>>,
    #[serde(default)]
    pub contact: Option<Person>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Team {
    pub id: Id,
    #[serde(default)]
    pub name: Option<Text>,
}

/// An agent's status, an open set: custom statuses keep their name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum AgentStatus {
    Online,
    Busy,
    AfterCallWork,
    Offline,
    /// Status 0 with a custom name ("Away", "In a meeting").
    Custom(String),
    Unknown(i64),
}

impl AgentStatus {
    pub fn label(&self) -> String {
        match self {
            Self::Online => "Online".into(),
            Self::Busy => "Busy".into(),
            Self::AfterCallWork => "After-call work".into(),
            Self::Offline => "Offline".into(),
            Self::Custom(name) => name.clone(),
            Self::Unknown(code) => format!("status {code}"),
        }
    }

    /// As the agent's language says it; a custom status by its own name.
    pub fn label_in(&self, l: &crate::l10n::Locale) -> String {
        use crate::l10n::Msg;
        match self {
            Self::Online => l.text(Msg::StatusOnline, &[]),
            Self::Busy => l.text(Msg::StatusBusy, &[]),
            Self::AfterCallWork => l.text(Msg::StatusAfterCallWork, &[]),
            Self::Offline => l.text(Msg::StatusOffline, &[]),
            Self::Custom(name) => name.clone(),
            Self::Unknown(code) => l.text(Msg::StatusUnknown, &[("code", (*code).into())]),
        }
    }

    /// On a call or wrapping one up: the "hold while I am on a call" states.
    pub fn is_on_call(&self) -> bool {
        matches!(self, Self::Busy | Self::AfterCallWork)
    }
}

/// Where an agent takes calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailableOn {
    Nowhere,
    Browser,
    Mobile,
    Unknown(i64),
}

impl AvailableOn {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Nowhere,
            1 => Self::Browser,
            2 => Self::Mobile,
            other => Self::Unknown(other),
        }
    }
}

impl Agent {
    /// The board's key: Freshcaller's agent `id`, else the user id.
    pub fn key(&self) -> Option<&Id> {
        self.id.as_ref().or(self.user_id.as_ref())
    }

    pub fn display_name(&self) -> Option<String> {
        self.name
            .as_ref()
            .or(self.contact.as_ref().and_then(|c| c.name.as_ref()))
            .map(|t| t.to_string())
    }

    pub fn email(&self) -> Option<&str> {
        self.email
            .as_ref()
            .or(self.contact.as_ref().and_then(|c| c.email.as_ref()))
            .map(|t| t.as_str())
    }

    pub fn status(&self) -> Option<AgentStatus> {
        if let Some(Code(code)) = self.status {
            return Some(match code {
                1 => AgentStatus::Online,
                2 => AgentStatus::Busy,
                3 => AgentStatus::AfterCallWork,
                0 => {
                    let name = self
                        .browser_status_name
                        .as_ref()
                        .or(self.common_status_name.as_ref())
                        .map(|t| t.as_str().trim())
                        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("offline"));
                    match name {
                        Some(n) => AgentStatus::Custom(n.to_owned()),
                        None => AgentStatus::Offline,
                    }
                }
                other => AgentStatus::Unknown(other),
            });
        }
        // Freshdesk's agent has only `available`.
        self.available.map(|a| {
            if a {
                AgentStatus::Online
            } else {
                AgentStatus::Offline
            }
        })
    }

    pub fn available_on(&self) -> Option<AvailableOn> {
        self.available_on.map(|c| AvailableOn::from_code(c.0))
    }

    pub fn teams(&self) -> Vec<Team> {
        if let Some(teams) = &self.teams {
            return teams.clone();
        }
        self.group_ids
            .iter()
            .flatten()
            .map(|id| Team {
                id: id.clone(),
                name: None,
            })
            .collect()
    }

    pub fn status_since(&self) -> Option<Timestamp> {
        self.last_status_change_at.0
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct AgentUpdate {
    pub agent: Agent,
    pub changes: Vec<Change>,
}
