//! "Test connection": one request with the account's secret, answered with
//! what an agent can act on. The relay's stream is opened and dropped once
//! its headers arrive; a Xelion PBX is asked to log in. Nothing is retried.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use thiserror::Error;

use super::relay_client::{check_url, EndpointError, RelayEndpoint};
use super::xelion_client::XelionAccount;
use crate::config::AccountConfig;
use crate::secret::Secret;

/// How long a probe waits for the server's answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum ProbeError {
    #[error(transparent)]
    Url(#[from] EndpointError),
    #[error("cannot reach {host}: {detail}")]
    Unreachable { host: String, detail: String },
    /// "{problem}" names the failed check, e.g. UnknownIssuer for a private CA.
    #[error("{host}: {problem}")]
    Untrusted { host: String, problem: String },
    #[error("no answer within {} seconds", PROBE_TIMEOUT.as_secs())]
    Timeout,
    #[error("the server refused the {what} ({status})")]
    Refused { what: &'static str, status: u16 },
    #[error("the server answered {0}")]
    Status(u16),
    #[error("this URL answers, but not as a Deskbell relay (no event stream)")]
    NotARelay,
    #[error("this URL answers, but not as a Xelion PBX (no session in the login answer)")]
    NotAPbx,
    #[error("HTTP client: {0}")]
    Client(String),
}

impl ProbeError {
    /// True when the server answered and refused the secret: worth refusing
    /// to save an account for, where a network problem is not.
    pub fn is_refused(&self) -> bool {
        matches!(self, ProbeError::Refused { .. })
    }

    /// Stable codes the UI can show and test against.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeError::Url(e) => e.code(),
            ProbeError::Unreachable { .. } => "probe_unreachable",
            ProbeError::Untrusted { .. } => "probe_untrusted_certificate",
            ProbeError::Timeout => "probe_timeout",
            ProbeError::Refused { .. } => "probe_refused",
            ProbeError::Status(_) => "probe_status",
            ProbeError::NotARelay => "probe_not_a_relay",
            ProbeError::NotAPbx => "probe_not_a_pbx",
            ProbeError::Client(_) => "probe_client",
        }
    }
}

/// Tries `account` with `secret` once.
pub async fn probe(account: &AccountConfig, secret: &Secret) -> Result<(), ProbeError> {
    let base = check_url(account.url())?;
    let http = reqwest::Client::builder()
        .connect_timeout(PROBE_TIMEOUT)
        .timeout(PROBE_TIMEOUT)
        .user_agent(concat!("deskbell/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProbeError::Client(e.to_string()))?;
    let at = base.clone();
    let sent = |e: reqwest::Error| unreachable(&at, &e);
    match account {
        AccountConfig::Relay { .. } => {
            // The first relay only: the one the account names first.
            let endpoint = RelayEndpoint {
                base,
                fallbacks: Vec::new(),
                token: secret.clone(),
                events: vec!["onAgentUpdate".into()],
            };
            // Dropped once the headers are in: the body is the live stream.
            let resp = http
                .get(endpoint.stream_url())
                .bearer_auth(endpoint.token.expose())
                .header(ACCEPT, "text/event-stream")
                .send()
                .await
                .map_err(sent)?;
            check_status(resp.status(), "token")?;
            let sse = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            if sse {
                Ok(())
            } else {
                Err(ProbeError::NotARelay)
            }
        }
        AccountConfig::Xelion {
            tenant,
            user,
            user_space,
            ..
        } => {
            let xelion = XelionAccount {
                base,
                tenant: tenant.clone(),
                user: user.clone(),
                password: secret.clone(),
                user_space: user_space.clone(),
                admin: false,
            };
            let resp = http
                .post(xelion.api("me/login"))
                .json(&xelion.login_body())
                .send()
                .await
                .map_err(sent)?;
            check_status(resp.status(), "user name or password")?;
            let session: serde_json::Value = resp.json().await.map_err(|_| ProbeError::NotAPbx)?;
            if session["authentication"].is_string() {
                Ok(())
            } else {
                Err(ProbeError::NotAPbx)
            }
        }
    }
}

/// A request to `base` that got no answer, as an agent can act on it.
pub(crate) fn unreachable(base: &reqwest::Url, e: &reqwest::Error) -> ProbeError {
    let host = base.host_str().unwrap_or_default().to_owned();
    let detail = innermost(e);
    if e.is_timeout() {
        ProbeError::Timeout
    } else if let Some(problem) = super::certificate_problem(&detail) {
        ProbeError::Untrusted { host, problem }
    } else {
        ProbeError::Unreachable { host, detail }
    }
}

fn check_status(status: StatusCode, what: &'static str) -> Result<(), ProbeError> {
    match status {
        s if s.is_success() => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ProbeError::Refused {
            what,
            status: status.as_u16(),
        }),
        s => Err(ProbeError::Status(s.as_u16())),
    }
}

/// The deepest cause ("Connection refused"), which is what a person can act on.
fn innermost(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}
