//! "Assign to me": a desktop asks, with its agent token, that a ticket with
//! no agent be given to the token's own agent (`POST /v1/tickets/{id}/assign`,
//! docs/stream-protocol.md). The relay holds the helpdesk's admin API key;
//! a token can only ever assign to the Freshdesk agent `GET /v1/me` names
//! for it. The relay reads the ticket first (`GET /api/v2/tickets/{id}`) and
//! only while it has no agent sends `PUT /api/v2/tickets/{id}` with
//! `{"responder_id": ...}`; someone else's ticket is left alone and the
//! answer says whose it is. A `429` is waited out once, by its
//! `Retry-After`, never in a loop: the API's limit is the whole account's.

use std::time::Duration;

use serde::Serialize;
use thiserror::Error;

use crate::config::FreshdeskConfig;
use crate::freshworks_api::{ApiClient, ApiError};

/// The longest `Retry-After` waited out within one request; a longer one is
/// the desktop's to say ("try again in N s").
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// What an assignment did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Assigned {
    /// The ticket had no agent and is now the token's agent's.
    Assigned { ticket: String, agent_id: String },
    /// It was the token's agent's already: nothing sent.
    AlreadyYours { ticket: String },
    /// Another agent has it; nothing was changed. `by` is their name when
    /// the directory knows it; `at` the ticket's `updated_at`.
    Taken {
        ticket: String,
        by_id: String,
        by: Option<String>,
        at: Option<String>,
    },
}

#[derive(Debug, Error)]
pub enum AssignError {
    #[error("this relay has no Freshdesk API configured ([freshdesk] in relay.toml)")]
    NotConfigured,
    #[error("this token is bound to no Freshdesk agent (deskbell-relay token add NAME --email EMAIL, and the agent in Freshdesk with that email)")]
    NoAgent,
    #[error("{0:?} is not a ticket id")]
    BadTicket(String),
    #[error("Freshdesk has no ticket {0}")]
    TicketMissing(String),
    #[error("Freshdesk refused the relay's API key ({0}); the relay's admin must check it")]
    KeyRefused(u16),
    #[error("Freshdesk's rate limit is reached; try again in {} s", .0.map_or(60, |d| d.as_secs()))]
    RateLimited(Option<Duration>),
    #[error("Freshdesk refused the assignment: {0}")]
    Rejected(String),
    #[error("Freshdesk: {0}")]
    Api(ApiError),
}

impl AssignError {
    /// Stable codes for the desktop and the log.
    pub fn code(&self) -> &'static str {
        match self {
            AssignError::NotConfigured => "assign_not_configured",
            AssignError::NoAgent => "no_agent",
            AssignError::BadTicket(_) => "bad_ticket",
            AssignError::TicketMissing(_) => "ticket_missing",
            AssignError::KeyRefused(_) => "api_key_refused",
            AssignError::RateLimited(_) => "rate_limited",
            AssignError::Rejected(_) => "rejected",
            AssignError::Api(_) => "api_unavailable",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AssignError::NotConfigured => 501,
            AssignError::NoAgent => 409,
            AssignError::BadTicket(_) => 400,
            AssignError::TicketMissing(_) => 404,
            AssignError::KeyRefused(_) | AssignError::Rejected(_) | AssignError::Api(_) => 502,
            AssignError::RateLimited(_) => 503,
        }
    }

    fn of(ticket: &str, e: ApiError) -> AssignError {
        match e {
            ApiError::NotFound => AssignError::TicketMissing(ticket.to_owned()),
            ApiError::Refused(status) => AssignError::KeyRefused(status),
            ApiError::RateLimited(after) => AssignError::RateLimited(after),
            ApiError::Status(400) => {
                AssignError::Rejected("the agent is not one Freshdesk knows".into())
            }
            other => AssignError::Api(other),
        }
    }
}

/// The relay's side of "assign to me", over Freshdesk's API.
#[derive(Clone, Debug)]
pub struct Assigner {
    client: ApiClient,
    max_wait: Duration,
}

impl Assigner {
    pub fn new(config: &FreshdeskConfig) -> Result<Assigner, ApiError> {
        Ok(Assigner {
            client: config.api_client()?,
            max_wait: MAX_RETRY_WAIT,
        })
    }

    /// Gives `ticket` to `agent_id` if it has no agent. `name_of` names an
    /// agent by id (the directory).
    pub async fn assign(
        &self,
        ticket: &str,
        agent_id: &str,
        name_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Assigned, AssignError> {
        if ticket.is_empty() || ticket.len() > 20 || !ticket.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AssignError::BadTicket(ticket.to_owned()));
        }
        let path = format!("tickets/{ticket}");
        let current = self
            .once_more_after_429(|| self.client.get(&path, &[]))
            .await
            .map_err(|e| AssignError::of(ticket, e))?;
        let holder = match &current["responder_id"] {
            serde_json::Value::Null => None,
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) => Some(s.clone()),
            _ => {
                return Err(AssignError::Api(ApiError::Unexpected(
                    "responder_id is neither a number nor null".into(),
                )))
            }
        };
        match holder {
            Some(id) if id == agent_id => {
                return Ok(Assigned::AlreadyYours {
                    ticket: ticket.to_owned(),
                })
            }
            Some(id) => {
                return Ok(Assigned::Taken {
                    ticket: ticket.to_owned(),
                    by: name_of(&id),
                    by_id: id,
                    at: current["updated_at"].as_str().map(str::to_owned),
                })
            }
            None => {}
        }
        // Freshdesk's ids are numbers; the directory keeps them as text.
        let responder: serde_json::Value = agent_id
            .parse::<u64>()
            .map(Into::into)
            .map_err(|_| AssignError::NoAgent)?;
        let body = serde_json::json!({ "responder_id": responder });
        self.once_more_after_429(|| self.client.put(&path, &body))
            .await
            .map_err(|e| AssignError::of(ticket, e))?;
        Ok(Assigned::Assigned {
            ticket: ticket.to_owned(),
            agent_id: agent_id.to_owned(),
        })
    }

    /// `call`, and once more after a `429`'s `Retry-After` when that is
    /// short; never a third time.
    async fn once_more_after_429<F, Fut>(&self, call: F) -> Result<serde_json::Value, ApiError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<serde_json::Value, ApiError>>,
    {
        match call().await {
            Err(ApiError::RateLimited(Some(wait))) if wait <= self.max_wait => {
                tokio::time::sleep(wait).await;
                call().await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_codes_and_statuses() {
        let cases = [
            (
                AssignError::of("7", ApiError::NotFound),
                "ticket_missing",
                404,
            ),
            (
                AssignError::of("7", ApiError::Refused(401)),
                "api_key_refused",
                502,
            ),
            (
                AssignError::of("7", ApiError::RateLimited(Some(Duration::from_secs(9)))),
                "rate_limited",
                503,
            ),
            (AssignError::of("7", ApiError::Status(400)), "rejected", 502),
            (AssignError::NoAgent, "no_agent", 409),
        ];
        for (e, code, status) in cases {
            assert_eq!((e.code(), e.status()), (code, status), "{e}");
        }
        assert_eq!(
            AssignError::RateLimited(Some(Duration::from_secs(9))).to_string(),
            "Freshdesk's rate limit is reached; try again in 9 s"
        );
    }
}
