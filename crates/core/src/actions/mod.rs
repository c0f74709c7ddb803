//! What an agent can do from a notification besides opening it: the
//! popup's buttons. The rules say which a notification offers
//! ([`Action`] on [`Notification::actions`]), the pipeline keeps only
//! those its source can do, the desktop shows them and says which was
//! pressed ([`Pressed`]), and the daemon carries it out: an assignment
//! through the account's relay ([`assign`]), a call back through the PBX
//! ([`call_back`]), a reminder kept here ([`reminders`]).
//!
//! How each looks on the desktops: docs/actions.md.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::AccountConfig;
use crate::event::freshdesk::TicketStatus;
use crate::event::{DecodedEvent, Event};
use crate::l10n::{Locale, Msg};
use crate::notification::Notification;

#[cfg(feature = "net")]
pub mod assign;
#[cfg(feature = "net")]
pub mod call_back;
pub mod reminders;

/// How long "Remind me later" waits.
pub const REMIND_AFTER_MINUTES: i64 = 15;

/// One thing a notification offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// An unassigned Freshdesk ticket: the account's relay gives it to the
    /// token's own agent, and only while it still has none.
    AssignToMe { ticket: String },
    /// A Xelion missed call: the PBX rings the agent's phone, then this
    /// number.
    CallBack { number: String },
    /// Show it again in [`REMIND_AFTER_MINUTES`], unless dealt with.
    RemindLater,
    /// A Freshcaller missed call with `[rules] call_back = "tel"`: the
    /// desktop's `tel:` handler dials the number (the tray does it; no
    /// request leaves the machine).
    Dial { number: String },
}

impl Action {
    pub fn id(&self) -> ActionId {
        match self {
            Action::AssignToMe { .. } => ActionId::AssignToMe,
            Action::CallBack { .. } => ActionId::CallBack,
            Action::RemindLater => ActionId::RemindLater,
            Action::Dial { .. } => ActionId::Dial,
        }
    }

    /// Whether a notification from `account` can do this: an assignment
    /// needs a relay, a call back a Xelion account; the demo does neither.
    pub fn possible_from(&self, account: Option<&AccountConfig>) -> bool {
        match self {
            Action::AssignToMe { .. } => matches!(account, Some(AccountConfig::Relay { .. })),
            Action::CallBack { .. } => matches!(account, Some(AccountConfig::Xelion { .. })),
            Action::RemindLater | Action::Dial { .. } => true,
        }
    }
}

/// A button's key in the notification (the freedesktop spec's action
/// key) and in the window's feed: a closed set, parsed back when the
/// daemon says one was invoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionId {
    /// The spec's "default" (a click on the body), and our "Open" button.
    #[serde(rename = "open")]
    Open,
    #[serde(rename = "assign")]
    AssignToMe,
    #[serde(rename = "call_back")]
    CallBack,
    #[serde(rename = "remind")]
    RemindLater,
    #[serde(rename = "dial")]
    Dial,
}

impl ActionId {
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionId::Open => "open",
            ActionId::AssignToMe => "assign",
            ActionId::CallBack => "call_back",
            ActionId::RemindLater => "remind",
            ActionId::Dial => "dial",
        }
    }

    /// What the button says.
    pub fn label(self, l: &Locale) -> String {
        match self {
            ActionId::Open => l.text(Msg::ActionOpen, &[]),
            ActionId::AssignToMe => l.text(Msg::ActionAssign, &[]),
            ActionId::CallBack | ActionId::Dial => l.text(Msg::ActionCallBack, &[]),
            ActionId::RemindLater => l.text(
                Msg::ActionRemind,
                &[("minutes", REMIND_AFTER_MINUTES.into())],
            ),
        }
    }

    /// An invoked key; `None` for one Deskbell never sent.
    pub fn parse(key: &str) -> Option<ActionId> {
        Some(match key {
            "default" | "open" => ActionId::Open,
            "assign" => ActionId::AssignToMe,
            "call_back" => ActionId::CallBack,
            "remind" => ActionId::RemindLater,
            "dial" => ActionId::Dial,
            _ => return None,
        })
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A button pressed on a notification: the notification as shown, and
/// which of its actions.
#[derive(Clone, Debug, PartialEq)]
pub struct Pressed {
    pub notification: Notification,
    pub action: Action,
}

impl Pressed {
    /// The pressed key, if it names one of the notification's actions
    /// ("open" is the desktop's own business).
    pub fn of(notification: &Notification, key: &str) -> Option<Pressed> {
        let id = ActionId::parse(key)?;
        let action = notification.actions.iter().find(|a| a.id() == id)?;
        Some(Pressed {
            notification: notification.clone(),
            action: action.clone(),
        })
    }
}

/// A `tel:` link for `number`, or `None` when it is no phone number: only
/// digits, a leading `+`, and the separators people write (dropped), so a
/// payload cannot hand the desktop's handler anything else.
pub fn tel_link(number: &str) -> Option<String> {
    let trimmed = number.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(r) => ("+", r),
        None => ("", trimmed),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (digits.len() >= 3 && digits.len() <= 20).then(|| format!("tel:{plus}{digits}"))
}

/// The notification key an event deals with, if it does: a ticket that
/// got an agent, or whose first-response clock stopped (pending, resolved,
/// closed). A reminder about it is no longer wanted.
pub fn settled_key(ev: &DecodedEvent) -> Option<String> {
    let t = match &ev.event {
        Event::TicketCreated(t) | Event::TicketUpdated(t) => &t.ticket,
        _ => return None,
    };
    let settled = t.responder_id.is_some()
        || matches!(
            t.status(),
            Some(TicketStatus::Pending | TicketStatus::Resolved | TicketStatus::Closed)
        );
    settled.then(|| format!("ticket:{}:{}", crate::rules::new_ticket::scope(ev), t.id))
}

/// What a pressed button did, as the notification that takes the pressed
/// one's place: the same key, kind, link and account, no buttons, and
/// never critical (it expires like any other). `tag` keeps each outcome
/// its own dedupe key.
pub fn outcome(
    pressed: &Notification,
    tag: &str,
    title: String,
    body: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Notification {
    Notification {
        kind: pressed.kind,
        key: pressed.key.clone(),
        dedupe_key: format!("{tag}:{}:{}", pressed.key, now.timestamp_millis()),
        title,
        body,
        url: pressed.url.clone(),
        urgency: crate::notification::Urgency::Normal,
        at: Some(crate::wire::Timestamp(now)),
        actions: Vec::new(),
        account: pressed.account.clone(),
    }
}

/// "2 minutes ago", for what someone else did.
pub fn ago(
    then: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    l: &Locale,
) -> String {
    let (msg, count) = match (now - then).num_seconds() {
        s if s < 60 => return l.text(Msg::AgoJustNow, &[]),
        s if s < 3600 => (Msg::AgoMinutes, s / 60),
        s if s < 86_400 => (Msg::AgoHours, s / 3600),
        s => (Msg::AgoDays, s / 86_400),
    };
    l.text(msg, &[("count", count.into())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_strangers_are_refused() {
        for id in [
            ActionId::Open,
            ActionId::AssignToMe,
            ActionId::CallBack,
            ActionId::RemindLater,
            ActionId::Dial,
        ] {
            assert_eq!(ActionId::parse(id.as_str()), Some(id));
        }
        assert_eq!(ActionId::parse("default"), Some(ActionId::Open));
        assert_eq!(ActionId::parse("rm -rf"), None);
        assert_eq!(ActionId::parse(""), None);
    }

    #[test]
    fn only_phone_numbers_become_tel_links() {
        assert_eq!(
            tel_link("+1 (415) 555-0123").as_deref(),
            Some("tel:+14155550123")
        );
        assert_eq!(
            tel_link("020 7946 0958").as_deref(),
            Some("tel:02079460958")
        );
        for bad in [
            "",
            "12",
            "+1;ext=evil",
            "javascript:alert(1)",
            "1234\n5678",
            "++123",
        ] {
            assert_eq!(tel_link(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ago_reads_as_people_say_it() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .to_utc();
        let at = |s: i64| now - chrono::Duration::seconds(s);
        let en = Locale::english();
        assert_eq!(ago(at(5), now, &en), "just now");
        assert_eq!(ago(at(-30), now, &en), "just now");
        assert_eq!(ago(at(90), now, &en), "a minute ago");
        assert_eq!(ago(at(150), now, &en), "2 minutes ago");
        assert_eq!(ago(at(3 * 3600), now, &en), "3 hours ago");
        assert_eq!(ago(at(3 * 86_400), now, &en), "3 days ago");
        let de = Locale::of(crate::l10n::Language::German);
        assert_eq!(ago(at(90), now, &de), "vor einer Minute");
        assert_eq!(ago(at(2 * 3600), now, &de), "vor 2 Stunden");
    }
}
