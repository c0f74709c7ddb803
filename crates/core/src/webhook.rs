//! The no-app path: a Freshdesk automation rule whose "Trigger webhook"
//! action posts the body `docs/admin-guide.md` gives. Placeholders render
//! as text ("High", "Portal", "a, b"), so this maps the body to the product
//! event the rest of Deskbell reads (`onTicketCreate`), and says which
//! field is wrong when it cannot.

use serde::Deserialize;
use serde_json::{json, Value};
use thiserror::Error;

use crate::event::freshdesk::ticket_source_name;
use crate::wire::Domain;

/// The marker field naming what the rule reports.
pub const MARKER: &str = "deskbell_webhook";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("not JSON: {0}")]
    InvalidJson(String),
    #[error("{MARKER:?} must be \"ticket_created\"; got {0:?}")]
    UnknownTrigger(String),
    #[error("{field}: {problem}")]
    BadField {
        field: &'static str,
        problem: String,
    },
}

impl WebhookError {
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::InvalidJson(_) => "webhook_invalid_json",
            WebhookError::UnknownTrigger(_) => "webhook_unknown_trigger",
            WebhookError::BadField { .. } => "webhook_bad_field",
        }
    }
}

/// Every field is text, as the rule's placeholders render it; empty
/// placeholders (no agent, no type) arrive as "".
#[derive(Deserialize)]
struct Body {
    #[serde(rename = "deskbell_webhook")]
    trigger: String,
    domain: String,
    ticket: Ticket,
}

#[derive(Deserialize)]
struct Ticket {
    id: Value,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    source: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    agent_email: String,
    #[serde(default)]
    requester_name: String,
    #[serde(default)]
    requester_email: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> WebhookError {
    WebhookError::BadField {
        field,
        problem: problem.into(),
    }
}

fn priority_code(text: &str) -> Result<i64, WebhookError> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    match t.to_ascii_lowercase().as_str() {
        "low" => Ok(1),
        "medium" => Ok(2),
        "high" => Ok(3),
        "urgent" => Ok(4),
        _ => Err(bad(
            "ticket.priority",
            format!("{t:?} is not Low, Medium, High or Urgent"),
        )),
    }
}

/// The source's code when the name is one Freshdesk uses; otherwise none
/// (the ticket still notifies, without a source filter match).
fn source_code(text: &str) -> Option<i64> {
    let t = text.trim();
    t.parse::<i64>().ok().or_else(|| {
        (1..=10).find(|c| ticket_source_name(*c).is_some_and(|n| n.eq_ignore_ascii_case(t)))
    })
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// Whether `body` is a webhook body rather than a product event.
pub fn is_webhook(body: &[u8]) -> bool {
    memchr::memmem::find(body, MARKER.as_bytes()).is_some()
        && serde_json::from_slice::<Value>(body)
            .ok()
            .is_some_and(|v| v.get(MARKER).is_some())
}

/// The product event (`onTicketCreate`, one-line JSON) for a webhook body.
pub fn to_product_event(body: &[u8]) -> Result<String, WebhookError> {
    let body: Body =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidJson(e.to_string()))?;
    if body.trigger != "ticket_created" {
        return Err(WebhookError::UnknownTrigger(body.trigger));
    }
    let domain = Domain::parse(&body.domain)
        .ok_or_else(|| bad("domain", format!("{:?} is not a host name", body.domain)))?;
    let t = body.ticket;
    let id = match &t.id {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
    .ok_or_else(|| bad("ticket.id", format!("{} is not a ticket number", t.id)))?;
    let priority = priority_code(&t.priority)?;
    let tags: Vec<&str> = t.tags.split(',').filter_map(non_empty).collect();
    let mut ticket = json!({
        "id": id,
        "subject": t.subject,
        "priority": priority,
        "tags": tags,
        "type": non_empty(&t.kind),
        "source": source_code(&t.source),
    });
    // Names and emails only: the placeholders carry no agent or group ids.
    if let Some(group) = non_empty(&t.group_name) {
        ticket["group_name"] = json!(group);
    }
    if let Some(agent) = non_empty(&t.agent_email) {
        ticket["responder_email"] = json!(agent);
    }
    let event = json!({
        "domain": domain.as_str(),
        "event": "onTicketCreate",
        "data": {
            "ticket": ticket,
            "requester": {
                "name": non_empty(&t.requester_name),
                "email": non_empty(&t.requester_email),
            },
        },
        "source": "freshdesk_webhook",
    });
    Ok(event.to_string())
}
