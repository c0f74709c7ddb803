//! The small JSON files in Deskbell's state dir (resume points, the feed,
//! the notification memory), written atomically. What they hold is a
//! convenience the app can run without, so a damaged file is reported,
//! read as empty, and replaced on the next save: never a reason to stop.

use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Deskbell's state dir: `$XDG_STATE_HOME/deskbell` (or the platform's
/// equivalent). The state files and the logs live here.
pub fn state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("deskbell"))
}

/// One state file holding a `T`.
pub struct StateFile<T> {
    path: PathBuf,
    holds: PhantomData<fn() -> T>,
}

impl<T> Clone for StateFile<T> {
    fn clone(&self) -> Self {
        StateFile::at(self.path.clone())
    }
}

impl<T> std::fmt::Debug for StateFile<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StateFile").field(&self.path).finish()
    }
}

impl<T> StateFile<T> {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        StateFile {
            path: path.into(),
            holds: PhantomData,
        }
    }

    /// `name` in [`state_dir`].
    pub fn named(name: &str) -> Option<Self> {
        state_dir().map(|d| StateFile::at(d.join(name)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl<T: Serialize + DeserializeOwned + Default> StateFile<T> {
    /// What the file holds; empty when it is absent or damaged.
    pub fn load(&self) -> T {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return T::default();
        };
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(path = %self.path.display(), "unreadable ({e}); starting without it");
            T::default()
        })
    }

    pub fn save(&self, value: &T) -> io::Result<()> {
        let bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
        crate::config::write_atomically(&self.path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn round_trip_and_damage_tolerated() {
        let dir = std::env::temp_dir().join(format!("deskbell-state-{}", std::process::id()));
        let file: StateFile<BTreeMap<String, u64>> = StateFile::at(dir.join("nested/x.json"));
        assert!(file.load().is_empty());
        let value = BTreeMap::from([("acme".to_owned(), 41u64), ("other".to_owned(), 7)]);
        file.save(&value).unwrap();
        assert_eq!(file.load(), value);
        std::fs::write(file.path(), b"{ not json").unwrap();
        assert!(file.load().is_empty());
        file.save(&value).unwrap();
        assert_eq!(file.load(), value);
        let _ = std::fs::remove_dir_all(dir);
    }
}
