//! The notifications already raised, kept across restarts in the XDG state
//! dir: Freshworks delivers at least once, so an event can come again after
//! the app restarted, and the agent must not be told twice. Only the
//! notification memory is kept (one entry per notification, small); the
//! event memory behind it is rebuilt as events arrive.

use chrono::{DateTime, Utc};

use crate::state_file::StateFile;

/// `notified.json`: `[[fingerprint, "2026-11-20T10:00:00Z"], ...]`, oldest
/// first. Damaged, it only costs the memory: a redelivery may notify again.
pub type NotifiedStore = StateFile<Vec<(u64, DateTime<Utc>)>>;

impl NotifiedStore {
    pub fn default_location() -> Option<Self> {
        StateFile::named("notified.json")
    }
}
