//! This desktop as the core's daemon sees it: native notifications
//! (`notify.rs`, on a thread of their own: they block on D-Bus), the tray
//! (told through a watch channel, shown by `tray.rs`), and the OS keyring
//! (`secrets.rs`).

use deskbell_core::actions::Pressed;
use deskbell_core::coalesce::Delivery;
use deskbell_core::desktop::{Desktop, SecretStore, SecretStoreError};
use deskbell_core::l10n::Locale;
use deskbell_core::rules::Sound;
use deskbell_core::secret::Secret;
use deskbell_core::view::TrayView;
use tokio::sync::{mpsc, watch};

use crate::{notify, secrets};

pub struct OsDesktop {
    sink: std::sync::mpsc::Sender<notify::Popup>,
    tray: watch::Sender<Option<TrayView>>,
}

impl OsDesktop {
    /// The desktop, what the tray should show as it changes, and the
    /// buttons pressed on its notifications.
    pub fn new() -> (
        OsDesktop,
        watch::Receiver<Option<TrayView>>,
        mpsc::UnboundedReceiver<Pressed>,
    ) {
        let (tray, shown) = watch::channel(None);
        let (pressed_tx, pressed) = mpsc::unbounded_channel();
        let desktop = OsDesktop {
            sink: notify::spawn_sink(pressed_tx),
            tray,
        };
        (desktop, shown, pressed)
    }
}

impl SecretStore for OsDesktop {
    fn store(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError> {
        secrets::store(account, secret)
    }
    fn load(&self, account: &str) -> Result<Secret, SecretStoreError> {
        secrets::load(account)
    }
    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        secrets::delete(account)
    }
}

impl Desktop for OsDesktop {
    fn notify(&self, delivery: Delivery, sound: Option<Sound>, locale: &Locale) {
        // The sink thread ends only with the process.
        let _ = self.sink.send((delivery, sound, locale.clone()));
    }

    fn show_tray(&self, view: &TrayView) {
        // Only the latest counts: the tray shows what is true now.
        self.tray.send_replace(Some(view.clone()));
    }
}
