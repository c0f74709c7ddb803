//! The part of the rules the window edits: the new-ticket filters, quiet
//! hours per weekday, "hold while on a call", and who "me" is (which "only
//! mine", "only my teams" and "reassigned to me" read). The page's JSON is
//! parsed with the failing field named, checked, then applied to the
//! agent's `Rules` and `Identity`. Subscriptions and do-not-disturb have
//! their own commands, shared with the tray.
//!
//! The UI checks the same things as the agent types (ui/src/rules.ts); the
//! cases both must agree on are files in tests/fixtures/rules-edit/.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Identity, Rules, TicketFilter};
use crate::event::freshdesk::ticket_source_name;
use crate::schedule::{Day, TimeRange, TimeRangeError};

/// Entries per list (groups, tags, ranges in a day): far beyond real use,
/// small enough that a runaway page cannot bloat the config.
pub const MAX_ENTRIES: usize = 100;
/// Characters in one type or tag.
pub const MAX_TEXT: usize = 100;
/// The highest ticket status number taken (custom statuses count up from 6).
pub const MAX_STATUS: i64 = 10_000;

/// The editable rules as the page sends and receives them. Quiet-hour
/// ranges stay text here so a bad one is reported with its day, not as a
/// shapeless parse error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesEdit {
    pub new_ticket: TicketFilter,
    /// `{"mon": ["18:00-08:00"]}`; days without quiet hours may be absent.
    pub quiet_hours: BTreeMap<Day, Vec<String>>,
    pub hold_while_on_call: bool,
    /// My agent ids, emails and groups.
    pub me: Identity,
}

/// A `RulesEdit` that passed every check, normalised (trimmed, no repeats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidRulesEdit {
    new_ticket: TicketFilter,
    quiet_hours: BTreeMap<Day, Vec<TimeRange>>,
    hold_while_on_call: bool,
    me: Identity,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RulesEditError {
    #[error("{field}: {message}")]
    Malformed { field: String, message: String },
    #[error("the minimum priority is 1 (Low) to 4 (Urgent), not {0}")]
    Priority(u8),
    #[error("group ids are numbers, like 43000012345; {0:?} is not")]
    Group(String),
    #[error("a ticket type is 1 to {MAX_TEXT} characters; {0:?} is not")]
    Type(String),
    #[error("ticket source {0} is not one Freshdesk has")]
    Source(i64),
    #[error("ticket status {0} is not one Freshdesk has (2 Open, 3 Pending, 4 Resolved, 5 Closed, or a custom status's number)")]
    Status(i64),
    #[error("a tag is 1 to {MAX_TEXT} characters without commas; {0:?} is not")]
    Tag(String),
    #[error("quiet hours on {day}: {source}")]
    QuietHours { day: Day, source: TimeRangeError },
    #[error("{field}: at most {MAX_ENTRIES} entries")]
    TooMany { field: String },
    #[error("an agent id is 1 to 64 characters without spaces or commas; {0:?} is not")]
    AgentId(String),
    #[error("{0:?} is not an email address")]
    Email(String),
    #[error("group ids are numbers, like 43000012345, or a Freshchat group's id, like 2f4c5e1a-0b3d-4e6f-8a9b-1c2d3e4f5a6b; {0:?} is neither")]
    MyGroup(String),
}

impl RulesEditError {
    /// Stable codes the UI can show and test against.
    pub fn code(&self) -> &'static str {
        match self {
            RulesEditError::Malformed { .. } => "rules_malformed",
            RulesEditError::Priority(_) => "rules_priority",
            RulesEditError::Group(_) => "rules_group",
            RulesEditError::Type(_) => "rules_type",
            RulesEditError::Source(_) => "rules_source",
            RulesEditError::Status(_) => "rules_status",
            RulesEditError::Tag(_) => "rules_tag",
            RulesEditError::QuietHours { .. } => "rules_quiet_hours",
            RulesEditError::TooMany { .. } => "rules_too_many",
            RulesEditError::AgentId(_) => "rules_agent_id",
            RulesEditError::Email(_) => "rules_email",
            RulesEditError::MyGroup(_) => "rules_group",
        }
    }

    /// The field at fault, as the page names its inputs:
    /// `new_ticket.groups`, `quiet_hours.mon`.
    pub fn field(&self) -> String {
        match self {
            RulesEditError::Malformed { field, .. } | RulesEditError::TooMany { field } => {
                field.clone()
            }
            RulesEditError::Priority(_) => "new_ticket.min_priority".into(),
            RulesEditError::Group(_) => "new_ticket.groups".into(),
            RulesEditError::Type(_) => "new_ticket.types".into(),
            RulesEditError::Source(_) => "new_ticket.sources".into(),
            RulesEditError::Status(_) => "new_ticket.statuses".into(),
            RulesEditError::Tag(_) => "new_ticket.tags".into(),
            RulesEditError::QuietHours { day, .. } => format!("quiet_hours.{}", day.as_str()),
            RulesEditError::AgentId(_) => "me.agent_ids".into(),
            RulesEditError::Email(_) => "me.emails".into(),
            RulesEditError::MyGroup(_) => "me.group_ids".into(),
        }
    }
}

impl Default for RulesEdit {
    fn default() -> Self {
        RulesEdit::of(&Rules::default(), &Identity::default())
    }
}

impl RulesEdit {
    /// The editable part of `rules` and `me`, as the page shows it.
    pub fn of(rules: &Rules, me: &Identity) -> RulesEdit {
        RulesEdit {
            new_ticket: rules.new_ticket.clone(),
            quiet_hours: rules
                .schedule
                .quiet_hours
                .iter()
                .map(|(day, ranges)| (*day, ranges.iter().map(|r| r.to_string()).collect()))
                .collect(),
            hold_while_on_call: rules.schedule.hold_while_on_call,
            me: me.clone(),
        }
    }

    /// Reads the page's JSON; a wrong shape names its field.
    pub fn from_json(value: serde_json::Value) -> Result<RulesEdit, RulesEditError> {
        serde_path_to_error::deserialize(value).map_err(|e| RulesEditError::Malformed {
            field: e.path().to_string(),
            message: e.into_inner().to_string(),
        })
    }

    /// Every check, first failure reported; the result is trimmed and has
    /// no repeated entries.
    pub fn validate(&self) -> Result<ValidRulesEdit, RulesEditError> {
        let f = &self.new_ticket;
        if let Some(p) = f.min_priority {
            if !(1..=4).contains(&p) {
                return Err(RulesEditError::Priority(p));
            }
        }
        let groups = texts("new_ticket.groups", &f.groups, |g| {
            group_id(g).ok_or_else(|| RulesEditError::Group(g.to_owned()))
        })?;
        let types = texts("new_ticket.types", &f.types, |t| {
            plain_text(t, false).ok_or_else(|| RulesEditError::Type(t.to_owned()))
        })?;
        let tags = texts("new_ticket.tags", &f.tags, |t| {
            plain_text(t, true).ok_or_else(|| RulesEditError::Tag(t.to_owned()))
        })?;
        let mut statuses = Vec::new();
        too_many("new_ticket.statuses", f.statuses.len())?;
        for s in &f.statuses {
            // 2..5 are Freshdesk's own; custom statuses are numbered from 6.
            if !(2..=MAX_STATUS).contains(s) {
                return Err(RulesEditError::Status(*s));
            }
            if !statuses.contains(s) {
                statuses.push(*s);
            }
        }
        let mut sources = Vec::new();
        too_many("new_ticket.sources", f.sources.len())?;
        for s in &f.sources {
            if ticket_source_name(*s).is_none() {
                return Err(RulesEditError::Source(*s));
            }
            if !sources.contains(s) {
                sources.push(*s);
            }
        }
        let me = Identity {
            agent_ids: texts("me.agent_ids", &self.me.agent_ids, |a| {
                let ok = (1..=64).contains(&a.chars().count())
                    && !a
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == ',');
                ok.then_some(())
                    .ok_or_else(|| RulesEditError::AgentId(a.to_owned()))
            })?,
            // Stored lower-case: the board compares emails that way.
            emails: texts("me.emails", &self.me.emails, |e| {
                email(e).ok_or_else(|| RulesEditError::Email(e.to_owned()))
            })?
            .into_iter()
            .map(|e| e.to_ascii_lowercase())
            .collect(),
            group_ids: texts("me.group_ids", &self.me.group_ids, |g| {
                my_group_id(g).ok_or_else(|| RulesEditError::MyGroup(g.to_owned()))
            })?,
        };
        let mut quiet_hours = BTreeMap::new();
        for (day, ranges) in &self.quiet_hours {
            too_many(&format!("quiet_hours.{}", day.as_str()), ranges.len())?;
            let mut parsed = Vec::new();
            for r in ranges.iter().filter(|r| !r.trim().is_empty()) {
                let range = TimeRange::parse(r)
                    .map_err(|source| RulesEditError::QuietHours { day: *day, source })?;
                if !parsed.contains(&range) {
                    parsed.push(range);
                }
            }
            if !parsed.is_empty() {
                quiet_hours.insert(*day, parsed);
            }
        }
        Ok(ValidRulesEdit {
            new_ticket: TicketFilter {
                statuses,
                min_priority: f.min_priority,
                groups,
                types,
                sources,
                tags,
                only_mine: f.only_mine,
            },
            quiet_hours,
            hold_while_on_call: self.hold_while_on_call,
            me,
        })
    }
}

impl ValidRulesEdit {
    /// Replaces the edited parts of `rules` and `me`; subscriptions, the
    /// call table and do-not-disturb are left as they are.
    pub fn apply_to(&self, rules: &mut Rules, me: &mut Identity) {
        rules.new_ticket = self.new_ticket.clone();
        rules.schedule.quiet_hours = self.quiet_hours.clone();
        rules.schedule.hold_while_on_call = self.hold_while_on_call;
        *me = self.me.clone();
    }
}

fn too_many(field: &str, len: usize) -> Result<(), RulesEditError> {
    if len > MAX_ENTRIES {
        return Err(RulesEditError::TooMany {
            field: field.to_owned(),
        });
    }
    Ok(())
}

/// Trims each entry, checks it, and drops repeats (case-insensitively: the
/// filters compare that way).
fn texts(
    field: &str,
    entries: &[String],
    check: impl Fn(&str) -> Result<(), RulesEditError>,
) -> Result<Vec<String>, RulesEditError> {
    too_many(field, entries.len())?;
    let mut out: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.trim();
        check(entry)?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(entry)) {
            out.push(entry.to_owned());
        }
    }
    Ok(out)
}

fn group_id(g: &str) -> Option<()> {
    (!g.is_empty() && g.len() <= 20 && g.bytes().all(|b| b.is_ascii_digit())).then_some(())
}

/// My groups are tickets' groups (numbers) or Freshchat's, whose ids are
/// UUIDs: "assigned to your group" for conversations reads those.
fn my_group_id(g: &str) -> Option<()> {
    group_id(g).or_else(|| uuid(g))
}

fn uuid(g: &str) -> Option<()> {
    let parts: Vec<&str> = g.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    (parts.len() == 5
        && parts
            .iter()
            .zip(lens)
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit())))
    .then_some(())
}

/// One `@` with text on both sides, no spaces: what a person can mistype,
/// not RFC 5322.
fn email(e: &str) -> Option<()> {
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',');
    ok.then_some(())
}

fn plain_text(s: &str, no_commas: bool) -> Option<()> {
    let bad = s.is_empty()
        || s.chars().count() > MAX_TEXT
        || s.chars().any(char::is_control)
        || (no_commas && s.contains(','));
    (!bad).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(json: serde_json::Value) -> RulesEdit {
        RulesEdit::from_json(json).unwrap()
    }

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "new_ticket": {"min_priority": null, "groups": [], "types": [], "sources": [], "tags": [], "only_mine": false},
            "quiet_hours": {},
            "hold_while_on_call": true,
            "me": {"agent_ids": [], "emails": [], "group_ids": []}
        })
    }

    #[test]
    fn applying_keeps_what_the_edit_does_not_cover() {
        let mut rules = Rules::default();
        rules.subscriptions.new_ticket = false;
        rules.schedule.do_not_disturb_until = Some(chrono::Utc::now());
        let before = rules.clone();
        let mut json = valid();
        json["new_ticket"]["min_priority"] = 3.into();
        json["new_ticket"]["tags"] = serde_json::json!([" vip ", "VIP", "billing"]);
        json["quiet_hours"] = serde_json::json!({"mon": ["18:00-08:00", " "], "tue": []});
        json["hold_while_on_call"] = false.into();
        json["me"]["emails"] = serde_json::json!(["Tom@Acme.example"]);
        let mut me = Identity::default();
        edit(json).validate().unwrap().apply_to(&mut rules, &mut me);
        assert_eq!(me.emails, ["tom@acme.example"]);
        assert_eq!(rules.subscriptions, before.subscriptions);
        assert_eq!(rules.calls, before.calls);
        assert_eq!(
            rules.schedule.do_not_disturb_until,
            before.schedule.do_not_disturb_until
        );
        assert_eq!(rules.new_ticket.min_priority, Some(3));
        assert_eq!(rules.new_ticket.tags, ["vip", "billing"]);
        assert_eq!(
            rules.schedule.quiet_hours.keys().collect::<Vec<_>>(),
            [&Day::Mon],
            "empty days and blank ranges are dropped"
        );
        assert!(!rules.schedule.hold_while_on_call);
        // And back: what the page is shown is what was saved.
        let shown = RulesEdit::of(&rules, &me);
        assert_eq!(shown.quiet_hours[&Day::Mon], ["18:00-08:00"]);
        assert_eq!(shown.new_ticket.tags, ["vip", "billing"]);
    }

    #[test]
    fn a_wrong_shape_names_its_field() {
        let mut json = valid();
        json["new_ticket"]["min_priority"] = 300.into();
        let e = RulesEdit::from_json(json).unwrap_err();
        assert_eq!(e.code(), "rules_malformed");
        assert_eq!(e.field(), "new_ticket.min_priority");
        let mut json = valid();
        json["quiet_hours"] = serde_json::json!({"someday": []});
        let e = RulesEdit::from_json(json).unwrap_err();
        assert_eq!(e.field(), "quiet_hours.someday");
        assert!(e.to_string().contains("someday"), "{e}");
        let e = RulesEdit::from_json(serde_json::json!({"new_ticket": {}})).unwrap_err();
        assert!(e.to_string().contains("quiet_hours"), "{e}");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let mut json = valid();
        json["new_ticket"]["tags"] = serde_json::json!(vec!["a"; MAX_ENTRIES + 1]);
        let e = edit(json).validate().unwrap_err();
        assert_eq!(
            (e.code(), e.field().as_str()),
            ("rules_too_many", "new_ticket.tags")
        );
    }
}
