//! Freshchat conversations: `onConversationCreate` / `onConversationUpdate`
//! whose changes are in `data.changes.model_changes` as `[old, new]`.

use serde::{Deserialize, Serialize};

use super::change::Change;
use crate::wire::{Id, Text};

/// `data.conversation` in the Freshchat shape.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatConversation {
    #[serde(default)]
    pub conversation_id: Option<Id>,
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub app_id: Option<Id>,
    #[serde(default)]
    pub status: Option<Text>,
    #[serde(default)]
    pub assigned_agent_id: Option<Id>,
    #[serde(default)]
    pub assigned_group_id: Option<Id>,
    #[serde(default)]
    pub channel_id: Option<Id>,
}

impl ChatConversation {
    pub fn key(&self) -> Option<&Id> {
        self.conversation_id.as_ref().or(self.id.as_ref())
    }
}

/// Who did it: `data.actor`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Actor {
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default, rename = "type")]
    pub actor_type: Option<Text>,
    #[serde(default)]
    pub name: Option<Text>,
    #[serde(default)]
    pub first_name: Option<Text>,
    #[serde(default)]
    pub last_name: Option<Text>,
    #[serde(default)]
    pub email: Option<Text>,
}

impl Actor {
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = &self.name {
            return Some(n.to_string());
        }
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(|t| t.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            self.email.as_ref().map(|e| e.to_string())
        } else {
            Some(parts.join(" "))
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ChatConversationEvent {
    pub conversation: ChatConversation,
    pub actor: Option<Actor>,
    /// The customer, from `data.associations.user` when sent.
    pub user: Option<Actor>,
    pub changes: Vec<Change>,
}
