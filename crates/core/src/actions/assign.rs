//! "Assign to me", the desktop's half: `POST /v1/tickets/{id}/assign` to
//! the account's relay with its agent token (docs/stream-protocol.md). The
//! relay holds the admin API key, reads the ticket and writes only while
//! nobody has it; here the answer becomes the notification that replaces
//! the one pressed. Never retried from here: the relay already waited out
//! one 429, and Freshdesk's limit is the whole account's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use thiserror::Error;
use url::Url;

use super::ago;
use crate::l10n::{Arg, Locale, Msg};
use crate::notification::Notification;
use crate::secret::Secret;

const ASSIGN_TIMEOUT: Duration = Duration::from_secs(45);

/// The relay's `200` answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Assigned {
    Assigned {
        ticket: String,
    },
    AlreadyYours {
        ticket: String,
    },
    Taken {
        ticket: String,
        #[serde(default)]
        by: Option<String>,
        #[serde(default)]
        at: Option<String>,
    },
}

/// Why it was not done, each with a code the log and the UI show.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AssignError {
    #[error("no relay account named {0:?} is configured")]
    NoAccount(String),
    #[error("the account's token is not in the OS keyring: {0}")]
    Keyring(String),
    #[error("the relay cannot be reached ({0})")]
    Unreachable(String),
    #[error("the relay refused this desktop's token; add the account again")]
    SignInNeeded,
    #[error("the relay cannot assign tickets (it has no Freshdesk API key)")]
    NotConfigured,
    #[error("this desktop's token is bound to no Freshdesk agent; ask the relay's admin")]
    NoAgent,
    #[error("Freshdesk has no such ticket any more")]
    TicketMissing,
    #[error("Freshdesk's rate limit is reached; try again in {0} s")]
    RateLimited(u64),
    #[error("Freshdesk refused the relay's API key; the relay's admin must check it")]
    KeyRefused,
    #[error("Freshdesk did not assign it: {0}")]
    Refused(String),
    #[error("the relay answered something else (HTTP {0})")]
    NotARelay(u16),
}

impl AssignError {
    pub fn code(&self) -> &'static str {
        match self {
            AssignError::NoAccount(_) => "no_account",
            AssignError::Keyring(_) => "keyring",
            AssignError::Unreachable(_) => "relay_unreachable",
            AssignError::SignInNeeded => "sign_in_needed",
            AssignError::NotConfigured => "assign_not_configured",
            AssignError::NoAgent => "no_agent",
            AssignError::TicketMissing => "ticket_missing",
            AssignError::RateLimited(_) => "rate_limited",
            AssignError::KeyRefused => "api_key_refused",
            AssignError::Refused(_) => "rejected",
            AssignError::NotARelay(_) => "not_a_relay",
        }
    }

    /// A refusal as the relay words it: status, `error`, `message`, and
    /// `Retry-After` for a 503.
    fn of(status: u16, code: &str, message: &str, retry_after: Option<u64>) -> AssignError {
        match (status, code) {
            (401 | 403, _) => AssignError::SignInNeeded,
            (_, "assign_not_configured") => AssignError::NotConfigured,
            (_, "no_agent") => AssignError::NoAgent,
            (_, "ticket_missing") => AssignError::TicketMissing,
            (_, "rate_limited") => AssignError::RateLimited(retry_after.unwrap_or(60)),
            (_, "api_key_refused") => AssignError::KeyRefused,
            (_, "bad_ticket" | "rejected" | "api_unavailable") => {
                AssignError::Refused(message.chars().take(200).collect())
            }
            _ => AssignError::NotARelay(status),
        }
    }
}

/// Asks the account's relays, in order, to assign `ticket` to the token's
/// agent: the next relay only when one cannot be reached, never after an
/// answer (an assignment may have been made).
pub async fn assign(relays: &[Url], token: &Secret, ticket: &str) -> Result<Assigned, AssignError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(ASSIGN_TIMEOUT)
        .user_agent(concat!("deskbell/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AssignError::Unreachable(e.to_string()))?;
    let mut last = AssignError::Unreachable("no relay configured".into());
    for base in relays {
        let mut url = base.clone();
        match url.path_segments_mut() {
            Ok(mut p) => {
                p.pop_if_empty().extend(["v1", "tickets", ticket, "assign"]);
            }
            Err(()) => continue,
        }
        let sent = http.post(url).bearer_auth(token.expose()).send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                last = AssignError::Unreachable(format!("{}: {e}", base.host_str().unwrap_or("")));
                continue;
            }
            Err(e) => return Err(AssignError::Unreachable(e.without_url().to_string())),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = resp.bytes().await.unwrap_or_default();
        if status == 200 {
            return serde_json::from_slice(&body).map_err(|_| AssignError::NotARelay(status));
        }
        let refusal: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        return Err(AssignError::of(
            status,
            refusal["error"].as_str().unwrap_or(""),
            refusal["message"].as_str().unwrap_or(""),
            retry_after,
        ));
    }
    Err(last)
}

/// "an agent …" opening a sentence.
fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The notification that replaces the pressed one ([`super::outcome`]).
pub fn outcome(
    pressed: &Notification,
    ticket: &str,
    result: &Result<Assigned, AssignError>,
    now: DateTime<Utc>,
    l: &Locale,
) -> Notification {
    let id = ("id", Arg::from(ticket));
    let (title, body) = match result {
        Ok(Assigned::Assigned { .. }) => (l.text(Msg::AssignedYours, &[id]), pressed.title.clone()),
        Ok(Assigned::AlreadyYours { .. }) => {
            (l.text(Msg::AssignedAlready, &[id]), pressed.title.clone())
        }
        Ok(Assigned::Taken { by, at, .. }) => {
            let who = by
                .clone()
                .filter(|b| !b.trim().is_empty())
                .unwrap_or_else(|| capitalized(&l.text(Msg::UnknownAgent, &[])));
            let who = ("who", Arg::from(&who));
            let title = match at
                .as_deref()
                .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
            {
                Some(a) => l.text(
                    Msg::AssignedTakenAgo,
                    &[who, id, ("ago", (&ago(a.to_utc(), now, l)).into())],
                ),
                None => l.text(Msg::AssignedTaken, &[who, id]),
            };
            let body = l.text(Msg::NothingChanged, &[("title", (&pressed.title).into())]);
            (title, body)
        }
        Err(e) => (l.text(Msg::AssignFailed, &[id]), e.to_string()),
    };
    super::outcome(pressed, "assign", title, body, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_relays_meaning() {
        for (status, code, want) in [
            (401, "", "sign_in_needed"),
            (501, "assign_not_configured", "assign_not_configured"),
            (409, "no_agent", "no_agent"),
            (404, "ticket_missing", "ticket_missing"),
            (503, "rate_limited", "rate_limited"),
            (502, "api_key_refused", "api_key_refused"),
            (502, "rejected", "rejected"),
            (500, "", "not_a_relay"),
        ] {
            assert_eq!(AssignError::of(status, code, "m", Some(7)).code(), want);
        }
        assert_eq!(
            AssignError::of(503, "rate_limited", "", Some(7)).to_string(),
            "Freshdesk's rate limit is reached; try again in 7 s"
        );
    }
}
