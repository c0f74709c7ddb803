//! The relay's settings: a TOML file, plus `DESKBELL_RELAY_SECRET` (and
//! `DESKBELL_RELAY_SECRET_PREVIOUS` while the secret is being rotated); and
//! where the relay's data is when `--data` is not given.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use deskbell_core::secret::Secret;
use serde::Deserialize;
use thiserror::Error;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
pub const SECRET_ENV: &str = "DESKBELL_RELAY_SECRET";
pub const PREVIOUS_SECRET_ENV: &str = "DESKBELL_RELAY_SECRET_PREVIOUS";
/// Where the .deb's service keeps its data and its config.
pub const INSTALLED_DATA_DIR: &str = "/var/lib/deskbell-relay";
pub const INSTALLED_CONFIG: &str = "/etc/deskbell-relay/relay.toml";

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct RelayConfig {
    pub listen: SocketAddr,
    /// The ingress secret; `DESKBELL_RELAY_SECRET` wins when set.
    #[serde(deserialize_with = "secret")]
    pub ingress_secret: Option<Secret>,
    /// The secret being replaced, still accepted while the forwarding app
    /// moves to the new one; `DESKBELL_RELAY_SECRET_PREVIOUS` wins when set.
    #[serde(deserialize_with = "secret")]
    pub ingress_secret_previous: Option<Secret>,
    pub retention: Retention,
    /// Seconds between keepalive comments on an idle stream.
    pub keepalive_seconds: u64,
    /// Freshcaller's REST API, polled for calls and agent statuses.
    pub freshcaller: Option<FreshcallerConfig>,
    /// Freshdesk's REST API, read for the directory (agents and groups).
    pub freshdesk: Option<FreshdeskConfig>,
    /// How often the directory is read again from Freshworks' APIs
    /// (seconds; it is read at start too).
    pub directory_refresh_seconds: u64,
    /// Where the log is: `nats://HOST:PORT[,HOST:PORT...]` for a JetStream
    /// cluster shared by several relays; unset, SQLite in the data directory.
    /// `--log` wins.
    pub log: Option<String>,
    /// `[nats]`: the JetStream log's names, credentials and TLS.
    pub nats: NatsConfig,
    /// The URL desktops reach this relay at, for `invite`'s links.
    pub public_url: Option<String>,
}

/// `[nats]`. The password and token come from the environment
/// (`DESKBELL_NATS_PASSWORD`, `DESKBELL_NATS_TOKEN`) or a file, never from
/// this file, and are never logged.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct NatsConfig {
    /// The stream's name; the buckets are named after it
    /// (`<stream>_TOKENS`, `<stream>_TEAM`, `<stream>_ONCE`).
    pub stream: String,
    pub user: Option<String>,
    /// A file holding the password alone; `DESKBELL_NATS_PASSWORD` wins.
    pub password_file: Option<PathBuf>,
    /// A NATS credentials file (JWT and NKey seed).
    pub credentials_file: Option<PathBuf>,
    /// Extra CA certificates (PEM) for the servers' TLS; setting it
    /// requires TLS.
    pub ca_file: Option<PathBuf>,
    /// Refuse servers that do not offer TLS.
    pub require_tls: bool,
    #[serde(skip)]
    pub password: Option<Secret>,
    #[serde(skip)]
    pub token: Option<Secret>,
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            stream: "DESKBELL".to_owned(),
            user: None,
            password_file: None,
            credentials_file: None,
            ca_file: None,
            require_tls: false,
            password: None,
            token: None,
        }
    }
}

pub const NATS_PASSWORD_ENV: &str = "DESKBELL_NATS_PASSWORD";
pub const NATS_TOKEN_ENV: &str = "DESKBELL_NATS_TOKEN";

/// The log URL as it may be shown: any `user:password@` replaced.
fn redacted(text: &str) -> String {
    text.split(',')
        .map(|part| match (part.find("://"), part.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}***{}", &part[..s + 3], &part[at..]),
            (None, Some(at)) => format!("***{}", &part[at..]),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Where the log is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// SQLite in the data directory: one relay.
    Sqlite,
    /// A NATS JetStream cluster: any number of relays.
    Nats { servers: Vec<String> },
}

impl LogTarget {
    /// `nats://HOST:PORT[,HOST:PORT...]` (or `tls://`); `sqlite` for the
    /// embedded log. Credentials in the URL are refused: URLs get logged.
    pub fn parse(text: &str) -> Result<LogTarget, ConfigError> {
        let text = text.trim();
        let bad = |why: &str| ConfigError::LogTarget(redacted(text), why.to_owned());
        if text == "sqlite" {
            return Ok(LogTarget::Sqlite);
        }
        let mut servers = Vec::new();
        let mut scheme = None;
        for part in text.split(',').map(str::trim) {
            // Servers after the first may leave out the scheme.
            let (this, rest) = match part.split_once("://") {
                Some((s @ ("nats" | "tls"), rest)) => (s, rest),
                None if scheme.is_some() => (scheme.unwrap_or("nats"), part),
                _ => {
                    return Err(bad(
                        "give nats://HOST:PORT[,HOST:PORT...], or sqlite for the log in the data directory",
                    ))
                }
            };
            scheme.get_or_insert(this);
            if rest.contains('@') {
                return Err(bad(
                    "put NATS credentials in [nats] or the environment, not in the URL",
                ));
            }
            if rest.is_empty() || rest.contains('/') {
                return Err(bad("each server is HOST:PORT"));
            }
            servers.push(format!("{this}://{rest}"));
        }
        Ok(LogTarget::Nats { servers })
    }
}

/// `[freshcaller]`: the helpdesk's Freshcaller (Contact Center) account. The
/// admin API key comes from `DESKBELL_FRESHCALLER_API_KEY` or `api_key_file`,
/// never from this file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct FreshcallerConfig {
    /// `https://acme.freshcaller.com` (`http://` only to this machine).
    pub url: String,
    /// A file holding the API key alone (mode 600, owned by the service).
    pub api_key_file: Option<PathBuf>,
    /// How often calls are polled (seconds).
    pub poll_calls_seconds: u64,
    /// How far back each call poll looks (seconds): a call is listed by
    /// when it started, and a missed one ends up to a few minutes later.
    pub call_lookback_seconds: u64,
    /// How often agent statuses are polled (seconds).
    pub poll_users_seconds: u64,
    #[serde(skip)]
    pub api_key: Option<Secret>,
}

impl Default for FreshcallerConfig {
    fn default() -> Self {
        FreshcallerConfig {
            url: String::new(),
            api_key_file: None,
            poll_calls_seconds: 10,
            call_lookback_seconds: 300,
            poll_users_seconds: 15,
            api_key: None,
        }
    }
}

pub const FRESHCALLER_KEY_ENV: &str = "DESKBELL_FRESHCALLER_API_KEY";

/// `[freshdesk]`: the helpdesk's Freshdesk account, whose agents and groups
/// make the directory desktops show names from. The admin API key comes
/// from `DESKBELL_FRESHDESK_API_KEY` or `api_key_file`, never from this file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FreshdeskConfig {
    /// `https://acme.freshdesk.com` (`http://` only to this machine).
    pub url: String,
    /// A file holding the API key alone (mode 600, owned by the service).
    pub api_key_file: Option<PathBuf>,
    #[serde(skip)]
    pub api_key: Option<Secret>,
}

impl FreshdeskConfig {
    /// The client for Freshdesk's API v2 with this key (Basic auth, `KEY:X`):
    /// what the directory and assignments both call.
    pub fn api_client(
        &self,
    ) -> Result<crate::freshworks_api::ApiClient, crate::freshworks_api::ApiError> {
        crate::freshworks_api::ApiClient::for_account(
            &self.url,
            "api/v2/",
            self.api_key.as_ref(),
            crate::freshworks_api::Auth::BasicKey,
        )
    }
}

pub const FRESHDESK_KEY_ENV: &str = "DESKBELL_FRESHDESK_API_KEY";

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Retention {
    pub max_age_days: u64,
    pub max_events: u64,
    /// How often old events are pruned.
    pub prune_every_seconds: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age_days: 7,
            max_events: 1_000_000,
            prune_every_seconds: 60,
        }
    }
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8787))),
            ingress_secret: None,
            ingress_secret_previous: None,
            retention: Retention::default(),
            keepalive_seconds: 15,
            freshcaller: None,
            freshdesk: None,
            directory_refresh_seconds: 900,
            log: None,
            nats: NatsConfig::default(),
            public_url: None,
        }
    }
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map(Secret::new))
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A misspelt key would otherwise be ignored, and the setting the admin
    /// meant silently not applied: the relay does not start with one.
    #[error(
        "{path}: unknown key `{key}`; the relay does not start with a setting it would ignore \
         (the keys are in /usr/share/doc/deskbell-relay/relay.example.toml)"
    )]
    UnknownKey { path: PathBuf, key: String },
    #[error("no ingress secret: set ingress_secret in the config or {SECRET_ENV}")]
    NoSecret,
    #[error("[freshcaller] needs an API key: set {FRESHCALLER_KEY_ENV} or api_key_file")]
    NoFreshcallerKey,
    #[error("[freshcaller] url {0:?}: {1}")]
    FreshcallerUrl(String, String),
    #[error("[freshdesk] needs an API key: set {FRESHDESK_KEY_ENV} or api_key_file")]
    NoFreshdeskKey,
    #[error("[freshdesk] url {0:?}: {1}")]
    FreshdeskUrl(String, String),
    #[error("log {0:?}: {1}")]
    LogTarget(String, String),
    #[error("[nats] stream {0:?}: 1 to 32 letters, digits, '_' or '-'")]
    StreamName(String),
}

impl RelayConfig {
    /// Everything `serve` needs: the file, the secrets from the environment,
    /// and `[freshcaller]` checked.
    pub fn load(path: Option<&Path>) -> Result<RelayConfig, ConfigError> {
        let mut config = RelayConfig::load_admin(path)?;
        let env = |name| std::env::var(name).ok().filter(|s| !s.is_empty());
        if let Some(secret) = env(SECRET_ENV) {
            config.ingress_secret = Some(Secret::new(secret));
        }
        if let Some(secret) = env(PREVIOUS_SECRET_ENV) {
            config.ingress_secret_previous = Some(Secret::new(secret));
        }
        if let Some(fc) = &mut config.freshcaller {
            deskbell_core::stream::relay_client::check_url(&fc.url)
                .map_err(|e| ConfigError::FreshcallerUrl(fc.url.clone(), e.to_string()))?;
            fc.api_key = secret_from(FRESHCALLER_KEY_ENV, fc.api_key_file.as_deref())?;
            if fc.api_key.is_none() {
                return Err(ConfigError::NoFreshcallerKey);
            }
        }
        if let Some(fd) = &mut config.freshdesk {
            deskbell_core::stream::relay_client::check_url(&fd.url)
                .map_err(|e| ConfigError::FreshdeskUrl(fd.url.clone(), e.to_string()))?;
            fd.api_key = secret_from(FRESHDESK_KEY_ENV, fd.api_key_file.as_deref())?;
            if fd.api_key.is_none() {
                return Err(ConfigError::NoFreshdeskKey);
            }
        }
        Ok(config)
    }

    /// What the admin commands (`init`, `token`) need: the file and where
    /// the log is, without the secrets only `serve` uses (an admin's shell
    /// does not have the service's environment).
    pub fn load_admin(path: Option<&Path>) -> Result<RelayConfig, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                RelayConfig::parse(path, &text)?
            }
            None => RelayConfig::default(),
        };
        config.nats.password =
            secret_from(NATS_PASSWORD_ENV, config.nats.password_file.as_deref())?;
        config.nats.token = secret_from(NATS_TOKEN_ENV, None)?;
        let stream = &config.nats.stream;
        if stream.is_empty()
            || stream.len() > 32
            || !stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ConfigError::StreamName(stream.clone()));
        }
        Ok(config)
    }

    /// Where the log is: `--log`, else the file's `log`, else SQLite.
    pub fn log_target(&self, flag: Option<&str>) -> Result<LogTarget, ConfigError> {
        match flag.or(self.log.as_deref()) {
            Some(text) => LogTarget::parse(text),
            None => Ok(LogTarget::Sqlite),
        }
    }

    /// The file's settings; the first key this build does not know refuses it.
    pub fn parse(path: &Path, text: &str) -> Result<RelayConfig, ConfigError> {
        let de = toml::Deserializer::new(text);
        let mut unknown = None;
        let config: RelayConfig = serde_ignored::deserialize(de, |key| {
            unknown.get_or_insert_with(|| key.to_string());
        })
        .map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        match unknown {
            Some(key) => Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                key,
            }),
            None => Ok(config),
        }
    }

    pub fn keepalive(&self) -> Duration {
        Duration::from_secs(self.keepalive_seconds.max(1))
    }

    /// The secrets ingress accepts: the current one first.
    pub fn ingress_secrets(&self) -> Result<Vec<Secret>, ConfigError> {
        let current = self.ingress_secret.clone().ok_or(ConfigError::NoSecret)?;
        Ok(std::iter::once(current)
            .chain(self.ingress_secret_previous.clone())
            .collect())
    }
}

/// A secret from the environment variable `var`, else from `file` (the
/// secret alone, surrounding whitespace dropped); empty is none.
fn secret_from(var: &str, file: Option<&Path>) -> Result<Option<Secret>, ConfigError> {
    let secret = match (std::env::var(var).ok().filter(|s| !s.is_empty()), file) {
        (Some(secret), _) => Some(Secret::new(secret)),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
                path: file.to_owned(),
                source,
            })?;
            Some(Secret::new(text.trim()))
        }
        (None, None) => None,
    };
    Ok(secret.filter(|s| !s.is_empty()))
}

/// The config `serve` reads without `--config`: the installed service's,
/// when there is one.
pub fn default_config() -> Option<PathBuf> {
    Some(PathBuf::from(INSTALLED_CONFIG)).filter(|p| p.exists())
}

#[derive(Debug, Error)]
#[error(
    "no relay data directory: looked in {} (the installed service's) and {}; \
     give --data DIR",
    INSTALLED_DATA_DIR,
    user.display()
)]
pub struct NoDataDir {
    user: PathBuf,
}

/// `$XDG_DATA_HOME/deskbell-relay`: a relay run by hand, not as the service.
pub fn user_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("deskbell-relay")
}

/// Where the relay's data is when `--data` is not given: the installed
/// service's directory when it exists, else the user's. Only `serve` may
/// start a new one; the other commands refuse rather than work on an empty
/// log nobody serves.
pub fn find_data_dir(may_create: bool) -> Result<PathBuf, NoDataDir> {
    let installed = PathBuf::from(INSTALLED_DATA_DIR);
    let user = user_data_dir();
    if installed.is_dir() {
        Ok(installed)
    } else if user.is_dir() || may_create {
        Ok(user)
    } else {
        Err(NoDataDir { user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// deploy/relay.example.toml documents the defaults: it must parse, and
    /// say what the relay does without it.
    #[test]
    fn the_example_config_states_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/relay.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let example = RelayConfig::parse(&path, &text).unwrap();
        let default = RelayConfig::default();
        assert_eq!(example.listen, default.listen);
        assert_eq!(example.keepalive_seconds, default.keepalive_seconds);
        assert_eq!(
            example.retention.max_age_days,
            default.retention.max_age_days
        );
        assert_eq!(example.retention.max_events, default.retention.max_events);
        assert_eq!(
            example.retention.prune_every_seconds,
            default.retention.prune_every_seconds
        );
        assert!(example.ingress_secret.is_none(), "no secret in the example");
        assert_eq!(example.nats.stream, default.nats.stream);
        assert_eq!(example.nats.require_tls, default.nats.require_tls);
        assert_eq!(example.log, default.log);
        assert_eq!(
            example.directory_refresh_seconds,
            default.directory_refresh_seconds
        );
    }

    #[test]
    fn log_targets() {
        assert_eq!(LogTarget::parse("sqlite").unwrap(), LogTarget::Sqlite);
        assert_eq!(
            LogTarget::parse("nats://10.0.0.1:4222,10.0.0.2:4222, tls://n3:4222").unwrap(),
            LogTarget::Nats {
                servers: vec![
                    "nats://10.0.0.1:4222".into(),
                    "nats://10.0.0.2:4222".into(),
                    "tls://n3:4222".into()
                ]
            }
        );
        let e = LogTarget::parse("nats://relay:hunter2@n1:4222").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("not in the URL"), "{e}");
        assert!(LogTarget::parse("/var/lib/x.sqlite3").is_err());
        assert!(LogTarget::parse("nats://").is_err());
    }

    #[test]
    fn an_unknown_key_is_named_with_its_file() {
        let path = Path::new("/etc/deskbell-relay/relay.toml");
        let e = RelayConfig::parse(path, "keepalive_second = 5\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/deskbell-relay/relay.toml: unknown key `keepalive_second`; the relay does \
             not start with a setting it would ignore (the keys are in \
             /usr/share/doc/deskbell-relay/relay.example.toml)"
        );
        let e = RelayConfig::parse(path, "[retention]\nmax_age = 3\n").unwrap_err();
        assert!(e.to_string().contains("`retention.max_age`"), "{e}");
        assert!(RelayConfig::parse(path, "keepalive_seconds = 5\n").is_ok());
    }
}
