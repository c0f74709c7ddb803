//! Account secrets (relay tokens, Xelion passwords) live in the OS keyring
//! (Secret Service, Keychain, Credential Manager) and nowhere else. When the
//! keyring is locked or absent this says so; there is no plaintext fallback.

use deskbell_core::secret::Secret;

/// The keyring service name; the account name is the entry's user.
pub const SERVICE: &str = "deskbell";

pub use deskbell_core::desktop::SecretStoreError;

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
