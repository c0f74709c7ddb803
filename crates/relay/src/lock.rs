//! The data directory's lock. A serving relay holds it for its whole life;
//! `restore` takes it before touching the log, so a restore can never move
//! the file a running relay is writing into (its acknowledged events would
//! be lost at the next restart). The OS drops the lock when the holder
//! exits, `kill -9` included, so a crash leaves nothing stale behind.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LockError {
    #[error(
        "a relay is serving from {dir}{pid}; stop it first \
         (sudo systemctl stop deskbell-relay); nothing was changed"
    )]
    Held { dir: PathBuf, pid: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while this value lives.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

pub fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.lock")
}

/// Takes the data directory's lock, or says who holds it. Never waits.
pub fn acquire(data_dir: &Path) -> Result<DataLock, LockError> {
    let path = lock_path(data_dir);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let pid = match holder.trim() {
                "" => String::new(),
                pid => format!(" (pid {pid})"),
            };
            return Err(LockError::Held {
                dir: data_dir.to_owned(),
                pid,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    // Who holds it, for the message another process shows.
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(DataLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = std::env::temp_dir().join(format!("deskbell-lock-{}", std::process::id()));
        let first = acquire(&dir).unwrap();
        let refused = acquire(&dir).unwrap_err();
        assert!(matches!(refused, LockError::Held { .. }), "{refused}");
        let message = refused.to_string();
        assert!(
            message.contains(&format!("(pid {})", std::process::id())),
            "{message}"
        );
        drop(first);
        let again = acquire(&dir);
        assert!(again.is_ok());
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
