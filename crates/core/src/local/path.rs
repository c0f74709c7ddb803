//! Where the tray's socket is: `$XDG_RUNTIME_DIR/deskbell/tray.sock` on
//! Linux (the per-user runtime directory), or `deskbell-<uid>` in the
//! temporary directory where there is none (macOS's is per user). The
//! directory is the user's alone (mode 0700, owned by them): checked, and
//! its mode mended, before the socket is made or used. Never an abstract
//! socket: any local user could reach one.

use std::path::{Path, PathBuf};

use thiserror::Error;

pub const SOCKET_NAME: &str = "tray.sock";

#[derive(Debug, Error)]
pub enum PathError {
    #[error("{0} belongs to another user; Deskbell will not put its socket there")]
    NotOurs(PathBuf),
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl PathError {
    pub fn code(&self) -> &'static str {
        match self {
            PathError::NotOurs(_) => "socket_dir_not_ours",
            PathError::NotADirectory(_) => "socket_dir_not_a_directory",
            PathError::Io { .. } => "socket_dir",
        }
    }
}

/// This process's user id.
#[cfg(unix)]
pub fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The directory the socket lives in.
#[cfg(unix)]
pub fn socket_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(run) if run.is_absolute() => run.join("deskbell"),
        _ => std::env::temp_dir().join(format!("deskbell-{}", uid())),
    }
}

#[cfg(unix)]
pub fn socket_path() -> PathBuf {
    socket_dir().join(SOCKET_NAME)
}

/// Makes `dir` (mode 0700) or checks it is the user's, and mends a wider
/// mode. Refuses a symlink or another user's directory.
#[cfg(unix)]
pub fn prepare_dir(dir: &Path) -> Result<(), PathError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let io = |source| PathError::Io {
        path: dir.to_owned(),
        source,
    };
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(io)?;
    if !meta.is_dir() {
        return Err(PathError::NotADirectory(dir.to_owned()));
    }
    if meta.uid() != uid() {
        return Err(PathError::NotOurs(dir.to_owned()));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_directory_is_made_private_and_a_wide_mode_is_mended() {
        let dir = std::env::temp_dir().join(format!("deskbell-path-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        prepare_dir(&dir).unwrap();
        let mode = |d: &Path| std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(
            prepare_dir(&file),
            Err(PathError::NotADirectory(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
