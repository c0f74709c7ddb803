//! Where each account's stream resumes after a restart: the last relay event
//! id per account, in a small JSON file in the XDG state dir, written
//! atomically. Without it a restarted app would start at the relay's newest
//! event and skip whatever arrived while it was down.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Deskbell's state dir: `$XDG_STATE_HOME/deskbell` (or the platform's
/// equivalent). Resume points and logs live here.
pub fn state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("deskbell"))
}

#[derive(Clone, Debug)]
pub struct ResumeStore {
    path: PathBuf,
}

impl ResumeStore {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        ResumeStore { path: path.into() }
    }

    /// `resume.json` in [`state_dir`].
    pub fn default_location() -> Option<Self> {
        state_dir().map(|d| ResumeStore::at(d.join("resume.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved points; empty when there are none. A damaged file is only
    /// a lost optimisation (the stream starts at the newest event), so it is
    /// reported and replaced on the next save.
    pub fn load(&self) -> BTreeMap<String, u64> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %self.path.display(), "resume points unreadable ({e}); starting from the newest events");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        }
    }

    pub fn save(&self, points: &BTreeMap<String, u64>) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(points).map_err(io::Error::other)?;
        crate::config::write_atomically(&self.path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage_tolerated() {
        let dir = std::env::temp_dir().join(format!("deskbell-resume-{}", std::process::id()));
        let store = ResumeStore::at(dir.join("nested/resume.json"));
        assert!(store.load().is_empty());
        let points = BTreeMap::from([("acme".to_owned(), 41u64), ("other".to_owned(), 7)]);
        store.save(&points).unwrap();
        assert_eq!(store.load(), points);
        std::fs::write(store.path(), b"{ not json").unwrap();
        assert!(store.load().is_empty());
        store.save(&points).unwrap();
        assert_eq!(store.load(), points);
        let _ = std::fs::remove_dir_all(dir);
    }
}
