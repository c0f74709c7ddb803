//! The notifications already raised, kept across restarts in the XDG state
//! dir: Freshworks delivers at least once, so an event can come again after
//! the app restarted, and the agent must not be told twice. Only the
//! notification memory is kept (one entry per notification, small); the
//! event memory behind it is rebuilt as events arrive.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

/// `notified.json`: `[[fingerprint, unix seconds], ...]`, oldest first.
#[derive(Clone, Debug)]
pub struct NotifiedStore {
    path: PathBuf,
}

impl NotifiedStore {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        NotifiedStore { path: path.into() }
    }

    /// `notified.json` in the state dir, beside the resume points.
    pub fn default_location() -> Option<Self> {
        crate::resume::state_dir().map(|d| NotifiedStore::at(d.join("notified.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved memory; empty when absent. A damaged file only costs the
    /// memory (a redelivery may notify again), so it is reported and
    /// replaced on the next save.
    pub fn load(&self) -> Vec<(u64, DateTime<Utc>)> {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return Vec::new();
        };
        match serde_json::from_slice::<Vec<(u64, i64)>>(&bytes) {
            Ok(entries) => entries
                .into_iter()
                .filter_map(|(fp, secs)| DateTime::from_timestamp(secs, 0).map(|at| (fp, at)))
                .collect(),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), "notification memory unreadable ({e}); starting without it");
                Vec::new()
            }
        }
    }

    pub fn save(&self, entries: &[(u64, DateTime<Utc>)]) -> io::Result<()> {
        let compact: Vec<(u64, i64)> = entries
            .iter()
            .map(|(fp, at)| (*fp, at.timestamp()))
            .collect();
        let bytes = serde_json::to_vec(&compact).map_err(io::Error::other)?;
        crate::config::write_atomically(&self.path, &bytes)
    }
}
