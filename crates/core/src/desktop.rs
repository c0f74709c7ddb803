//! What the tray process's daemon needs of the operating system, as traits:
//! the keyring ([`SecretStore`]) and the desktop's sinks ([`Desktop`]). The
//! app implements them (Secret Service, notify-rust, the tray menu); the
//! core's tests implement them in memory. Nothing here decides anything.

use std::collections::HashMap;
use std::sync::Mutex;

use thiserror::Error;

use crate::coalesce::Delivery;
use crate::l10n::Locale;
use crate::rules::Sound;
use crate::secret::Secret;
use crate::view::TrayView;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
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

/// Where account secrets live: the OS keyring, and nowhere else.
pub trait SecretStore: Send + Sync {
    fn store(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError>;
    fn load(&self, account: &str) -> Result<Secret, SecretStoreError>;
    /// Deleting what is not there is not an error.
    fn delete(&self, account: &str) -> Result<(), SecretStoreError>;
}

/// The desktop the tray process lives on.
pub trait Desktop: SecretStore {
    /// Shows one delivery as a native notification, with its sound; its
    /// summaries and buttons said in `locale`'s language.
    fn notify(&self, delivery: Delivery, sound: Option<Sound>, locale: &Locale);
    /// Shows the tray's icon, tooltip, checks and lines; called when they
    /// changed.
    fn show_tray(&self, tray: &TrayView);
}

/// A desktop kept in memory: secrets in a map, notifications and tray views
/// recorded. For running the daemon headless (tests, benches); never a
/// place for real secrets, which belong in the OS keyring.
#[derive(Default)]
pub struct MemoryDesktop {
    secrets: Mutex<HashMap<String, Secret>>,
    /// Every delivery, in order.
    pub notified: Mutex<Vec<Delivery>>,
    /// The sound each delivery asked for, in the same order.
    pub sounds: Mutex<Vec<Option<Sound>>>,
    /// Every tray view shown, in order.
    pub trays: Mutex<Vec<TrayView>>,
}

impl SecretStore for MemoryDesktop {
    fn store(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError> {
        let mut secrets = self
            .secrets
            .lock()
            .map_err(|_| SecretStoreError::Unavailable("poisoned".into()))?;
        secrets.insert(account.to_owned(), secret.clone());
        Ok(())
    }

    fn load(&self, account: &str) -> Result<Secret, SecretStoreError> {
        let secrets = self
            .secrets
            .lock()
            .map_err(|_| SecretStoreError::Unavailable("poisoned".into()))?;
        secrets
            .get(account)
            .cloned()
            .ok_or_else(|| SecretStoreError::Missing(account.to_owned()))
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        if let Ok(mut secrets) = self.secrets.lock() {
            secrets.remove(account);
        }
        Ok(())
    }
}

impl Desktop for MemoryDesktop {
    fn notify(&self, delivery: Delivery, sound: Option<Sound>, _locale: &Locale) {
        if let Ok(mut n) = self.notified.lock() {
            n.push(delivery);
        }
        if let Ok(mut s) = self.sounds.lock() {
            s.push(sound);
        }
    }

    fn show_tray(&self, tray: &TrayView) {
        if let Ok(mut t) = self.trays.lock() {
            t.push(tray.clone());
        }
    }
}
