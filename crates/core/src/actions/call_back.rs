//! "Call back" on a Xelion missed call: the PBX rings the agent's own
//! phone, then the customer. A login of its own (`me/login`, as the stream
//! does), then `POST me/device/pbx_call` with the number
//! (docs/actions.md). Sent once: a retry could ring the customer twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::l10n::{Arg, Locale, Msg};
use crate::notification::Notification;
use crate::stream::xelion_client::XelionAccount;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CallBackError {
    #[error("no Xelion account named {0:?} is configured")]
    NoAccount(String),
    #[error("the account's password is not in the OS keyring: {0}")]
    Keyring(String),
    #[error("the PBX cannot be reached ({0})")]
    Unreachable(String),
    #[error("the PBX refused the account's user name or password")]
    SignInNeeded,
    #[error("the PBX knows no phone of yours to ring first (HTTP 404)")]
    NoDevice,
    #[error("the PBX did not place the call: {0}")]
    Refused(String),
}

impl CallBackError {
    pub fn code(&self) -> &'static str {
        match self {
            CallBackError::NoAccount(_) => "no_account",
            CallBackError::Keyring(_) => "keyring",
            CallBackError::Unreachable(_) => "pbx_unreachable",
            CallBackError::SignInNeeded => "sign_in_needed",
            CallBackError::NoDevice => "no_device",
            CallBackError::Refused(_) => "pbx_refused",
        }
    }
}

/// The PBX's refusal, in its words where it gave some.
fn refusal(status: u16, body: &[u8]) -> CallBackError {
    let said: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let message = ["message", "error", "description"]
        .iter()
        .find_map(|k| said[k].as_str())
        .map(|m| m.chars().take(200).collect::<String>());
    match status {
        401 | 403 => CallBackError::SignInNeeded,
        404 => CallBackError::NoDevice,
        s => CallBackError::Refused(message.unwrap_or_else(|| format!("HTTP {s}"))),
    }
}

/// Asks the PBX to ring the agent's phone, then `number`.
pub async fn call_back(account: &XelionAccount, number: &str) -> Result<(), CallBackError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("deskbell/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CallBackError::Unreachable(e.to_string()))?;
    let unreachable = |e: reqwest::Error| CallBackError::Unreachable(e.without_url().to_string());
    let login = http
        .post(account.api("me/login"))
        .json(&account.login_body())
        .send()
        .await
        .map_err(unreachable)?;
    let status = login.status().as_u16();
    let body = login.bytes().await.unwrap_or_default();
    if status != 200 {
        return Err(refusal(status, &body).signed_in_or_not());
    }
    let session: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(token) = session["authentication"].as_str() else {
        return Err(CallBackError::Refused(
            "the PBX's login answer had no session".into(),
        ));
    };
    let placed = http
        .post(account.api("me/device/pbx_call"))
        .header("Authorization", format!("xelion {token}"))
        .json(&serde_json::json!({ "number": number }))
        .send()
        .await
        .map_err(unreachable)?;
    let status = placed.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = placed.bytes().await.unwrap_or_default();
    Err(refusal(status, &body))
}

impl CallBackError {
    /// A failed login is about the credentials, whatever its status.
    fn signed_in_or_not(self) -> CallBackError {
        match self {
            CallBackError::NoDevice => CallBackError::SignInNeeded,
            other => other,
        }
    }
}

/// The notification that replaces the pressed one.
pub fn outcome(
    pressed: &Notification,
    number: &str,
    result: &Result<(), CallBackError>,
    now: DateTime<Utc>,
    l: &Locale,
) -> Notification {
    let n = [("number", Arg::from(number))];
    let (title, body) = match result {
        Ok(()) => (
            l.text(Msg::Calling, &n),
            l.text(Msg::CallingRingsFirst, &[]),
        ),
        Err(e) => (l.text(Msg::CallBackFailed, &n), e.to_string()),
    };
    super::outcome(pressed, "call-back", title, body, now)
}
