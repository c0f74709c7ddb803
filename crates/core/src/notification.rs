//! What Deskbell shows: a [`Notification`] of one [`Kind`], plain text (the
//! sink escapes it for its own markup), with a URL only on the account's own
//! domain over https.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::{Domain, Id, Timestamp};

/// The notification kinds agents subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MissedCall,
    NewTicket,
    ConversationReassigned,
    TicketReassigned,
    AgentStatus,
    /// An open, unassigned ticket's first response coming due, or overdue.
    FirstResponseDue,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::MissedCall,
        Kind::NewTicket,
        Kind::ConversationReassigned,
        Kind::TicketReassigned,
        Kind::AgentStatus,
        Kind::FirstResponseDue,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::MissedCall => "missed_call",
            Kind::NewTicket => "new_ticket",
            Kind::ConversationReassigned => "conversation_reassigned",
            Kind::TicketReassigned => "ticket_reassigned",
            Kind::AgentStatus => "agent_status",
            Kind::FirstResponseDue => "first_response_due",
        }
    }

    /// A count of this kind for summaries ("3 missed calls"), in `l`'s
    /// language and plural forms.
    pub fn plural(self, n: usize, l: &crate::l10n::Locale) -> String {
        l.text(
            crate::l10n::Msg::KindCount,
            &[("kind", self.as_str().into()), ("count", n.into())],
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: Kind,
    /// The thing notified about (a ticket, a call): a later notification with
    /// the same key replaces the earlier one on screen.
    pub key: String,
    /// This occurrence: the same `dedupe_key` is never shown twice.
    #[serde(skip)]
    pub dedupe_key: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub urgency: Urgency,
    /// When it happened, from the payload when it says.
    pub at: Option<Timestamp>,
    /// What the agent can do from it besides opening it (the popup's
    /// buttons), as the rules found it and its source can do it
    /// ([`crate::actions`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<crate::actions::Action>,
    /// The account it came from, by its name in the config: where an
    /// action goes. `None` for the demo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Links into the products. Only https on the payload's own domain.
pub mod urls {
    use super::*;

    pub fn ticket(domain: Option<&Domain>, id: &Id) -> Option<String> {
        Some(format!(
            "https://{}/a/tickets/{}",
            domain?,
            path_segment(id.as_str())?
        ))
    }

    /// Freshchat's agent inbox link (assumption, see docs: the web app opens
    /// `/a/{account}/open/conversation/{id}`).
    pub fn chat_conversation(
        domain: Option<&Domain>,
        account: Option<&Id>,
        id: &Id,
    ) -> Option<String> {
        Some(format!(
            "https://{}/a/{}/open/conversation/{}",
            domain?,
            path_segment(account?.as_str())?,
            path_segment(id.as_str())?
        ))
    }

    /// Freshcaller's call log entry (assumption, see docs).
    pub fn call(domain: Option<&Domain>, id: &Id) -> Option<String> {
        Some(format!(
            "https://{}/calls/{}",
            domain?,
            path_segment(id.as_str())?
        ))
    }

    /// Ids become path segments only when they cannot change the path.
    fn path_segment(id: &str) -> Option<&str> {
        let ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then_some(id)
    }
}

/// Whether `c` is dropped from customer text before it is shown: Unicode
/// direction controls, which can make `"\u{202e}gnp.exe"` read as
/// "exe.png" (U+202A..U+202E, U+2066..U+2069, and the marks U+200E, U+200F,
/// U+061C), invisible format characters (zero-width space, word joiner and
/// the invisible operators, the byte-order mark, the deprecated format
/// controls, interlinear annotations, soft hyphen, Mongolian vowel
/// separator), and control characters other than tab and newline.
/// Zero-width joiner and non-joiner stay: emoji sequences and several
/// scripts need them to read right.
pub fn is_hidden_char(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}' | '\u{200F}' | '\u{061C}'
        | '\u{200B}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{00AD}' | '\u{180E}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// Customer text as it may be shown: [`is_hidden_char`]s removed, nothing
/// else changed (escaping for a markup is the sink's job). Borrowed when
/// there is nothing to remove, which is nearly always.
pub fn visible_text(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden_char) {
        Cow::Owned(text.chars().filter(|c| !is_hidden_char(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

impl Notification {
    /// The title and body with [`is_hidden_char`]s removed: every
    /// notification passes here before any sink (popup, feed, window) sees it.
    pub fn made_visible(mut self) -> Self {
        if let Cow::Owned(t) = visible_text(&self.title) {
            self.title = t;
        }
        if let Cow::Owned(b) = visible_text(&self.body) {
            self.body = b;
        }
        self
    }
}
