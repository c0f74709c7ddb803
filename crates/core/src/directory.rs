//! Who is who: the helpdesk's agents and groups by name, as the relay reads
//! them from Freshworks' REST APIs (Freshdesk agents and groups, Freshcaller
//! users and teams) and sends them on the stream as a `directory` event
//! (docs/stream-protocol.md). Rules and the board still match ids; this is
//! only where an id becomes something an agent can read.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::board::Board;
use crate::l10n::{Locale, Msg};

/// The product an entry comes from, an open set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    Freshdesk,
    Freshcaller,
    Freshchat,
    #[serde(untagged)]
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryAgent {
    pub product: Product,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_ids: Vec<String>,
}

/// A Freshdesk group or a Freshcaller team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryGroup {
    pub product: Product,
    pub id: String,
    pub name: String,
}

/// One helpdesk's directory, as the `directory` event carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    #[serde(default)]
    pub agents: Vec<DirectoryAgent>,
    #[serde(default)]
    pub groups: Vec<DirectoryGroup>,
}

#[derive(Debug, thiserror::Error)]
#[error("the directory does not decode: {0}")]
pub struct DirectoryError(#[from] serde_json::Error);

impl DirectoryError {
    pub fn code(&self) -> &'static str {
        "directory_malformed"
    }
}

impl Directory {
    pub fn from_json(data: &str) -> Result<Directory, DirectoryError> {
        Ok(serde_json::from_str(data)?)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty() && self.groups.is_empty()
    }
}

/// Names by id, merged from every account's directory: what the rules, the
/// board and the window read. Ids are unique across Freshworks' products in
/// practice (numbers of different ranges, UUIDs for Freshchat); where two
/// entries share one, the first account's wins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    agents: HashMap<String, String>,
    emails: HashMap<String, String>,
    groups: HashMap<String, String>,
    /// Every group with a name, for the Rules tab's picker, by name.
    listed: Vec<DirectoryGroup>,
}

impl Names {
    pub fn from_directories<'a>(dirs: impl IntoIterator<Item = &'a Directory>) -> Names {
        let mut names = Names::default();
        for dir in dirs {
            for a in &dir.agents {
                if let Some(name) = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    names
                        .agents
                        .entry(a.id.clone())
                        .or_insert_with(|| visible(name));
                }
                if let Some(email) = &a.email {
                    names
                        .emails
                        .entry(a.id.clone())
                        .or_insert_with(|| email.to_ascii_lowercase());
                }
            }
            for g in &dir.groups {
                let name = g.name.trim();
                if name.is_empty() || names.groups.contains_key(&g.id) {
                    continue;
                }
                let name = visible(name);
                names.groups.insert(g.id.clone(), name.clone());
                names.listed.push(DirectoryGroup { name, ..g.clone() });
            }
        }
        names.listed.sort_by_key(|g| g.name.to_lowercase());
        names
    }

    pub fn agent(&self, id: &str) -> Option<&str> {
        self.agents.get(id).map(String::as_str)
    }

    pub fn email(&self, id: &str) -> Option<&str> {
        self.emails.get(id).map(String::as_str)
    }

    pub fn group(&self, id: &str) -> Option<&str> {
        self.groups.get(id).map(String::as_str)
    }

    /// Every named group, sorted by name.
    pub fn groups(&self) -> &[DirectoryGroup] {
        &self.listed
    }
}

/// One of my agent ids, in the product that gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyAgent {
    pub product: Product,
    pub id: String,
}

/// One of my groups (Freshdesk group, Freshcaller team), named where the
/// directory or the team's state names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyGroup {
    pub product: Product,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Who a relay token belongs to: what `GET /v1/me` answers and the stream's
/// `me` event carries (docs/stream-protocol.md). The token is bound to an
/// email by `deskbell-relay token add NAME --email EMAIL`; the agent ids and
/// groups are those of the directory's agents and the team's rows with that
/// email. An unbound token knows only its name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// The token's name, as the relay's admin gave it.
    pub name: String,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub agents: Vec<MyAgent>,
    #[serde(default)]
    pub groups: Vec<MyGroup>,
}

impl WhoAmI {
    /// Matches `email` (any case) against the directory and the team's
    /// state (`onAgentUpdate` payloads; what does not decode is skipped).
    pub fn resolve<'a>(
        name: &str,
        email: Option<&str>,
        directory: &Directory,
        team: impl IntoIterator<Item = &'a str>,
    ) -> WhoAmI {
        let mut me = WhoAmI {
            name: name.to_owned(),
            ..WhoAmI::default()
        };
        let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
            return me;
        };
        me.emails.push(email.to_ascii_lowercase());
        let group_name = |product: &Product, id: &str| {
            directory
                .groups
                .iter()
                .find(|g| &g.product == product && g.id == id)
                .map(|g| visible(&g.name))
        };
        for a in &directory.agents {
            if !a
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
            {
                continue;
            }
            me.add_agent(a.product.clone(), &a.id);
            for g in &a.group_ids {
                me.add_group(a.product.clone(), g, group_name(&a.product, g));
            }
        }
        for data in team {
            let Ok(crate::event::DecodedEvent {
                event: crate::event::Event::AgentUpdated(update),
                ..
            }) = crate::event::decode(data.as_bytes())
            else {
                continue;
            };
            let agent = &update.agent;
            if !agent.email().is_some_and(|e| e.eq_ignore_ascii_case(email)) {
                continue;
            }
            // Freshdesk's agent carries `contact` and `available`;
            // Freshcaller's a numeric `status` and `teams`.
            let product = if agent.contact.is_some() || agent.available.is_some() {
                Product::Freshdesk
            } else {
                Product::Freshcaller
            };
            if let Some(id) = agent.key() {
                me.add_agent(product.clone(), &id.to_string());
            }
            for t in agent.teams() {
                let id = t.id.to_string();
                let named = t
                    .name
                    .map(|n| visible(n.as_str()))
                    .filter(|n| !n.trim().is_empty())
                    .or_else(|| group_name(&product, &id));
                me.add_group(product.clone(), &id, named);
            }
        }
        me
    }

    fn add_agent(&mut self, product: Product, id: &str) {
        if !self.agents.iter().any(|a| a.id == id) {
            self.agents.push(MyAgent {
                product,
                id: id.to_owned(),
            });
        }
    }

    fn add_group(&mut self, product: Product, id: &str, name: Option<String>) {
        match self.groups.iter_mut().find(|g| g.id == id) {
            Some(known) => {
                if known.name.is_none() {
                    known.name = name;
                }
            }
            None => self.groups.push(MyGroup {
                product,
                id: id.to_owned(),
                name,
            }),
        }
    }

    pub fn from_json(data: &str) -> Result<WhoAmI, DirectoryError> {
        Ok(serde_json::from_str(data)?)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// As the rules read "me".
    pub fn identity(&self) -> crate::rules::Identity {
        crate::rules::Identity {
            agent_ids: self.agents.iter().map(|a| a.id.clone()).collect(),
            emails: self.emails.clone(),
            group_ids: self.groups.iter().map(|g| g.id.clone()).collect(),
        }
    }
}

/// Names come from the helpdesk's admins and agents: shown as they read,
/// with no direction controls to reorder them.
fn visible(name: &str) -> String {
    crate::notification::visible_text(name).into_owned()
}

/// The directory with the board behind it: an agent the directory does not
/// name may still have said its name in an `onAgentUpdate`.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    pub names: &'a Names,
    pub board: &'a Board,
}

impl Lookup<'_> {
    pub fn agent(&self, id: &str) -> Option<String> {
        self.names
            .agent(id)
            .map(str::to_owned)
            .or_else(|| self.board.name_of(id).map(str::to_owned))
    }

    pub fn group(&self, id: &str) -> Option<String> {
        self.names.group(id).map(str::to_owned)
    }

    /// An agent as a person reads it: the name, or "an agent not in the
    /// directory" (never the raw id).
    pub fn agent_or_unknown(&self, id: &str, locale: &Locale) -> String {
        self.agent(id)
            .unwrap_or_else(|| locale.text(Msg::UnknownAgent, &[]))
    }

    pub fn group_or_unknown(&self, id: &str, locale: &Locale) -> String {
        self.group(id)
            .unwrap_or_else(|| locale.text(Msg::UnknownGroup, &[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_products_keep_their_name_and_names_merge_first_wins() {
        let a = Directory::from_json(
            r#"{"agents":[{"product":"freshdesk","id":"1","name":"Ann","email":"Ann@X.example"},{"product":"freshsales","id":"9","name":" "}],
                "groups":[{"product":"freshdesk","id":"7","name":"Billing"},{"product":"freshcaller","id":"8","name":"apac"}]}"#,
        )
        .unwrap();
        assert_eq!(a.agents[1].product, Product::Unknown("freshsales".into()));
        let b = Directory::from_json(
            r#"{"groups":[{"product":"freshdesk","id":"7","name":"Other"}],"extra":1}"#,
        )
        .unwrap();
        let names = Names::from_directories([&a, &b]);
        assert_eq!(names.agent("1"), Some("Ann"));
        assert_eq!(names.email("1"), Some("ann@x.example"));
        assert_eq!(names.agent("9"), None, "a blank name is no name");
        assert_eq!(names.group("7"), Some("Billing"));
        let listed: Vec<_> = names.groups().iter().map(|g| g.name.as_str()).collect();
        assert_eq!(listed, ["apac", "Billing"]);
        // Round trip: what the relay writes, the desktop reads.
        assert_eq!(Directory::from_json(&a.to_json()).unwrap(), a);
    }

    #[test]
    fn garbage_is_an_error_with_a_code() {
        let e = Directory::from_json("[1,2]").unwrap_err();
        assert_eq!(e.code(), "directory_malformed");
        let lookup = Lookup {
            names: &Names::default(),
            board: &Board::default(),
        };
        assert_eq!(
            lookup.agent_or_unknown("2823233e-7122", &Locale::english()),
            "an agent not in the directory"
        );
    }
}
