//! The local API's messages. A client says [`ClientMessage::Hello`] first,
//! then sends requests, each answered by a response with its id. No reply
//! carries a secret.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::board::AgentRow;
use crate::config::AccountConfig;
use crate::notification::Kind;
use crate::rules::{RulesEdit, Subscriptions};
use crate::schedule::Dnd;
use crate::secret::Secret;
use crate::view::Snapshot;

/// Who is connecting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Cli,
    Window,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Hello { protocol: u32, client: ClientKind },
    Request { id: u64, request: Request },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
pub enum Request {
    /// The accounts' connections: `Reply::Status`.
    Status,
    /// Everything the window shows: `Reply::Snapshot`.
    Snapshot,
    /// From now on, send this connection the tray's [`Push`]es.
    Subscribe,
    SetSubscription {
        kind: Kind,
        on: bool,
    },
    SetDnd {
        choice: Dnd,
    },
    /// Open the window, at an account's edit form when one is named.
    OpenWindow {
        account: Option<String>,
    },
    /// Accounts or their secrets changed outside the tray (`deskbell
    /// account ...`): start every client again.
    ReloadAccounts,
    /// The window's rules form (as the page holds it): checked, applied
    /// and saved. `Reply::Rules`: the rules as saved.
    SaveRules {
        rules: serde_json::Value,
    },
    /// A new account; its secret goes to the keyring. `Reply::Account`.
    AddAccount {
        account: AccountConfig,
        secret: SecretInput,
    },
    /// A new relay account from a one-time invitation code: the tray
    /// spends the code at the relay once and puts the token the relay
    /// gives in the keyring. `Reply::Account`. With `show` (a clicked
    /// `deskbell://invite` link), the window opens and says the outcome.
    RedeemInvite {
        account: AccountConfig,
        code: SecretInput,
        #[serde(default)]
        show: bool,
    },
    /// New settings for the account of that name; a secret, when given,
    /// replaces the keyring's. `Reply::Account`.
    UpdateAccount {
        account: AccountConfig,
        secret: Option<SecretInput>,
    },
    RemoveAccount {
        name: String,
    },
    /// Tries the settings once, with the secret given or else the one the
    /// keyring holds for that account name.
    TestConnection {
        account: AccountConfig,
        secret: Option<SecretInput>,
    },
    /// Opens a feed item's link in the default browser (https on the
    /// source's own domains only).
    OpenFeedItem {
        id: u64,
    },
    /// A feed row's button ("assign", "call_back", "remind"), as if pressed
    /// on its popup. `Reply::Done` once the tray took it; the outcome comes
    /// as a notification (and a feed item) of its own.
    ActOnFeedItem {
        id: u64,
        action: crate::actions::ActionId,
    },
    /// The agent read the summary of what arrived while away.
    DismissAway,
}

/// A secret typed in the window's account form, on its way to the tray's
/// keyring. It crosses the socket in that direction only (no reply holds
/// one), and `Debug` redacts it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretInput(String);

impl SecretInput {
    pub fn new(value: impl Into<String>) -> SecretInput {
        SecretInput(value.into())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_secret(self) -> Secret {
        Secret::new(self.0)
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretInput(<redacted>)")
    }
}

impl Request {
    /// Its name, for the log (never its arguments).
    pub fn name(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Snapshot => "snapshot",
            Request::Subscribe => "subscribe",
            Request::SetSubscription { .. } => "set_subscription",
            Request::SetDnd { .. } => "set_dnd",
            Request::OpenWindow { .. } => "open_window",
            Request::ReloadAccounts => "reload_accounts",
            Request::SaveRules { .. } => "save_rules",
            Request::AddAccount { .. } => "add_account",
            Request::RedeemInvite { .. } => "redeem_invite",
            Request::UpdateAccount { .. } => "update_account",
            Request::RemoveAccount { .. } => "remove_account",
            Request::TestConnection { .. } => "test_connection",
            Request::OpenFeedItem { .. } => "open_feed_item",
            Request::ActOnFeedItem { .. } => "act_on_feed_item",
            Request::DismissAway => "dismiss_away",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        protocol: u32,
        /// The tray's version, for the CLI's messages.
        version: String,
    },
    Response {
        id: u64,
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// Unasked, to a connection that subscribed.
    Push {
        #[serde(flatten)]
        push: Push,
    },
    /// The connection is refused (a wrong version, a frame that cannot be
    /// read, another user): said once, then the tray closes it.
    Refused { error: ErrorBody },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok(Reply),
    Error(ErrorBody),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Reply {
    Status(Status),
    Snapshot(Box<Snapshot>),
    /// The rules as saved (trimmed, without repeats).
    Rules(Box<RulesEdit>),
    /// An account's settings as saved (never its secret).
    Account(Box<AccountConfig>),
    Done,
}

/// What the tray tells a subscribed window without being asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "push", rename_all = "snake_case")]
pub enum Push {
    /// Something in the snapshot changed: ask for it again.
    ViewChanged,
    /// One board row changed, in place (`None`: the agent left).
    BoardRow {
        agent_id: String,
        row: Option<Box<AgentRow>>,
    },
    /// The agent asked for the window (the tray's "Open Deskbell",
    /// `deskbell open`) while it runs: show it, in front.
    ShowWindow,
    /// The agent quit Deskbell: the window closes with the tray.
    Quitting,
}

/// `deskbell status`, as it crosses the socket and `--json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// No account: the built-in demo plays.
    pub demo: bool,
    pub dnd_until: Option<DateTime<Utc>>,
    pub subscriptions: Subscriptions,
    pub accounts: Vec<StatusLine>,
    /// Windows connected to the tray now (0 or 1, as the tray raises the
    /// one that runs rather than start another).
    #[serde(default)]
    pub windows: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusLine {
    pub name: String,
    /// `relay` or `xelion`.
    pub kind: Option<String>,
    /// `live`, `connecting`, `reconnecting`, `sign_in_needed`,
    /// `keyring_unavailable`, `keyring_missing`, `stopped`.
    pub state: String,
    /// Why, when it is not live: the reconnect's reason, the refusal.
    pub detail: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
}

/// A refusal with a stable code the CLI shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    /// The input at fault, as the window's page names it
    /// (`quiet_hours.mon`), for a refused form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code: code.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    pub fn with_field(self, field: impl Into<String>) -> ErrorBody {
        ErrorBody {
            field: Some(field.into()),
            ..self
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes `docs/local-api.md` shows.
    #[test]
    fn messages_read_as_the_documentation_shows_them() {
        let hello: ClientMessage =
            serde_json::from_str(r#"{"type":"hello","protocol":1,"client":"cli"}"#).unwrap();
        assert_eq!(
            hello,
            ClientMessage::Hello {
                protocol: 1,
                client: ClientKind::Cli
            }
        );
        let dnd: ClientMessage = serde_json::from_str(
            r#"{"type":"request","id":7,"request":{"name":"set_dnd","args":{"choice":"half_an_hour"}}}"#,
        )
        .unwrap();
        assert_eq!(
            dnd,
            ClientMessage::Request {
                id: 7,
                request: Request::SetDnd {
                    choice: Dnd::HalfAnHour
                }
            }
        );
        let act: ClientMessage = serde_json::from_str(
            r#"{"type":"request","id":9,"request":{"name":"act_on_feed_item","args":{"id":12,"action":"assign"}}}"#,
        )
        .unwrap();
        assert_eq!(
            act,
            ClientMessage::Request {
                id: 9,
                request: Request::ActOnFeedItem {
                    id: 12,
                    action: crate::actions::ActionId::AssignToMe
                }
            }
        );
        // A key Deskbell never offers is refused with the frame.
        assert!(serde_json::from_str::<ClientMessage>(
            r#"{"type":"request","id":9,"request":{"name":"act_on_feed_item","args":{"id":12,"action":"rm"}}}"#,
        )
        .is_err());
        let status: ClientMessage =
            serde_json::from_str(r#"{"type":"request","id":1,"request":{"name":"status"}}"#)
                .unwrap();
        assert_eq!(
            status,
            ClientMessage::Request {
                id: 1,
                request: Request::Status
            }
        );
        let done = ServerMessage::Response {
            id: 7,
            outcome: Outcome::Ok(Reply::Done),
        };
        assert_eq!(
            serde_json::to_string(&done).unwrap(),
            r#"{"type":"response","id":7,"ok":{"kind":"done"}}"#
        );
        let refused = ServerMessage::Response {
            id: 8,
            outcome: Outcome::Error(ErrorBody::new("runtime_busy", "Deskbell is busy")),
        };
        let text = serde_json::to_string(&refused).unwrap();
        assert_eq!(
            text,
            r#"{"type":"response","id":8,"error":{"code":"runtime_busy","message":"Deskbell is busy"}}"#
        );
        assert_eq!(
            serde_json::from_str::<ServerMessage>(&text).unwrap(),
            refused
        );
        // A secret typed in the window crosses as a plain string, and a
        // log line of the request never shows it.
        let add: ClientMessage = serde_json::from_str(
            r#"{"type":"request","id":3,"request":{"name":"add_account","args":{"account":{"kind":"relay","name":"acme","url":"https://relay.acme.example"},"secret":"dbt_live_123"}}}"#,
        )
        .unwrap();
        let ClientMessage::Request {
            request: Request::AddAccount { secret, .. },
            ..
        } = &add
        else {
            panic!("{add:?}")
        };
        assert_eq!(secret.clone().into_secret().expose(), "dbt_live_123");
        assert!(!format!("{add:?}").contains("dbt_live_123"));
        // A refused form names its field; other refusals carry none.
        let refused =
            ErrorBody::new("rules_group", "not a group id").with_field("new_ticket.groups");
        assert_eq!(
            serde_json::to_string(&refused).unwrap(),
            r#"{"code":"rules_group","message":"not a group id","field":"new_ticket.groups"}"#
        );
        // An unknown request is not a message this version reads.
        assert!(serde_json::from_str::<ClientMessage>(
            r#"{"type":"request","id":2,"request":{"name":"format_disk"}}"#
        )
        .is_err());
    }
}
