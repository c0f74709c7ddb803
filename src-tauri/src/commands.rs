//! The page's commands: what the page may ask, and nothing else. Each is
//! listed in build.rs and granted in capabilities/main.json, and each is
//! one request to the tray process (docs/local-api.md): the window decides
//! nothing and holds nothing. Errors cross as `{code, message, field?}`,
//! codes stable for the UI (`tray_not_running` when no tray answers).

use std::time::Duration;

use deskbell_core::config::AccountConfig;
use deskbell_core::local::client::LocalError;
use deskbell_core::local::{Reply, Request, SecretInput};
use deskbell_core::notification::Kind;
use deskbell_core::rules::RulesEdit;
use deskbell_core::schedule::Dnd;
use deskbell_core::view::Snapshot;
use serde::Serialize;
use tauri::State;

use crate::link::{self, TrayLink};

// The commands below, by name, as build.rs declares them.
#[cfg(test)]
include!("command_names.rs");

/// How long "Start Deskbell" waits for the tray to answer.
const TRAY_START_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// The input at fault, as the page names it (`quiet_hours.mon`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<LocalError> for CommandError {
    fn from(e: LocalError) -> Self {
        match e {
            LocalError::Rejected(body) => CommandError {
                code: body.code,
                message: body.message,
                field: body.field,
            },
            LocalError::NotRunning(_) => error("tray_not_running", "Deskbell is not running"),
            other => error(other.code(), other.to_string()),
        }
    }
}

fn error(code: &str, message: impl Into<String>) -> CommandError {
    CommandError {
        code: code.to_owned(),
        message: message.into(),
        field: None,
    }
}

fn unexpected(reply: &Reply) -> CommandError {
    error(
        "internal",
        format!("the tray answered with an unexpected {reply:?}"),
    )
}

async fn done(link: &TrayLink, request: Request) -> Result<(), CommandError> {
    match link.request(request).await? {
        Reply::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

async fn account(link: &TrayLink, request: Request) -> Result<AccountConfig, CommandError> {
    match link.request(request).await? {
        Reply::Account(a) => Ok(*a),
        other => Err(unexpected(&other)),
    }
}

#[tauri::command]
pub async fn get_snapshot(link: State<'_, TrayLink>) -> Result<Snapshot, CommandError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FIRST: AtomicBool = AtomicBool::new(true);
    match link.request(Request::Snapshot).await? {
        Reply::Snapshot(s) => {
            // The page draws it as it gets it: how long opening took
            // (scripts/bench reads this line).
            if FIRST.swap(false, Ordering::Relaxed) {
                tracing::info!(agents = s.board.len(), "first snapshot for the page");
            }
            Ok(*s)
        }
        other => Err(unexpected(&other)),
    }
}

#[tauri::command]
pub async fn set_subscription(
    link: State<'_, TrayLink>,
    kind: Kind,
    on: bool,
) -> Result<(), CommandError> {
    done(&link, Request::SetSubscription { kind, on }).await
}

#[tauri::command]
pub async fn set_dnd(link: State<'_, TrayLink>, choice: Dnd) -> Result<(), CommandError> {
    done(&link, Request::SetDnd { choice }).await
}

/// The secret goes to the tray, and from it to the keyring; only the
/// account's settings come back.
#[tauri::command]
pub async fn add_account(
    link: State<'_, TrayLink>,
    account: AccountConfig,
    secret: String,
) -> Result<AccountConfig, CommandError> {
    let secret = SecretInput::new(secret);
    self::account(&link, Request::AddAccount { account, secret }).await
}

/// A relay account from an invitation code: the tray spends the code at
/// the relay; the token the relay gives never reaches the page.
#[tauri::command]
pub async fn redeem_invite(
    link: State<'_, TrayLink>,
    account: AccountConfig,
    code: String,
) -> Result<AccountConfig, CommandError> {
    let code = SecretInput::new(code);
    self::account(
        &link,
        Request::RedeemInvite {
            account,
            code,
            show: false,
        },
    )
    .await
}

/// New settings for an existing account (found by name). A secret, when
/// given, replaces the keyring's; it is never read back.
#[tauri::command]
pub async fn update_account(
    link: State<'_, TrayLink>,
    account: AccountConfig,
    secret: Option<String>,
) -> Result<AccountConfig, CommandError> {
    let secret = secret.filter(|s| !s.is_empty()).map(SecretInput::new);
    self::account(&link, Request::UpdateAccount { account, secret }).await
}

/// Tries the settings once: with the secret typed in the form, or else the
/// one the keyring holds for that account name (read by the tray).
#[tauri::command]
pub async fn test_connection(
    link: State<'_, TrayLink>,
    account: AccountConfig,
    secret: Option<String>,
) -> Result<(), CommandError> {
    let secret = secret.filter(|s| !s.is_empty()).map(SecretInput::new);
    done(&link, Request::TestConnection { account, secret }).await
}

/// The tray checks the edited rules, applies and saves them. The answer is
/// the rules as saved (trimmed, without repeats).
#[tauri::command]
pub async fn save_rules(
    link: State<'_, TrayLink>,
    rules: serde_json::Value,
) -> Result<RulesEdit, CommandError> {
    match link.request(Request::SaveRules { rules }).await? {
        Reply::Rules(r) => Ok(*r),
        other => Err(unexpected(&other)),
    }
}

#[tauri::command]
pub async fn remove_account(link: State<'_, TrayLink>, name: String) -> Result<(), CommandError> {
    done(&link, Request::RemoveAccount { name }).await
}

/// Opens a feed item's link in the default browser (the tray checks it:
/// https on the source's own domains only).
#[tauri::command]
pub async fn open_feed_item(link: State<'_, TrayLink>, id: u64) -> Result<(), CommandError> {
    done(&link, Request::OpenFeedItem { id }).await
}

/// A feed row's button ("assign", "call_back", "remind"): the tray carries
/// it out as from the popup.
#[tauri::command]
pub async fn act_on_feed_item(
    link: State<'_, TrayLink>,
    id: u64,
    action: deskbell_core::actions::ActionId,
) -> Result<(), CommandError> {
    done(&link, Request::ActOnFeedItem { id, action }).await
}

#[tauri::command]
pub async fn dismiss_away(link: State<'_, TrayLink>) -> Result<(), CommandError> {
    done(&link, Request::DismissAway).await
}

/// The page's "Start Deskbell" when no tray runs: starts it and waits
/// until it answers.
#[tauri::command]
pub async fn start_tray(link: State<'_, TrayLink>) -> Result<(), CommandError> {
    if link.wait_for_tray(Duration::ZERO).await.is_ok() {
        return Ok(());
    }
    link::start_tray()
        .map_err(|e| error("tray_start_failed", format!("cannot start Deskbell: {e}")))?;
    link.wait_for_tray(TRAY_START_TIMEOUT).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskbell_core::local::ErrorBody;

    /// A refusal crosses to the page as the tray gave it, its field
    /// included; no tray is `tray_not_running`.
    #[test]
    fn refusals_reach_the_page_with_their_code_and_field() {
        let refused = LocalError::Rejected(
            ErrorBody::new("rules_group", "not a group id").with_field("new_ticket.groups"),
        );
        assert_eq!(
            serde_json::to_value(CommandError::from(refused)).unwrap(),
            serde_json::json!({"code": "rules_group", "message": "not a group id", "field": "new_ticket.groups"})
        );
        let none = LocalError::NotRunning("/run/user/1000/deskbell/tray.sock".into());
        assert_eq!(
            serde_json::to_value(CommandError::from(none)).unwrap(),
            serde_json::json!({"code": "tray_not_running", "message": "Deskbell is not running"})
        );
    }

    /// The window is granted exactly its commands: each allowed in
    /// capabilities/main.json and registered with generate_handler!, and
    /// nothing more.
    #[test]
    fn the_capability_grants_exactly_the_commands() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let window = std::fs::read_to_string(root.join("src-tauri/src/window.rs")).unwrap();
        let cap: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join("capabilities/main.json")).unwrap())
                .unwrap();
        let granted: Vec<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        let mut expected: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
        let mut granted_sorted = granted.clone();
        expected.sort();
        granted_sorted.sort();
        assert_eq!(granted_sorted, expected);
        for c in COMMANDS {
            assert!(
                window.contains(&format!("crate::commands::{c},")),
                "{c} in generate_handler!"
            );
        }
        let others: Vec<&str> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("allow-"))
            .collect();
        assert_eq!(
            others,
            ["core:event:allow-listen", "core:event:allow-unlisten"]
        );
        assert_eq!(cap["windows"], serde_json::json!(["main"]));
    }
}
