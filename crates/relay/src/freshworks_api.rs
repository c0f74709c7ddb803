//! A client for Freshworks' REST APIs, as the relay calls them with the
//! helpdesk's admin API key: one GET at a time, JSON answers, `429` with its
//! `Retry-After` reported (never retried here: the caller's schedule waits),
//! and errors with stable codes for `/metrics` and the log. The key goes
//! into the request header and nowhere else.

use std::time::Duration;

use deskbell_core::secret::Secret;
use reqwest::header::RETRY_AFTER;
use reqwest::{StatusCode, Url};
use thiserror::Error;

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone, Debug)]
pub enum Auth {
    /// Freshcaller: the key in `X-Api-Auth`.
    ApiAuthHeader(Secret),
}

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("rate limited (429), retry after {0:?}")]
    RateLimited(Option<Duration>),
    #[error("the API key was refused ({0})")]
    Refused(u16),
    #[error("the API answered {0}")]
    Status(u16),
    #[error("cannot reach the API: {0}")]
    Unreachable(String),
    #[error("the API's answer is not what its documentation describes: {0}")]
    Unexpected(String),
}

impl ApiError {
    /// Stable codes: `/metrics` labels and log fields.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Refused(_) => "refused",
            ApiError::Status(_) => "status",
            ApiError::Unreachable(_) => "unreachable",
            ApiError::Unexpected(_) => "unexpected",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
}

impl ApiClient {
    /// `base` is the API's root, e.g. `https://acme.freshcaller.com/api/v1/`.
    pub fn new(base: Url, auth: Auth) -> Result<ApiClient, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("deskbell-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        Ok(ApiClient { http, base, auth })
    }

    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// `GET base/path?query`, the answer as JSON.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<serde_json::Value, ApiError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ApiError::Unexpected(format!("{path}: {e}")))?;
        let mut req = self.http.get(url).query(query);
        match &self.auth {
            Auth::ApiAuthHeader(key) => req = req.header("X-Api-Auth", key.expose()),
        }
        let resp = req.send().await.map_err(|e| {
            // The URL carries no secret, but the error's text need not name it.
            ApiError::Unreachable(innermost(&e))
        })?;
        match resp.status() {
            s if s.is_success() => resp
                .json()
                .await
                .map_err(|e| ApiError::Unexpected(innermost(&e))),
            StatusCode::TOO_MANY_REQUESTS => Err(ApiError::RateLimited(
                resp.headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            )),
            s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                Err(ApiError::Refused(s.as_u16()))
            }
            s => Err(ApiError::Status(s.as_u16())),
        }
    }
}

fn innermost(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}
