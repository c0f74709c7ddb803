//! `deskbell account add | list | remove`: scripted provisioning. The
//! non-secret fields go to the config file; the secret to the OS keyring.

use std::io::Read;
use std::process::ExitCode;

use deskbell_core::config::{AccountConfig, ConfigFile};
use deskbell_core::secret::Secret;
use deskbell_core::stream::relay_client::check_url;
use deskbell_core::wire::Domain;

use crate::cli::AccountAction;
use crate::secrets;

pub fn run(action: AccountAction) -> ExitCode {
    match execute(action) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deskbell account: {message}");
            ExitCode::from(2)
        }
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

fn execute(action: AccountAction) -> Result<(), String> {
    let file = ConfigFile::default_location().ok_or("no config directory on this system")?;
    // A broken config is reported and kept; nothing is changed.
    let mut config = file.load_strict().map_err(|e| e.to_string())?;
    match action {
        AccountAction::List => {
            for a in &config.accounts {
                match a {
                    AccountConfig::Relay { name, url, domains } => {
                        let domains = if domains.is_empty() {
                            "links: Freshworks domains".to_owned()
                        } else {
                            format!("links: {}", domains.join(", "))
                        };
                        println!("{name}\trelay\t{url}\t{domains}")
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
            let before = config.accounts.len();
            config.accounts.retain(|a| a.name() != name);
            if config.accounts.len() == before {
                return Err(format!("no account named {name:?}"));
            }
            secrets::delete(&name).map_err(|e| e.to_string())?;
            file.save(&config).map_err(|e| e.to_string())?;
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
        } => {
            if !valid_name(&name) {
                return Err(
                    "account names are 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
                );
            }
            if config.accounts.iter().any(|a| a.name() == name) {
                return Err(format!("an account named {name:?} exists; remove it first"));
            }
            let account = match (relay, xelion) {
                (Some(url), _) => {
                    check_url(&url).map_err(|e| e.to_string())?;
                    let mut domains = Vec::new();
                    for d in &domain {
                        match Domain::parse(d) {
                            Some(d) => domains.push(d.as_str().to_owned()),
                            None => return Err(format!("--domain {d:?} is not a host name")),
                        }
                    }
                    AccountConfig::Relay {
                        name: name.clone(),
                        url,
                        domains,
                    }
                }
                (None, Some(url)) => {
                    check_url(&url).map_err(|e| e.to_string())?;
                    AccountConfig::Xelion {
                        name: name.clone(),
                        url,
                        tenant: tenant.unwrap_or_default(),
                        user: user.unwrap_or_default(),
                        user_space: None,
                        admin,
                    }
                }
                (None, None) => return Err("give --relay URL or --xelion URL".into()),
            };
            let secret = read_secret()?;
            // The secret first: if the keyring refuses, nothing is written.
            secrets::store(&name, &secret).map_err(|e| e.to_string())?;
            config.accounts.push(account);
            if let Err(e) = file.save(&config) {
                let _ = secrets::delete(&name);
                return Err(e.to_string());
            }
            println!("Added {name}; its secret is in the OS keyring");
            Ok(())
        }
    }
}

/// One line from standard input: the token or password.
fn read_secret() -> Result<Secret, String> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| format!("reading the secret: {e}"))?;
    let line = text.lines().next().unwrap_or("").trim().to_owned();
    if line.is_empty() {
        return Err("no secret on standard input (pipe the token or password in)".into());
    }
    Ok(Secret::new(line))
}
