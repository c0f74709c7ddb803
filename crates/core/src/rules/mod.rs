//! Rules: which decoded events become which notifications, and why the others
//! do not. One module per notification kind:
//! `missed_call.rs`, `new_ticket.rs`, `reassigned.rs`, `agent_status.rs`;
//! what the window may change of them is `edit.rs`.
//! When and whether they are shown (quiet hours, do-not-disturb, hold on a
//! call) is `crate::schedule`; bursts are `crate::coalesce`.

pub mod agent_status;
pub mod edit;
mod identity;
pub mod missed_call;
pub mod new_ticket;
pub mod reassigned;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use edit::{RulesEdit, RulesEditError, ValidRulesEdit};
pub use identity::{Identity, Me};
pub use missed_call::CallTable;
pub use new_ticket::TicketFilter;

use crate::board::BoardChange;
use crate::event::{DecodedEvent, Event};
use crate::notification::{Kind, Notification};
use crate::schedule::Schedule;

/// Everything an agent configures about what they are told.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub subscriptions: Subscriptions,
    pub new_ticket: TicketFilter,
    /// First responses coming due (`crate::first_response`).
    pub first_response: crate::first_response::FirstResponseRules,
    /// Which kinds' critical notifications stay on screen until dismissed.
    pub stay_until_dismissed: StayUntilDismissed,
    /// A sound per kind.
    pub sounds: Sounds,
    pub calls: CallTable,
    /// What "Call back" does on a Freshcaller missed call.
    pub call_back: missed_call::CallBackVia,
    pub schedule: Schedule,
}

/// One switch per kind. Agent status is off by default: the board shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subscriptions {
    pub missed_call: bool,
    pub new_ticket: bool,
    pub conversation_reassigned: bool,
    pub ticket_reassigned: bool,
    pub agent_status: bool,
    pub first_response_due: bool,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Subscriptions {
            missed_call: true,
            new_ticket: true,
            conversation_reassigned: true,
            ticket_reassigned: true,
            agent_status: false,
            first_response_due: true,
        }
    }
}

impl Subscriptions {
    pub fn is_on(&self, kind: Kind) -> bool {
        match kind {
            Kind::MissedCall => self.missed_call,
            Kind::NewTicket => self.new_ticket,
            Kind::ConversationReassigned => self.conversation_reassigned,
            Kind::TicketReassigned => self.ticket_reassigned,
            Kind::AgentStatus => self.agent_status,
            Kind::FirstResponseDue => self.first_response_due,
        }
    }

    /// The relay stream's `?events=` filter for these subscriptions. Agent
    /// updates always flow: the board and "hold while on a call" need them.
    pub fn event_names(&self) -> Vec<&'static str> {
        let mut names = vec!["onAgentUpdate"];
        for kind in Kind::ALL.into_iter().filter(|k| self.is_on(*k)) {
            names.extend_from_slice(match kind {
                Kind::MissedCall => &[
                    "onCallCreate",
                    "onCallUpdate",
                    "onPhoneCallCreate",
                    "onPhoneCallUpdate",
                ][..],
                Kind::NewTicket => &["onTicketCreate"],
                Kind::ConversationReassigned => &["onConversationUpdate"],
                Kind::TicketReassigned => &["onTicketUpdate"],
                Kind::AgentStatus => &[],
                // A ticket's creation arms the warning; its updates move
                // the due time, assign it or stop its SLA clock.
                Kind::FirstResponseDue => &["onTicketCreate", "onTicketUpdate"],
            });
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    pub fn set(&mut self, kind: Kind, on: bool) {
        let slot = match kind {
            Kind::MissedCall => &mut self.missed_call,
            Kind::NewTicket => &mut self.new_ticket,
            Kind::ConversationReassigned => &mut self.conversation_reassigned,
            Kind::TicketReassigned => &mut self.ticket_reassigned,
            Kind::AgentStatus => &mut self.agent_status,
            Kind::FirstResponseDue => &mut self.first_response_due,
        };
        *slot = on;
    }
}

/// Per kind: whether its critical notifications (every missed call, an
/// urgent new ticket, an overdue first response) stay on screen until the
/// agent dismisses them. A kind switched off here shows them as normal
/// ones, which expire as the desktop's notifications do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StayUntilDismissed {
    pub missed_call: bool,
    pub new_ticket: bool,
    pub conversation_reassigned: bool,
    pub ticket_reassigned: bool,
    pub agent_status: bool,
    pub first_response_due: bool,
}

impl Default for StayUntilDismissed {
    fn default() -> Self {
        StayUntilDismissed {
            missed_call: true,
            new_ticket: true,
            conversation_reassigned: false,
            ticket_reassigned: false,
            agent_status: false,
            first_response_due: true,
        }
    }
}

impl StayUntilDismissed {
    pub fn stays(&self, kind: Kind) -> bool {
        match kind {
            Kind::MissedCall => self.missed_call,
            Kind::NewTicket => self.new_ticket,
            Kind::ConversationReassigned => self.conversation_reassigned,
            Kind::TicketReassigned => self.ticket_reassigned,
            Kind::AgentStatus => self.agent_status,
            Kind::FirstResponseDue => self.first_response_due,
        }
    }

    /// `n` as it is shown: critical only where its kind stays.
    pub fn apply(&self, n: &mut Notification) {
        if n.urgency == crate::notification::Urgency::Critical && !self.stays(n.kind) {
            n.urgency = crate::notification::Urgency::Normal;
        }
    }
}

/// One kind's sound: `false` none, `true` the kind's own from the system's
/// sound theme, `"name"` another of the theme's, `{ file = "..." }` a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SoundSetting {
    Switch(bool),
    Theme(String),
    File { file: std::path::PathBuf },
}

/// A sound to play with a notification, as the desktop plays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sound {
    /// A name of the freedesktop sound theme (`phone-incoming-call`).
    Theme(String),
    File(std::path::PathBuf),
}

/// A sound per kind. They play with the popup, so do-not-disturb, quiet
/// hours and holds silence them as they hold the popup; a summary after a
/// hold plays none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sounds {
    pub missed_call: SoundSetting,
    pub new_ticket: SoundSetting,
    pub conversation_reassigned: SoundSetting,
    pub ticket_reassigned: SoundSetting,
    pub agent_status: SoundSetting,
    pub first_response_due: SoundSetting,
}

impl Default for Sounds {
    fn default() -> Self {
        Sounds {
            missed_call: SoundSetting::Switch(true),
            new_ticket: SoundSetting::Switch(false),
            conversation_reassigned: SoundSetting::Switch(false),
            ticket_reassigned: SoundSetting::Switch(false),
            agent_status: SoundSetting::Switch(false),
            first_response_due: SoundSetting::Switch(true),
        }
    }
}

impl Sounds {
    /// The sound theme's name for each kind (freedesktop sound naming spec).
    fn theme_default(kind: Kind) -> &'static str {
        match kind {
            Kind::MissedCall => "phone-incoming-call",
            Kind::FirstResponseDue => "dialog-warning",
            Kind::NewTicket
            | Kind::ConversationReassigned
            | Kind::TicketReassigned
            | Kind::AgentStatus => "message-new-instant",
        }
    }

    pub fn of(&self, kind: Kind) -> Option<Sound> {
        let setting = match kind {
            Kind::MissedCall => &self.missed_call,
            Kind::NewTicket => &self.new_ticket,
            Kind::ConversationReassigned => &self.conversation_reassigned,
            Kind::TicketReassigned => &self.ticket_reassigned,
            Kind::AgentStatus => &self.agent_status,
            Kind::FirstResponseDue => &self.first_response_due,
        };
        match setting {
            SoundSetting::Switch(false) => None,
            SoundSetting::Switch(true) => Some(Sound::Theme(Self::theme_default(kind).to_owned())),
            SoundSetting::Theme(name) if name.trim().is_empty() => None,
            SoundSetting::Theme(name) => Some(Sound::Theme(name.trim().to_owned())),
            SoundSetting::File { file } => Some(Sound::File(file.clone())),
        }
    }

    /// The sound of a delivery: its kind's, for a popup or a burst; none
    /// for a summary after a hold or a withdrawal.
    pub fn for_delivery(&self, d: &crate::coalesce::Delivery) -> Option<Sound> {
        use crate::coalesce::Delivery;
        match d {
            Delivery::Single(n) => self.of(n.kind),
            Delivery::Burst { kind, .. } => self.of(*kind),
            Delivery::Held(_) | Delivery::Withdrawn { .. } => None,
        }
    }
}

/// Why an event raised nothing. `code()` is stable; `Display` is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The same event was already processed (at-least-once delivery).
    DuplicateEvent,
    /// This call, ticket or change was already notified.
    AlreadyNotified,
    UnknownEvent,
    /// The event kind never notifies (contacts, ticket replies).
    NotNotifiable,
    NotSubscribed(Kind),
    Filtered(String),
    CallOutgoing,
    CallAnswered,
    CallEnded,
    CallInProgress,
    CallWithoutCustomer,
    UnmappedCallStatus(i64),
    UnmappedDirection(String),
    NoAssignmentChange,
    NotForMe,
    NoStatusChange,
    /// The ticket is marked as spam.
    Spam,
}

impl Skip {
    pub fn code(&self) -> &'static str {
        match self {
            Skip::DuplicateEvent => "duplicate_event",
            Skip::AlreadyNotified => "already_notified",
            Skip::UnknownEvent => "unknown_event",
            Skip::NotNotifiable => "not_notifiable",
            Skip::NotSubscribed(_) => "not_subscribed",
            Skip::Filtered(_) => "filtered",
            Skip::CallOutgoing => "call_outgoing",
            Skip::CallAnswered => "call_answered",
            Skip::CallEnded => "call_ended",
            Skip::CallInProgress => "call_in_progress",
            Skip::CallWithoutCustomer => "call_without_customer",
            Skip::UnmappedCallStatus(_) => "unmapped_call_status",
            Skip::UnmappedDirection(_) => "unmapped_direction",
            Skip::NoAssignmentChange => "no_assignment_change",
            Skip::NotForMe => "not_for_me",
            Skip::NoStatusChange => "no_status_change",
            Skip::Spam => "spam",
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::DuplicateEvent => f.write_str("duplicate of an event already processed"),
            Skip::AlreadyNotified => f.write_str("already notified for this item"),
            Skip::UnknownEvent => f.write_str("unknown event name: kept, never notified"),
            Skip::NotNotifiable => f.write_str("this event never raises a notification"),
            Skip::NotSubscribed(kind) => write!(f, "{kind} notifications are switched off"),
            Skip::Filtered(why) => write!(f, "filtered out: {why}"),
            Skip::CallOutgoing => f.write_str("outgoing call"),
            Skip::CallAnswered => f.write_str("call was answered"),
            Skip::CallEnded => f.write_str("call ended without a missed status"),
            Skip::CallInProgress => f.write_str("call has no outcome yet"),
            Skip::CallWithoutCustomer => f.write_str("call has no Customer participant"),
            Skip::UnmappedCallStatus(code) => {
                write!(
                    f,
                    "call_status {code} is not in the call table: treated as not missed"
                )
            }
            Skip::UnmappedDirection(d) => {
                write!(
                    f,
                    "call direction {d} is not in the call table: treated as not missed"
                )
            }
            Skip::NoAssignmentChange => f.write_str("no agent or group change"),
            Skip::NotForMe => f.write_str("reassigned between others, not to or from me"),
            Skip::NoStatusChange => f.write_str("agent status did not change"),
            Skip::Spam => f.write_str("the ticket is marked as spam"),
        }
    }
}

/// The outcome of ruling one event.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Notify(Vec<Notification>),
    Skip(Skip),
    /// The item no longer needs anyone: its notification, if it is still on
    /// screen, held or waiting in a burst, is taken back.
    Withdraw(Withdrawal),
}

/// A notification taken back, by its item's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// The `Notification::key` of the item.
    pub key: String,
    /// What the notification on screen turns into as it closes.
    pub title: String,
    pub why: WithdrawReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawReason {
    /// `onTicketUpdate` with `changes.spam: [false, true]`.
    MarkedSpam,
}

impl fmt::Display for Withdrawal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.why {
            WithdrawReason::MarkedSpam => f.write_str("withdrawn: the ticket was marked as spam"),
        }
    }
}

/// What the rules read besides the event: configuration, who "me" is, and
/// what the board just learned from this event; and the agent's language.
pub struct Context<'a> {
    pub rules: &'a Rules,
    pub me: Me<'a>,
    pub board_change: Option<&'a BoardChange>,
    /// The language the notifications are written in.
    pub locale: &'a crate::l10n::Locale,
}

/// Rules one decoded event. Subscriptions apply here; filters per kind in
/// each module. Pure: no clock, no I/O.
pub fn classify(ev: &DecodedEvent, ctx: &Context<'_>) -> Verdict {
    let (kind, verdict) = match &ev.event {
        Event::TicketCreated(t) => (Kind::NewTicket, new_ticket::classify(ev, t, ctx)),
        Event::TicketUpdated(t) => match new_ticket::marked_spam(ev, t, ctx.locale) {
            Some(withdrawal) => return Verdict::Withdraw(withdrawal),
            None => (Kind::TicketReassigned, reassigned::ticket(ev, t, ctx)),
        },
        Event::CallCreated(c) | Event::CallUpdated(c) => {
            (Kind::MissedCall, missed_call::freshcaller(ev, c, ctx))
        }
        Event::Xelion(x) => (Kind::MissedCall, missed_call::xelion(x, ctx)),
        Event::ChatConversationUpdated(c) => {
            (Kind::ConversationReassigned, reassigned::chat(ev, c, ctx))
        }
        Event::AgentUpdated(a) => (Kind::AgentStatus, agent_status::classify(a, ctx)),
        Event::ChatConversationCreated(_)
        | Event::TicketConversationCreated(_)
        | Event::TicketConversationUpdated(_)
        | Event::ContactCreated(_)
        | Event::ContactUpdated(_) => return Verdict::Skip(Skip::NotNotifiable),
        Event::Unknown { .. } => return Verdict::Skip(Skip::UnknownEvent),
    };
    match verdict {
        Verdict::Notify(_) if !ctx.rules.subscriptions.is_on(kind) => {
            Verdict::Skip(Skip::NotSubscribed(kind))
        }
        // The one way out of the rules: every sink (popup, feed, window,
        // `deskbell check`) gets text without direction controls.
        Verdict::Notify(list) => {
            Verdict::Notify(list.into_iter().map(Notification::made_visible).collect())
        }
        other => other,
    }
}

/// Joins the present parts with " · ".
pub(crate) fn join(parts: impl IntoIterator<Item = Option<String>>) -> String {
    parts
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}
