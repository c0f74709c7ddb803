//! One-time invitations: the relay's admin runs `deskbell-relay invite NAME`,
//! the agent pastes the code (or clicks the `deskbell://invite?...` link),
//! and the desktop exchanges it once, over HTTPS, for a token of its own
//! (`POST /v1/invites/redeem`, docs/stream-protocol.md), which goes straight
//! into the keyring. Neither the code nor the token is written to a file.

use thiserror::Error;
use url::Url;

use crate::secret::Secret;

/// The link `deskbell-relay invite` prints.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteLink {
    /// The relay's URL, as desktops reach it.
    pub relay: String,
    pub code: String,
    /// The token's name, offered as the account's name.
    pub name: Option<String>,
}

impl std::fmt::Debug for InviteLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteLink")
            .field("relay", &self.relay)
            .field("code", &"[redacted]")
            .field("name", &self.name)
            .finish()
    }
}

pub const SCHEME: &str = "deskbell";

impl InviteLink {
    pub fn to_url(&self) -> String {
        let mut url = format!("{SCHEME}://invite?");
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("relay", &self.relay);
        q.append_pair("code", &self.code);
        if let Some(name) = &self.name {
            q.append_pair("name", name);
        }
        url.push_str(&q.finish());
        url
    }

    /// `deskbell://invite?relay=...&code=...[&name=...]`.
    pub fn parse(raw: &str) -> Result<InviteLink, InviteError> {
        let bad = || InviteError::BadLink;
        let url = Url::parse(raw.trim()).map_err(|_| bad())?;
        if url.scheme() != SCHEME || url.host_str() != Some("invite") {
            return Err(bad());
        }
        let (mut relay, mut code, mut name) = (None, None, None);
        for (k, v) in url.query_pairs() {
            match &*k {
                "relay" => relay = Some(v.into_owned()),
                "code" => code = Some(v.into_owned()),
                "name" => name = Some(v.into_owned()).filter(|n| !n.trim().is_empty()),
                _ => {}
            }
        }
        match (relay, code) {
            (Some(relay), Some(code)) if !relay.is_empty() && !code.is_empty() => {
                Ok(InviteLink { relay, code, name })
            }
            _ => Err(bad()),
        }
    }
}

/// Why an invitation gave no token. Nothing was changed by any of them.
#[derive(Debug, Error)]
pub enum InviteError {
    #[error("not a Deskbell invitation link (deskbell://invite?relay=...&code=...)")]
    BadLink,
    #[error("no invitation code given")]
    NoCode,
    #[error("this invitation code is not one the relay gave (check it, or ask for a new one)")]
    Unknown,
    #[error("this invitation code was used already; ask your admin for a new one")]
    Used,
    #[error("this invitation code has expired; ask your admin for a new one")]
    Expired,
    #[error("the relay already has a token named {0:?}; ask your admin to revoke it or invite you under another name")]
    NameTaken(String),
    #[error("too many wrong codes were tried on this relay; wait a minute")]
    TooManyAttempts,
    #[error("the relay could not take the invitation now ({0}); try again")]
    Unavailable(u16),
    #[error("this URL answers, but not as a Deskbell relay ({0})")]
    NotARelay(u16),
    #[cfg(feature = "net")]
    #[error(transparent)]
    Connect(#[from] crate::stream::probe::ProbeError),
}

impl InviteError {
    /// Stable codes the UI can show and test against.
    pub fn code(&self) -> &'static str {
        match self {
            InviteError::BadLink => "invite_link",
            InviteError::NoCode => "invite_empty",
            InviteError::Unknown => "invite_unknown",
            InviteError::Used => "invite_used",
            InviteError::Expired => "invite_expired",
            InviteError::NameTaken(_) => "invite_name_taken",
            InviteError::TooManyAttempts => "invite_too_many",
            InviteError::Unavailable(_) => "invite_unavailable",
            InviteError::NotARelay(_) => "invite_not_a_relay",
            #[cfg(feature = "net")]
            InviteError::Connect(e) => e.code(),
        }
    }

    /// The relay's refusal (`{"error": CODE}`) as an error.
    pub fn from_refusal(status: u16, code: &str, name: &str) -> InviteError {
        match code {
            "invite_unknown" => InviteError::Unknown,
            "invite_used" => InviteError::Used,
            "invite_expired" => InviteError::Expired,
            "token_exists" => InviteError::NameTaken(name.to_owned()),
            "too_many_attempts" => InviteError::TooManyAttempts,
            _ if status >= 500 => InviteError::Unavailable(status),
            _ => InviteError::NotARelay(status),
        }
    }
}

/// What a redeemed invitation gave.
#[derive(Debug)]
pub struct Redeemed {
    /// The token's name on the relay.
    pub name: String,
    pub email: Option<String>,
    pub token: Secret,
}

#[cfg(feature = "net")]
#[derive(serde::Deserialize)]
struct RedeemAnswer {
    name: String,
    #[serde(default)]
    email: Option<String>,
    token: String,
}

/// Exchanges `code` at the relay `relay` (https, or http to this machine)
/// for a token, once. Never retried: a second try of a code that worked is
/// a used code.
#[cfg(feature = "net")]
pub async fn redeem(relay: &str, code: &str) -> Result<Redeemed, InviteError> {
    use crate::stream::probe::ProbeError;
    use crate::stream::relay_client::check_url;
    let code = code.trim();
    if code.is_empty() {
        return Err(InviteError::NoCode);
    }
    let base = check_url(relay).map_err(ProbeError::from)?;
    let url = base
        .join("v1/invites/redeem")
        .map_err(|_| ProbeError::Client("the relay's URL takes no path".into()))?;
    let http = reqwest::Client::builder()
        .connect_timeout(crate::stream::probe::PROBE_TIMEOUT)
        .timeout(crate::stream::probe::PROBE_TIMEOUT)
        .user_agent(concat!("deskbell/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProbeError::Client(e.to_string()))?;
    let resp = http
        .post(url)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .map_err(|e| crate::stream::probe::unreachable(&base, &e))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    if status == 200 {
        let answer: RedeemAnswer =
            serde_json::from_slice(&body).map_err(|_| InviteError::NotARelay(status))?;
        return Ok(Redeemed {
            name: answer.name,
            email: answer.email,
            token: Secret::new(answer.token),
        });
    }
    let refusal: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let error = refusal["error"].as_str().unwrap_or("");
    let name = refusal["name"].as_str().unwrap_or("");
    Err(InviteError::from_refusal(status, error, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_and_hides_its_code_from_debug() {
        let link = InviteLink {
            relay: "https://relay.acme.example/".into(),
            code: "K7QM-2XPA-9DHT".into(),
            name: Some("ann laptop".into()),
        };
        let url = link.to_url();
        assert!(
            url.starts_with("deskbell://invite?relay=https%3A%2F%2Frelay"),
            "{url}"
        );
        assert_eq!(InviteLink::parse(&url).unwrap(), link);
        assert!(!format!("{link:?}").contains("K7QM"));
    }

    #[test]
    fn anything_else_is_not_an_invitation() {
        for bad in [
            "",
            "https://relay.acme.example/?code=X",
            "deskbell://open?relay=https://r/&code=X",
            "deskbell://invite?relay=https://r/",
            "deskbell://invite?code=X",
            "deskbell://invite?relay=&code=X",
        ] {
            assert_eq!(
                InviteLink::parse(bad).unwrap_err().code(),
                "invite_link",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refusals_keep_their_meaning() {
        assert_eq!(
            InviteError::from_refusal(410, "invite_used", "").code(),
            "invite_used"
        );
        assert_eq!(
            InviteError::from_refusal(410, "invite_expired", "").code(),
            "invite_expired"
        );
        assert_eq!(
            InviteError::from_refusal(404, "invite_unknown", "").code(),
            "invite_unknown"
        );
        assert_eq!(
            InviteError::from_refusal(409, "token_exists", "ann").to_string(),
            "the relay already has a token named \"ann\"; ask your admin to revoke it or invite you under another name"
        );
        assert_eq!(
            InviteError::from_refusal(404, "", "").code(),
            "invite_not_a_relay"
        );
        assert_eq!(
            InviteError::from_refusal(503, "", "").code(),
            "invite_unavailable"
        );
    }
}
