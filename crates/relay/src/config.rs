//! The relay's settings: a TOML file, plus `DESKBELL_RELAY_SECRET`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use deskbell_core::secret::Secret;
use serde::Deserialize;
use thiserror::Error;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
pub const SECRET_ENV: &str = "DESKBELL_RELAY_SECRET";

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct RelayConfig {
    pub listen: SocketAddr,
    /// The ingress secret; `DESKBELL_RELAY_SECRET` wins when set.
    #[serde(deserialize_with = "secret")]
    pub ingress_secret: Option<Secret>,
    pub retention: Retention,
    /// Seconds between keepalive comments on an idle stream.
    pub keepalive_seconds: u64,
}

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
            retention: Retention::default(),
            keepalive_seconds: 15,
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
    #[error("no ingress secret: set ingress_secret in the config or {SECRET_ENV}")]
    NoSecret,
}

impl RelayConfig {
    pub fn load(path: Option<&Path>) -> Result<RelayConfig, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
            None => RelayConfig::default(),
        };
        if let Some(secret) = std::env::var(SECRET_ENV).ok().filter(|s| !s.is_empty()) {
            config.ingress_secret = Some(Secret::new(secret));
        }
        Ok(config)
    }

    pub fn keepalive(&self) -> Duration {
        Duration::from_secs(self.keepalive_seconds.max(1))
    }
}

/// `$XDG_DATA_HOME/deskbell-relay` unless `--data` says otherwise.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("deskbell-relay")
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
        let example: RelayConfig = toml::from_str(&text).unwrap();
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
    }
}
