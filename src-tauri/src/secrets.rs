//! Account secrets (relay tokens, Xelion passwords) live in the OS keyring
//! (Secret Service, Keychain, Credential Manager) and nowhere else. When the
//! keyring is locked or absent this says so; there is no plaintext fallback.

use deskbell_core::secret::Secret;
use thiserror::Error;

/// The keyring service name; the account name is the entry's user.
pub const SERVICE: &str = "deskbell";

#[derive(Debug, Error)]
pub enum SecretStoreError {
    #[error("the OS keyring is not available or locked ({0}); Deskbell keeps account secrets only there")]
    Unavailable(String),
    #[error("no secret in the OS keyring for account {0:?}; add the account again")]
    Missing(String),
    #[error("the OS keyring refused the request: {0}")]
    Refused(String),
}

impl SecretStoreError {
    pub fn code(&self) -> &'static str {
        match self {
            SecretStoreError::Unavailable(_) => "keyring_unavailable",
            SecretStoreError::Missing(_) => "keyring_missing",
            SecretStoreError::Refused(_) => "keyring_refused",
        }
    }
}

fn entry(account: &str) -> Result<keyring::Entry, SecretStoreError> {
    keyring::Entry::new(SERVICE, account).map_err(|e| map(account, e))
}

fn map(account: &str, e: keyring::Error) -> SecretStoreError {
    // keyring's messages describe the store, never the secret.
    match e {
        keyring::Error::NoEntry => SecretStoreError::Missing(account.to_owned()),
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            SecretStoreError::Unavailable(inner.to_string())
        }
        other => SecretStoreError::Refused(other.to_string()),
    }
}

pub fn store(account: &str, secret: &Secret) -> Result<(), SecretStoreError> {
    entry(account)?
        .set_password(secret.expose())
        .map_err(|e| map(account, e))
}

pub fn load(account: &str) -> Result<Secret, SecretStoreError> {
    entry(account)?
        .get_password()
        .map(Secret::new)
        .map_err(|e| map(account, e))
}

pub fn delete(account: &str) -> Result<(), SecretStoreError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map(account, e)),
    }
}
