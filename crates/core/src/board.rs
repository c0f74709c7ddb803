//! The team's live agent-status board, fed by every `onAgentUpdate`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::event::agent::{AgentStatus, AgentUpdate, AvailableOn, Team};
use crate::wire::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentRow {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub status: AgentStatus,
    pub available_on: Option<AvailableOn>,
    pub teams: Vec<Team>,
    /// Since when the agent is in `status`.
    pub since: Option<Timestamp>,
    /// When the board last heard of the agent (the update's own time, else
    /// when it arrived): a state not heard of for long may no longer hold.
    #[serde(default)]
    pub heard_at: Option<Timestamp>,
}

/// What one update did to the board.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoardChange {
    pub agent_id: String,
    pub previous: Option<AgentStatus>,
    pub status: AgentStatus,
    pub since: Option<Timestamp>,
    pub removed: bool,
}

impl BoardChange {
    pub fn status_changed(&self) -> bool {
        !self.removed && self.previous.as_ref() != Some(&self.status)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Board {
    rows: BTreeMap<String, AgentRow>,
    /// Agent id or user id to lower-cased email, for identity by email.
    emails: HashMap<String, String>,
    /// The payload's own time of each row's last update: an older one that
    /// arrives later (a retry, the team's state from the relay) never wins.
    stamped: HashMap<String, Timestamp>,
}

impl Board {
    /// Applies an update seen at `at` (the event's time, else now). Returns
    /// `None` when the update names no agent.
    pub fn apply(&mut self, update: &AgentUpdate, at: Option<Timestamp>) -> Option<BoardChange> {
        let agent = &update.agent;
        let id = agent.key()?.to_string();
        if let Some(email) = agent.email() {
            let email = email.to_ascii_lowercase();
            for alias in [agent.id.as_ref(), agent.user_id.as_ref()]
                .into_iter()
                .flatten()
            {
                self.emails.insert(alias.to_string(), email.clone());
            }
        }
        let previous = self.rows.get(&id).cloned();
        if agent.deleted == Some(true) {
            self.rows.remove(&id);
            return Some(BoardChange {
                agent_id: id,
                previous: previous.map(|p| p.status),
                status: AgentStatus::Offline,
                since: at,
                removed: true,
            });
        }
        let status = agent
            .status()
            .or_else(|| previous.as_ref().map(|p| p.status.clone()))
            .unwrap_or(AgentStatus::Offline);
        let prev_status = previous.as_ref().map(|p| p.status.clone());
        let since = agent.status_since().or_else(|| match &previous {
            Some(p) if p.status == status => p.since,
            _ => at,
        });
        // Names come from the helpdesk's users: shown as they read, with no
        // direction controls to reorder them.
        let visible = |s: &str| crate::notification::visible_text(s).into_owned();
        let teams: Vec<Team> = agent
            .teams()
            .into_iter()
            .map(|mut t| {
                if let Some(name) = &t.name {
                    t.name = Some(visible(name.as_str()).into());
                }
                t
            })
            .collect();
        let row = AgentRow {
            id: id.clone(),
            name: agent
                .display_name()
                .map(|n| visible(&n))
                .or_else(|| previous.as_ref().and_then(|p| p.name.clone())),
            email: agent
                .email()
                .map(visible)
                .or_else(|| previous.as_ref().and_then(|p| p.email.clone())),
            status: status.clone(),
            available_on: agent
                .available_on()
                .or_else(|| previous.as_ref().and_then(|p| p.available_on.clone())),
            teams: if teams.is_empty() {
                previous.map(|p| p.teams).unwrap_or_default()
            } else {
                teams
            },
            since,
            heard_at: at,
        };
        self.rows.insert(id.clone(), row);
        Some(BoardChange {
            agent_id: id,
            previous: prev_status,
            status,
            since,
            removed: false,
        })
    }

    /// Applies an update whose payload says it happened at `stamp`, unless
    /// the row already holds a later one; without a stamp, at `now`.
    pub fn apply_in_order(
        &mut self,
        update: &AgentUpdate,
        stamp: Option<Timestamp>,
        now: Timestamp,
    ) -> Option<BoardChange> {
        let id = update.agent.key()?.to_string();
        if let (Some(stamp), Some(held)) = (stamp, self.stamped.get(&id)) {
            if stamp.0 < held.0 {
                return None;
            }
        }
        let change = self.apply(update, stamp.or(Some(now)))?;
        if let Some(stamp) = stamp {
            self.stamped.insert(id, stamp);
        }
        Some(change)
    }

    pub fn email_of(&self, agent_id: &str) -> Option<&str> {
        self.emails.get(agent_id).map(String::as_str)
    }

    /// The name an agent's own update gave, if any.
    pub fn name_of(&self, agent_id: &str) -> Option<&str> {
        self.rows.get(agent_id).and_then(|r| r.name.as_deref())
    }

    pub fn get(&self, agent_id: &str) -> Option<&AgentRow> {
        self.rows.get(agent_id)
    }

    pub fn rows(&self) -> impl Iterator<Item = &AgentRow> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The status of the first row `is_me` accepts.
    pub fn status_of(&self, mut is_me: impl FnMut(&AgentRow) -> bool) -> Option<&AgentStatus> {
        self.rows.values().find(|r| is_me(r)).map(|r| &r.status)
    }
}
