//! Accounts: add, list, edit, remove. The non-secret fields go to the config
//! file; the secret to the OS keyring, first, so a refusal writes nothing.
//! Used by `deskbell account ...` and by the window's IPC commands.

use std::io::Read;
use std::process::ExitCode;

use deskbell_core::config::{AccountConfig, ConfigError, ConfigFile};
use deskbell_core::invite::{self, InviteError};
use deskbell_core::secret::Secret;
use deskbell_core::stream::probe::{probe, ProbeError};
use deskbell_core::stream::relay_client::check_url;
use deskbell_core::wire::Domain;
use thiserror::Error;

use crate::cli::AccountAction;
use crate::secrets::{self, SecretStoreError};

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("no config directory on this system")]
    NoConfigDir,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("account names are 1 to 64 letters, digits, '.', '_', '-' or '@'")]
    BadName,
    #[error("an account named {0:?} exists; change it with `deskbell account update {0}`")]
    Exists(String),
    #[error("no account named {0:?}")]
    NoSuchAccount(String),
    #[error("{0}")]
    BadUrl(String),
    #[error("another relay's URL: {0}")]
    BadFallbackUrl(String),
    #[error("--domain {0:?} is not a host name")]
    BadDomain(String),
    #[error("a Xelion account needs a tenant and a user")]
    XelionIncomplete,
    #[error("no secret given (the relay token or the Xelion password)")]
    EmptySecret,
    #[error(transparent)]
    Keyring(#[from] SecretStoreError),
    /// The invitation gave no token; nothing was saved.
    #[error("{0}; nothing was saved")]
    Invite(#[from] deskbell_core::invite::InviteError),
    #[error("an invitation is for a relay account")]
    InviteNotRelay,
    #[error("saving the account stopped before it finished")]
    Interrupted,
    /// Tried before saving: the server answered and said no.
    #[error("{0}; nothing was saved (check the token, or ask your admin for a new one)")]
    SecretRefused(ProbeError),
}

impl AccountError {
    /// Stable codes the UI can show and test against.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::NoConfigDir => "config_dir",
            AccountError::Config(e) => e.code(),
            AccountError::BadName => "account_name",
            AccountError::Exists(_) => "account_exists",
            AccountError::NoSuchAccount(_) => "account_missing",
            AccountError::BadUrl(_) => "account_url",
            AccountError::BadFallbackUrl(_) => "account_fallback_url",
            AccountError::BadDomain(_) => "account_domain",
            AccountError::XelionIncomplete => "account_xelion",
            AccountError::EmptySecret => "secret_empty",
            AccountError::Keyring(e) => e.code(),
            AccountError::SecretRefused(_) => "account_secret_refused",
            AccountError::Invite(e) => e.code(),
            AccountError::InviteNotRelay => "invite_not_relay",
            AccountError::Interrupted => "interrupted",
        }
    }

    /// The account form's field at fault, for the window to mark and focus.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AccountError::BadName | AccountError::Exists(_) => Some("name"),
            AccountError::BadUrl(_) => Some("url"),
            AccountError::BadFallbackUrl(_) => Some("fallback_urls"),
            AccountError::BadDomain(_) => Some("domains"),
            AccountError::XelionIncomplete => Some("tenant"),
            AccountError::EmptySecret | AccountError::SecretRefused(_) => Some("secret"),
            AccountError::Invite(e) => match e {
                InviteError::Connect(_) | InviteError::NotARelay(_) => Some("url"),
                InviteError::NameTaken(_) => Some("name"),
                _ => Some("code"),
            },
            AccountError::InviteNotRelay => Some("url"),
            AccountError::Interrupted => None,
            AccountError::NoConfigDir
            | AccountError::Config(_)
            | AccountError::NoSuchAccount(_)
            | AccountError::Keyring(_) => None,
        }
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

fn config_file() -> Result<ConfigFile, AccountError> {
    ConfigFile::default_location().ok_or(AccountError::NoConfigDir)
}

pub fn list() -> Result<Vec<AccountConfig>, AccountError> {
    Ok(config_file()?.load_strict()?.accounts)
}

/// The account's settings as they will be saved (domains normalised), or
/// what is wrong with them.
fn checked(mut account: AccountConfig) -> Result<AccountConfig, AccountError> {
    check_url(account.url()).map_err(|e| AccountError::BadUrl(e.to_string()))?;
    match &mut account {
        AccountConfig::Relay {
            domains,
            fallback_urls,
            ..
        } => {
            for url in fallback_urls.iter() {
                check_url(url).map_err(|e| AccountError::BadFallbackUrl(e.to_string()))?;
            }
            *domains = domains
                .iter()
                .map(|d| {
                    Domain::parse(d)
                        .map(|d| d.as_str().to_owned())
                        .ok_or_else(|| AccountError::BadDomain(d.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?;
        }
        AccountConfig::Xelion { tenant, user, .. } => {
            if tenant.trim().is_empty() || user.trim().is_empty() {
                return Err(AccountError::XelionIncomplete);
            }
        }
    }
    if !valid_name(account.name()) {
        return Err(AccountError::BadName);
    }
    Ok(account)
}

/// Tries `account` with `secret` once before it is saved: a refusal by the
/// server stops the save; anything else (the network, a certificate) comes
/// back as a warning, since a laptop may add its account offline.
async fn try_before_saving(
    account: &AccountConfig,
    secret: &Secret,
) -> Result<Option<ProbeError>, AccountError> {
    match probe(account, secret).await {
        Ok(()) => Ok(None),
        Err(e) if e.is_refused() => Err(AccountError::SecretRefused(e)),
        Err(e) => Ok(Some(e)),
    }
}

/// Checks `new` (as the CLI or the window describes it), stores `secret` in
/// the keyring, then saves the config.
pub fn add(new: AccountConfig, secret: &Secret) -> Result<AccountConfig, AccountError> {
    let file = config_file()?;
    // A broken config is reported and kept; nothing is changed.
    let mut config = file.load_strict()?;
    let account = checked(new)?;
    let name = account.name().to_owned();
    if config.accounts.iter().any(|a| a.name() == name) {
        return Err(AccountError::Exists(name));
    }
    if secret.expose().trim().is_empty() {
        return Err(AccountError::EmptySecret);
    }
    // The secret first: if the keyring refuses, nothing is written.
    secrets::store(&name, secret)?;
    config.accounts.push(account.clone());
    if let Err(e) = file.save(&config) {
        let _ = secrets::delete(&name);
        return Err(e.into());
    }
    Ok(account)
}

/// Adds the relay account `new` with the token its relay gives for the
/// invitation `code`: everything that can be checked here first (the
/// config, the settings, the name), then the code is spent once, and the
/// token goes straight into the keyring. The code and the token touch no
/// file.
pub async fn add_with_invite(
    new: AccountConfig,
    code: &str,
) -> Result<(AccountConfig, invite::Redeemed), AccountError> {
    if !matches!(new, AccountConfig::Relay { .. }) {
        return Err(AccountError::InviteNotRelay);
    }
    let file = config_file()?;
    let config = file.load_strict()?;
    let account = checked(new)?;
    let name = account.name().to_owned();
    if config.accounts.iter().any(|a| a.name() == name) {
        return Err(AccountError::Exists(name));
    }
    let redeemed = invite::redeem(account.url(), code).await?;
    let saved = tokio::task::spawn_blocking(move || {
        let added = add(account, &redeemed.token);
        (added, redeemed)
    })
    .await;
    match saved {
        Ok((Ok(account), redeemed)) => Ok((account, redeemed)),
        Ok((Err(e), _)) => Err(e),
        Err(_) => Err(AccountError::Interrupted),
    }
}

/// Replaces the settings of the account with `changed`'s name, in its
/// place; with a new secret, that replaces the keyring's first. Without one
/// the stored secret stays.
pub fn update(
    changed: AccountConfig,
    secret: Option<&Secret>,
) -> Result<AccountConfig, AccountError> {
    let file = config_file()?;
    let mut config = file.load_strict()?;
    let account = checked(changed)?;
    let name = account.name().to_owned();
    let slot = config
        .accounts
        .iter_mut()
        .find(|a| a.name() == name)
        .ok_or_else(|| AccountError::NoSuchAccount(name.clone()))?;
    *slot = account.clone();
    if let Some(secret) = secret {
        if secret.expose().trim().is_empty() {
            return Err(AccountError::EmptySecret);
        }
        secrets::store(&name, secret)?;
    }
    file.save(&config)?;
    Ok(account)
}

/// Removes the account and its secret.
pub fn remove(name: &str) -> Result<(), AccountError> {
    let file = config_file()?;
    let mut config = file.load_strict()?;
    let before = config.accounts.len();
    config.accounts.retain(|a| a.name() != name);
    if config.accounts.len() == before {
        return Err(AccountError::NoSuchAccount(name.to_owned()));
    }
    secrets::delete(name)?;
    file.save(&config)?;
    Ok(())
}

/// `deskbell account ...`: exit status 2 on any error, with its message.
pub fn run(action: AccountAction) -> ExitCode {
    match execute(action) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deskbell account: {message}");
            ExitCode::from(2)
        }
    }
}

fn execute(action: AccountAction) -> Result<(), String> {
    match action {
        AccountAction::List => {
            for a in list().map_err(|e| e.to_string())? {
                match a {
                    AccountConfig::Relay {
                        name,
                        url,
                        fallback_urls,
                        domains,
                    } => {
                        let domains = if domains.is_empty() {
                            "links: Freshworks domains".to_owned()
                        } else {
                            format!("links: Freshworks domains, {}", domains.join(", "))
                        };
                        let urls = std::iter::once(url)
                            .chain(fallback_urls)
                            .collect::<Vec<_>>();
                        println!("{name}\trelay\t{}\t{domains}", urls.join(" then "))
                    }
                    AccountConfig::Xelion {
                        name,
                        url,
                        tenant,
                        user,
                        ..
                    } => {
                        println!("{name}\txelion\t{url}\ttenant {tenant}\tuser {user}")
                    }
                }
            }
            Ok(())
        }
        AccountAction::Remove { name } => {
            remove(&name).map_err(|e| e.to_string())?;
            println!("Removed {name}");
            Ok(())
        }
        AccountAction::Add {
            name,
            relay,
            domain,
            xelion,
            tenant,
            user,
            admin,
            invite,
        } => {
            let mut relays = relay.into_iter();
            let new = match (relays.next(), xelion) {
                (Some(url), _) => AccountConfig::Relay {
                    name: name.clone(),
                    url,
                    fallback_urls: relays.collect(),
                    domains: domain,
                },
                (None, Some(url)) => AccountConfig::Xelion {
                    name: name.clone(),
                    url,
                    tenant: tenant.unwrap_or_default(),
                    user: user.unwrap_or_default(),
                    user_space: None,
                    admin,
                },
                (None, None) => return Err("give --relay URL or --xelion URL".into()),
            };
            if let Some(code) = invite {
                // Nothing on standard input: the relay gives the token.
                let (_, redeemed) =
                    crate::block_on(add_with_invite(new, &code)).map_err(|e| e.to_string())?;
                let who = redeemed
                    .email
                    .map_or_else(String::new, |e| format!(" as {e}"));
                println!(
                    "Added {name} with the relay's token {:?}{who}; it is in the OS keyring",
                    redeemed.name
                );
                return Ok(());
            }
            let secret = read_secret()?.ok_or(NO_SECRET)?;
            let new = checked(new).map_err(|e| e.to_string())?;
            // Said before the connection is tried: nothing to try it for.
            if list()
                .map_err(|e| e.to_string())?
                .iter()
                .any(|a| a.name() == name)
            {
                return Err(AccountError::Exists(name).to_string());
            }
            warn_unless_tried(&new, &secret)?;
            add(new, &secret).map_err(|e| e.to_string())?;
            println!("Added {name}; its secret is in the OS keyring");
            Ok(())
        }
        AccountAction::Update { name, url, domain } => {
            let mut account = list()
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|a| a.name() == name)
                .ok_or_else(|| AccountError::NoSuchAccount(name.clone()).to_string())?;
            match &mut account {
                AccountConfig::Relay {
                    url: old,
                    fallback_urls,
                    domains,
                    ..
                } => {
                    let mut urls = url.into_iter();
                    if let Some(url) = urls.next() {
                        *old = url;
                        *fallback_urls = urls.collect();
                    }
                    if !domain.is_empty() {
                        *domains = domain;
                    }
                }
                AccountConfig::Xelion { url: old, .. } => {
                    if !domain.is_empty() {
                        return Err("--domain is for relay accounts".into());
                    }
                    if url.len() > 1 {
                        return Err("a Xelion account has one --url".into());
                    }
                    if let Some(url) = url.into_iter().next() {
                        *old = url;
                    }
                }
            }
            let account = checked(account).map_err(|e| e.to_string())?;
            let secret = read_secret()?;
            let tried = match &secret {
                Some(secret) => secret.clone(),
                None => secrets::load(&name).map_err(|e| e.to_string())?,
            };
            warn_unless_tried(&account, &tried)?;
            update(account, secret.as_ref()).map_err(|e| e.to_string())?;
            match secret {
                Some(_) => println!("Updated {name}; its new secret is in the OS keyring"),
                None => println!("Updated {name}; its secret is unchanged"),
            }
            // A running app sees the config change and reconnects the
            // account with what was saved.
            Ok(())
        }
    }
}

const NO_SECRET: &str = "no secret on standard input (pipe the token or password in)";

/// The connection tried once before saving: a refused secret stops the
/// command; anything else is said and the account is saved all the same.
fn warn_unless_tried(account: &AccountConfig, secret: &Secret) -> Result<(), String> {
    let tried = crate::block_on(try_before_saving(account, secret));
    match tried.map_err(|e| e.to_string())? {
        None => println!("Connection works"),
        Some(problem) => eprintln!(
            "deskbell account: warning: could not try the connection ({problem}); saving anyway"
        ),
    }
    Ok(())
}

/// One line from standard input: the token or password; `None` when
/// standard input is empty.
fn read_secret() -> Result<Option<Secret>, String> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| format!("reading the secret: {e}"))?;
    let line = text.lines().next().unwrap_or("").trim().to_owned();
    Ok((!line.is_empty()).then(|| Secret::new(line)))
}
