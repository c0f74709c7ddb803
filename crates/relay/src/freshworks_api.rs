//! A client for Freshworks' REST APIs, as the relay calls them with the
//! helpdesk's admin API key: one request at a time (GET, and the PUT of an
//! assignment), JSON answers, `429` with its
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
    /// Freshdesk: Basic auth with the key as the user and `X` as the
    /// password.
    BasicKey(Secret),
}

/// One answer of a paged list: the JSON, the next page's URL from the
/// `Link: <...>; rel="next"` header (Freshdesk), and how many requests the
/// account has left this minute (`X-RateLimit-Remaining`).
#[derive(Debug)]
pub struct Page {
    pub body: serde_json::Value,
    pub next: Option<Url>,
    pub remaining: Option<u64>,
}

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("rate limited (429), retry after {0:?}")]
    RateLimited(Option<Duration>),
    #[error("the API key was refused ({0})")]
    Refused(u16),
    #[error("the API answered {0}")]
    Status(u16),
    #[error("no such record (404)")]
    NotFound,
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
            ApiError::NotFound => "not_found",
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

    /// The client for an account's API as configured: `url` held to the
    /// https rule (http only to loopback), `api_path` under it
    /// (`api/v2/`), and the key in the product's `auth`.
    pub fn for_account(
        url: &str,
        api_path: &str,
        key: Option<&Secret>,
        auth: fn(Secret) -> Auth,
    ) -> Result<ApiClient, ApiError> {
        let url = deskbell_core::stream::relay_client::check_url(url)
            .map_err(|e| ApiError::Unexpected(e.to_string()))?;
        let base = url
            .join(api_path)
            .map_err(|e| ApiError::Unexpected(e.to_string()))?;
        let key = key
            .cloned()
            .ok_or_else(|| ApiError::Unexpected("no API key".into()))?;
        ApiClient::new(base, auth(key))
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
        let mut url = self
            .base
            .join(path)
            .map_err(|e| ApiError::Unexpected(format!("{path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(self.get_page(url).await?.body)
    }

    /// `PUT base/path` with a JSON body, the answer as JSON.
    pub async fn put(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ApiError::Unexpected(format!("{path}: {e}")))?;
        Ok(self.send(reqwest::Method::PUT, url, Some(body)).await?.body)
    }

    /// `GET url`, with the page's links and the rate limit's headers. The
    /// key is sent only to the API's own host: a `next` link elsewhere is
    /// refused.
    pub async fn get_page(&self, url: Url) -> Result<Page, ApiError> {
        self.send(reqwest::Method::GET, url, None).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Page, ApiError> {
        // Nor over another scheme: an http:// link would send it in clear.
        if url.scheme() != self.base.scheme()
            || url.host_str() != self.base.host_str()
            || url.port() != self.base.port()
        {
            return Err(ApiError::Unexpected(format!(
                "a link to another host ({}) was not followed",
                url.host_str().unwrap_or_default()
            )));
        }
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(body);
        }
        match &self.auth {
            Auth::ApiAuthHeader(key) => req = req.header("X-Api-Auth", key.expose()),
            Auth::BasicKey(key) => req = req.basic_auth(key.expose(), Some("X")),
        }
        let resp = req.send().await.map_err(|e| {
            // The URL carries no secret, but the error's text need not name it.
            ApiError::Unreachable(innermost(&e))
        })?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok());
        let next = header("link").and_then(|v| next_link(&v));
        match resp.status() {
            s if s.is_success() => Ok(Page {
                body: resp
                    .json()
                    .await
                    .map_err(|e| ApiError::Unexpected(innermost(&e)))?,
                next,
                remaining,
            }),
            StatusCode::TOO_MANY_REQUESTS => Err(ApiError::RateLimited(
                header(RETRY_AFTER.as_str())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            )),
            s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                Err(ApiError::Refused(s.as_u16()))
            }
            StatusCode::NOT_FOUND => Err(ApiError::NotFound),
            s => Err(ApiError::Status(s.as_u16())),
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }
}

/// The `rel="next"` URL of a `Link` header (RFC 8288), as Freshdesk sends
/// it: `<https://acme.freshdesk.com/api/v2/agents?page=2>; rel="next"`.
pub fn next_link(header: &str) -> Option<Url> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        is_next.then(|| Url::parse(target).ok()).flatten()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_key_never_follows_a_link_to_another_host_port_or_scheme() {
        let base = Url::parse("https://acme.freshdesk.com/api/v2/").unwrap();
        let client = ApiClient::new(base, Auth::BasicKey(Secret::new("k"))).unwrap();
        for link in [
            "https://evil.example/api/v2/agents?page=2",
            "https://acme.freshdesk.com:8443/api/v2/agents?page=2",
            "http://acme.freshdesk.com/api/v2/agents?page=2",
        ] {
            let refused = client.get_page(Url::parse(link).unwrap()).await;
            assert!(
                matches!(&refused, Err(ApiError::Unexpected(why)) if why.contains("not followed")),
                "{link}: {refused:?}"
            );
        }
    }

    #[test]
    fn the_next_link_is_found_among_others_and_garbage_is_none() {
        let h = r#"<https://acme.freshdesk.com/api/v2/agents?per_page=100&page=1>; rel="prev", <https://acme.freshdesk.com/api/v2/agents?per_page=100&page=3>; rel="next""#;
        assert_eq!(
            next_link(h).unwrap().as_str(),
            "https://acme.freshdesk.com/api/v2/agents?per_page=100&page=3"
        );
        assert!(next_link(r#"<https://x.example/a>; rel="prev""#).is_none());
        assert!(next_link("garbage").is_none());
        assert!(next_link(r#"<not a url>; rel="next""#).is_none());
    }
}
