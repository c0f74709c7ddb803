//! The window's IPC commands: what the page may ask, and nothing else. Each
//! is listed in build.rs and granted in capabilities/main.json. Commands
//! read the view and send the runtime a `Command`; they decide nothing.
//! Errors cross as `{code, message}`, codes stable for the UI.

use deskbell_core::config::{AccountConfig, ConfigError};
use deskbell_core::notification::Kind;
use deskbell_core::rules::{RulesEdit, RulesEditError};
use deskbell_core::secret::Secret;
use deskbell_core::stream::probe::{probe, ProbeError};
use deskbell_core::view::Snapshot;
use serde::Serialize;
use tauri::State;

use crate::accounts::{self, AccountError};
use crate::notify::safe_link;
use crate::secrets::{self, SecretStoreError};
use crate::state::{AppState, Command, Dnd};

// The commands below, by name, as build.rs declares them.
#[cfg(test)]
include!("command_names.rs");

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    /// The input at fault, as the page names it (`quiet_hours.mon`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<AccountError> for CommandError {
    fn from(e: AccountError) -> Self {
        error(e.code(), e.to_string())
    }
}

impl From<RulesEditError> for CommandError {
    fn from(e: RulesEditError) -> Self {
        CommandError {
            field: Some(e.field()),
            ..error(e.code(), e.to_string())
        }
    }
}

impl From<ProbeError> for CommandError {
    fn from(e: ProbeError) -> Self {
        error(e.code(), e.to_string())
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        error(e.code(), e.to_string())
    }
}

impl From<SecretStoreError> for CommandError {
    fn from(e: SecretStoreError) -> Self {
        error(e.code(), e.to_string())
    }
}

fn error(code: &'static str, message: impl Into<String>) -> CommandError {
    CommandError {
        code,
        message: message.into(),
        field: None,
    }
}

/// Runs a keyring or config call (blocking D-Bus and file I/O) off the
/// async workers; `what` names it if the task dies.
async fn blocking<T, E>(
    what: &'static str,
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, CommandError>
where
    T: Send + 'static,
    E: Into<CommandError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|_| error("internal", format!("{what} stopped")))?
        .map_err(Into::into)
}

fn send(state: &AppState, command: Command) -> Result<(), CommandError> {
    state
        .commands
        .try_send(command)
        .map_err(|_| error("runtime_busy", "Deskbell is busy; try again"))
}

#[tauri::command]
pub fn get_snapshot(state: State<'_, AppState>) -> Result<Snapshot, CommandError> {
    let mut view = state
        .view
        .lock()
        .map_err(|_| error("state_poisoned", "Deskbell's state is unavailable"))?;
    let snapshot = Snapshot::of(&view);
    // A one-shot request: the next refresh must not open the form again.
    view.edit_request = None;
    Ok(snapshot)
}

#[tauri::command]
pub fn set_subscription(
    state: State<'_, AppState>,
    kind: Kind,
    on: bool,
) -> Result<(), CommandError> {
    send(&state, Command::SetSubscription(kind, on))
}

#[tauri::command]
pub fn set_dnd(state: State<'_, AppState>, choice: Dnd) -> Result<(), CommandError> {
    send(&state, Command::SetDnd(choice))
}

/// The secret goes to the keyring; only the account's settings come back.
#[tauri::command]
pub async fn add_account(
    state: State<'_, AppState>,
    account: AccountConfig,
    secret: String,
) -> Result<AccountConfig, CommandError> {
    let secret = Secret::new(secret);
    let added = blocking("adding the account", move || {
        accounts::add(account, &secret)
    })
    .await?;
    send(&state, Command::ReloadAccounts)?;
    Ok(added)
}

/// New settings for an existing account (found by name). A secret, when
/// given, replaces the keyring's; it is never read back.
#[tauri::command]
pub async fn update_account(
    state: State<'_, AppState>,
    account: AccountConfig,
    secret: Option<String>,
) -> Result<AccountConfig, CommandError> {
    let secret = secret.filter(|s| !s.is_empty()).map(Secret::new);
    let updated = blocking("saving the account", move || {
        accounts::update(account, secret.as_ref())
    })
    .await?;
    send(&state, Command::ReloadAccounts)?;
    Ok(updated)
}

/// Tries the settings once: with the secret typed in the form, or else the
/// one the keyring holds for that account name.
#[tauri::command]
pub async fn test_connection(
    account: AccountConfig,
    secret: Option<String>,
) -> Result<(), CommandError> {
    let secret = match secret.filter(|s| !s.is_empty()) {
        Some(s) => Secret::new(s),
        None => {
            let name = account.name().to_owned();
            blocking("reading the keyring", move || secrets::load(&name)).await?
        }
    };
    probe(&account, &secret).await?;
    Ok(())
}

/// Checks the edited rules, then has the runtime apply and save them. The
/// answer is the rules as saved (trimmed, without repeats).
#[tauri::command]
pub async fn save_rules(
    state: State<'_, AppState>,
    rules: serde_json::Value,
) -> Result<RulesEdit, CommandError> {
    let edit = RulesEdit::from_json(rules)?;
    let valid = edit.validate()?;
    let (reply, saved) = tokio::sync::oneshot::channel();
    send(&state, Command::SaveRules(Box::new(valid), reply))?;
    saved
        .await
        .map_err(|_| error("internal", "saving the rules stopped"))??;
    let view = state
        .view
        .lock()
        .map_err(|_| error("state_poisoned", "Deskbell's state is unavailable"))?;
    Ok(view.rules.clone())
}

#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, name: String) -> Result<(), CommandError> {
    blocking("removing the account", move || accounts::remove(&name)).await?;
    send(&state, Command::ReloadAccounts)
}

/// Opens a feed item's link in the default browser: https on the source's
/// own domains only (the pipeline already dropped any other).
#[tauri::command]
pub fn open_feed_item(state: State<'_, AppState>, id: u64) -> Result<(), CommandError> {
    let url = {
        let view = state
            .view
            .lock()
            .map_err(|_| error("state_poisoned", "Deskbell's state is unavailable"))?;
        let item = view
            .feed
            .get(id)
            .ok_or_else(|| error("feed_item_missing", format!("no feed item {id}")))?;
        item.url.clone()
    };
    let link = url
        .as_deref()
        .and_then(safe_link)
        .ok_or_else(|| error("no_link", "this item has no link to open"))?;
    open::that_detached(link.as_str()).map_err(|e| error("open_failed", e.to_string()))
}

#[tauri::command]
pub fn dismiss_away(state: State<'_, AppState>) -> Result<(), CommandError> {
    send(&state, Command::DismissAway)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused rule crosses as `{code, message, field}`, the field named as
    /// the page names its inputs; other errors carry no field.
    #[test]
    fn a_refused_rule_names_its_field_to_the_page() {
        let edit = RulesEdit::from_json(serde_json::json!({
            "new_ticket": {"groups": ["Billing"]},
            "quiet_hours": {},
            "hold_while_on_call": true,
            "me": {}
        }))
        .unwrap();
        let e = CommandError::from(edit.validate().unwrap_err());
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({
                "code": "rules_group",
                "field": "new_ticket.groups",
                "message": "group ids are numbers, like 43000012345; \"Billing\" is not"
            })
        );
        let e = CommandError::from(ProbeError::Timeout);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "probe_timeout", "message": "no answer within 10 seconds"})
        );
    }

    /// The window is granted exactly its commands: each allowed in
    /// capabilities/main.json and registered with generate_handler!, and
    /// nothing more.
    #[test]
    fn the_capability_grants_exactly_the_commands() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let desktop = std::fs::read_to_string(root.join("src-tauri/src/desktop.rs")).unwrap();
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
                desktop.contains(&format!("crate::commands::{c},")),
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
