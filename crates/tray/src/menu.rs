//! What the agent can click in the tray, on every OS's tray.

use deskbell_core::notification::Kind;
use deskbell_core::schedule::Dnd;

/// What a menu click (or a click on the icon) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuId {
    Open,
    Quit,
    Subscription(Kind),
    Dnd(Dnd),
    StartAtLogin,
    /// An account's status line; a click retries a locked keyring, or opens
    /// the account's edit form when its secret was refused.
    Account(usize),
}
