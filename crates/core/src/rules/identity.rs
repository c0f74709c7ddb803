use serde::{Deserialize, Serialize};

use crate::board::Board;
use crate::directory::{Lookup, Names};

/// Who "me" is: agent ids (Freshdesk, Freshcaller, Freshchat) and emails.
/// Emails match an id through the board, which learns each agent's email
/// from `onAgentUpdate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Identity {
    pub agent_ids: Vec<String>,
    pub emails: Vec<String>,
    /// Groups (Freshdesk groups, Freshchat groups) whose assignments are mine.
    pub group_ids: Vec<String>,
}

impl Identity {
    /// `--me` values: an `@` makes an email, anything else an agent id.
    pub fn from_strings(values: &[String]) -> Identity {
        let mut id = Identity::default();
        for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            if v.contains('@') {
                id.emails.push(v.to_ascii_lowercase());
            } else {
                id.agent_ids.push(v.to_owned());
            }
        }
        id
    }

    /// What the agent typed, field by field, over what the relay said
    /// (`crate::directory::WhoAmI`): a typed field wins, an empty one
    /// takes the relay's.
    pub fn over(&self, learned: &Identity) -> Identity {
        let pick = |typed: &Vec<String>, learned: &Vec<String>| {
            if typed.is_empty() {
                learned.clone()
            } else {
                typed.clone()
            }
        };
        Identity {
            agent_ids: pick(&self.agent_ids, &learned.agent_ids),
            emails: pick(&self.emails, &learned.emails),
            group_ids: pick(&self.group_ids, &learned.group_ids),
        }
    }

    /// Several accounts' identities as one, in order, without repeats.
    pub fn merged<'a>(all: impl IntoIterator<Item = &'a Identity>) -> Identity {
        let mut out = Identity::default();
        for id in all {
            for (into, from) in [
                (&mut out.agent_ids, &id.agent_ids),
                (&mut out.emails, &id.emails),
                (&mut out.group_ids, &id.group_ids),
            ] {
                for v in from {
                    if !into.contains(v) {
                        into.push(v.clone());
                    }
                }
            }
        }
        out
    }

    pub fn is_known(&self) -> bool {
        !(self.agent_ids.is_empty() && self.emails.is_empty() && self.group_ids.is_empty())
    }
}

/// The identity resolved against the board and the directory.
#[derive(Clone, Copy)]
pub struct Me<'a> {
    pub identity: &'a Identity,
    pub board: &'a Board,
    pub names: &'a Names,
}

impl Me<'_> {
    pub fn is_me(&self, agent_id: &str) -> bool {
        if self.identity.agent_ids.iter().any(|id| id == agent_id) {
            return true;
        }
        match self
            .board
            .email_of(agent_id)
            .or_else(|| self.names.email(agent_id))
        {
            Some(email) => self
                .identity
                .emails
                .iter()
                .any(|e| e.eq_ignore_ascii_case(email)),
            None => false,
        }
    }

    pub fn is_my_group(&self, group_id: &str) -> bool {
        self.identity.group_ids.iter().any(|g| g == group_id)
    }

    pub fn is_known(&self) -> bool {
        self.identity.is_known()
    }

    /// Names for the ids an event carries.
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            names: self.names,
            board: self.board,
        }
    }
}
