//! The tray icon where no native one is built yet (Windows and macOS need
//! their own event loop on the main thread; not built here). The tray
//! process still notifies, and `deskbell open` and the window work.

use deskbell_core::view::TrayView;
use tokio::sync::{mpsc, watch};

use crate::menu::MenuId;

#[derive(Debug, thiserror::Error)]
#[error("no tray icon on this OS in this build")]
pub struct TrayUnavailable;

pub struct Tray;

impl Tray {
    pub async fn spawn(
        _view: TrayView,
        _shown: watch::Receiver<Option<TrayView>>,
        _clicks: mpsc::UnboundedSender<MenuId>,
    ) -> Result<Tray, TrayUnavailable> {
        Err(TrayUnavailable)
    }

    pub async fn set_start_at_login(&self, _on: bool) {}

    pub async fn shutdown(&self) {}
}
