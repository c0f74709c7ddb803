//! The user's config: a versioned TOML file in the XDG config dir, written
//! atomically. A broken file is reported with its line, kept as it is, and
//! never overwritten; the app runs on defaults meanwhile.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::rules::{Identity, Rules};

/// The config format this build reads and writes.
pub const CONFIG_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub version: u32,
    /// The language Deskbell speaks (`"de"`, `"en"`, or a tag such as
    /// `"de-AT"`); unset: the OS locale's (`crate::l10n`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub identity: Identity,
    pub rules: Rules,
    /// More notifications of one kind within this many seconds are shown as
    /// one summary.
    pub coalesce_seconds: u32,
    /// An agent last heard of longer ago than this shows on the board as
    /// "unknown since ...", not as a stale "online". 0: never.
    pub board_stale_after_hours: u32,
    /// Where events come from. Secrets are in the OS keyring, never here.
    pub accounts: Vec<AccountConfig>,
}

/// An account's non-secret settings; its token or password is in the OS
/// keyring under the account's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountConfig {
    Relay {
        name: String,
        url: String,
        /// More relays sharing one log with `url` (a JetStream cluster),
        /// tried in order when the current one cannot be reached; the
        /// stream resumes on them from the same event.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fallback_urls: Vec<String>,
        /// The helpdesk domains (`acme.freshdesk.com`) whose links this
        /// account's notifications may open; empty: Freshworks' own domains.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        domains: Vec<String>,
    },
    Xelion {
        name: String,
        url: String,
        tenant: String,
        user: String,
        #[serde(default)]
        user_space: Option<String>,
        #[serde(default)]
        admin: bool,
    },
}

impl AccountConfig {
    pub fn name(&self) -> &str {
        match self {
            AccountConfig::Relay { name, .. } | AccountConfig::Xelion { name, .. } => name,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            AccountConfig::Relay { url, .. } | AccountConfig::Xelion { url, .. } => url,
        }
    }

    /// Whether a notification from this account may open `link`: https only,
    /// and only on the account's own domains. Events name their helpdesk's
    /// domain themselves, so a forged event must not point agents elsewhere.
    pub fn allows_link(&self, link: &str) -> bool {
        let Some(host) = https_host(link) else {
            return false;
        };
        match self {
            // A helpdesk's own domains add to Freshworks' (its Freshcaller
            // and Freshchat links stay on Freshworks' hosts), never replace them.
            AccountConfig::Relay { domains, .. } => {
                is_freshworks_host(&host) || domains.iter().any(|d| d.eq_ignore_ascii_case(&host))
            }
            AccountConfig::Xelion { url, .. } => https_host(url).is_some_and(|own| own == host),
        }
    }
}

/// Where an event came from, which decides where its links may point.
#[derive(Clone, Copy, Debug)]
pub enum LinkScope<'a> {
    Account(&'a AccountConfig),
    /// The built-in demo, and any source without an account: Freshworks'
    /// own domains only.
    Freshworks,
}

impl LinkScope<'_> {
    /// The account itself, when there is one.
    pub fn account(&self) -> Option<&AccountConfig> {
        match self {
            LinkScope::Account(a) => Some(a),
            LinkScope::Freshworks => None,
        }
    }

    pub fn allows(&self, link: &str) -> bool {
        match self {
            LinkScope::Account(account) => account.allows_link(link),
            LinkScope::Freshworks => https_host(link).is_some_and(|h| is_freshworks_host(&h)),
        }
    }
}

/// Freshworks' own domains, where a relay account's links may always point,
/// besides the helpdesk domains the account names.
pub const FRESHWORKS_DOMAINS: [&str; 5] = [
    "freshdesk.com",
    "freshcaller.com",
    "freshchat.com",
    "freshworks.com",
    "myfreshworks.com",
];

pub fn is_freshworks_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    FRESHWORKS_DOMAINS.iter().any(|d| {
        host.strip_suffix(d)
            .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
    })
}

/// The lower-case host of an https URL without credentials.
fn https_host(link: &str) -> Option<String> {
    let url = url::Url::parse(link).ok()?;
    let ok = url.scheme() == "https" && url.username().is_empty() && url.password().is_none();
    ok.then(|| url.host_str().map(str::to_ascii_lowercase))
        .flatten()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: CONFIG_VERSION,
            identity: Identity::default(),
            rules: Rules::default(),
            coalesce_seconds: 10,
            board_stale_after_hours: 12,
            accounts: Vec::new(),
            language: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: {field}line {line}, column {column}: {message}")]
    Parse {
        path: PathBuf,
        field: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: version {found} is newer than this Deskbell understands ({supported})")]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "{path} is broken and was kept as it is; fix or remove it before settings can be saved"
    )]
    BrokenFileKept { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Read { .. } => "config_read",
            ConfigError::Parse { .. } => "config_parse",
            ConfigError::UnsupportedVersion { .. } => "config_version",
            ConfigError::BrokenFileKept { .. } => "config_broken_kept",
            ConfigError::Write { .. } => "config_write",
        }
    }
}

/// A config file at a path.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    path: PathBuf,
}

/// The result of a tolerant load: always a config to run on.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// Set when the file exists but could not be used.
    pub problem: Option<ConfigError>,
}

impl ConfigFile {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        ConfigFile { path: path.into() }
    }

    /// `$XDG_CONFIG_HOME/deskbell/config.toml` (or the platform's equivalent).
    pub fn default_location() -> Option<Self> {
        dirs::config_dir().map(|d| ConfigFile::at(d.join("deskbell").join("config.toml")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When the file was last written, if it exists: how a long-running
    /// process notices that another (`deskbell account ...`) changed it.
    pub fn modified(&self) -> Option<std::time::SystemTime> {
        fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }

    /// Defaults when the file is absent; defaults plus the problem when broken.
    pub fn load(&self) -> Loaded {
        match self.load_strict() {
            Ok(config) => Loaded {
                config,
                problem: None,
            },
            Err(problem) => Loaded {
                config: Config::default(),
                problem: Some(problem),
            },
        }
    }

    /// Defaults when the file is absent; an error when it is broken.
    pub fn load_strict(&self) -> Result<Config, ConfigError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => parse(&self.path, &text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Changes the file as it is now on disk: reads it, applies `change`,
    /// writes it back. For a writer that owns part of the config (the app's
    /// rules) while another (`deskbell account add`) may have changed the
    /// rest since it last read it.
    pub fn update(&self, change: impl FnOnce(&mut Config)) -> Result<Config, ConfigError> {
        let mut config = match self.load_strict() {
            Ok(c) => c,
            Err(ConfigError::Parse { .. } | ConfigError::UnsupportedVersion { .. }) => {
                return Err(ConfigError::BrokenFileKept {
                    path: self.path.clone(),
                })
            }
            Err(e) => return Err(e),
        };
        change(&mut config);
        self.save(&config)?;
        Ok(config)
    }

    /// Writes atomically (temp file, fsync, rename). Refuses to replace a file
    /// that exists but does not parse: the user's edits are never lost.
    pub fn save(&self, config: &Config) -> Result<(), ConfigError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => {
                if parse(&self.path, &text).is_err() {
                    return Err(ConfigError::BrokenFileKept {
                        path: self.path.clone(),
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(ConfigError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        }
        let mut config = config.clone();
        config.version = CONFIG_VERSION;
        let text = toml::to_string_pretty(&config).map_err(|e| ConfigError::Write {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        write_atomically(&self.path, text.as_bytes()).map_err(|source| ConfigError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let de = toml::Deserializer::new(text);
    let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let (line, column) = inner
            .span()
            .map(|s| line_col(text, s.start))
            .unwrap_or((0, 0));
        ConfigError::Parse {
            path: path.to_owned(),
            field: if field == "." {
                String::new()
            } else {
                format!("{field}: ")
            },
            line,
            column,
            message: inner.message().trim().to_owned(),
        }
    })?;
    if config.version > CONFIG_VERSION {
        return Err(ConfigError::UnsupportedVersion {
            path: path.to_owned(),
            found: config.version,
            supported: CONFIG_VERSION,
        });
    }
    Ok(config)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename is durable once the directory is synced.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
