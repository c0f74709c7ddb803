//! Optional start at login. On Linux an XDG autostart entry: the user's
//! own (`$XDG_CONFIG_HOME/autostart/deskbell.desktop`) wins over the one
//! the package installs for everyone (`/etc/xdg/autostart/`), so "off"
//! under a system entry is a user entry with `Hidden=true`, as the XDG
//! autostart spec says. Off unless the package or the agent turned it on.
//! A launch agent on macOS, the Run key on Windows (through auto-launch).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AutostartError {
    #[error("cannot find this program's path: {0}")]
    NoPath(String),
    #[error("cannot change start at login: {0}")]
    Os(String),
}

impl AutostartError {
    pub fn code(&self) -> &'static str {
        match self {
            AutostartError::NoPath(_) => "autostart_no_path",
            AutostartError::Os(_) => "autostart_failed",
        }
    }
}

fn exe() -> Result<String, AutostartError> {
    let exe = std::env::current_exe().map_err(|e| AutostartError::NoPath(e.to_string()))?;
    exe.to_str()
        .map(str::to_owned)
        .ok_or_else(|| AutostartError::NoPath(format!("{} is not UTF-8", exe.display())))
}

#[cfg(target_os = "linux")]
mod xdg {
    use std::path::PathBuf;

    use super::{exe, AutostartError};

    const ENTRY: &str = "autostart/deskbell.desktop";

    fn user_entry() -> Result<PathBuf, AutostartError> {
        dirs_config()
            .map(|d| d.join(ENTRY))
            .ok_or_else(|| AutostartError::Os("no config directory (HOME is not set)".into()))
    }

    fn dirs_config() -> Option<PathBuf> {
        std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
    }

    /// The entry installed for every user, if any ($XDG_CONFIG_DIRS).
    fn system_entry() -> Option<PathBuf> {
        let dirs = std::env::var("XDG_CONFIG_DIRS").unwrap_or_default();
        let dirs = if dirs.is_empty() {
            "/etc/xdg".to_owned()
        } else {
            dirs
        };
        dirs.split(':')
            .map(|d| PathBuf::from(d).join(ENTRY))
            .find(|p| p.exists())
    }

    fn hidden(text: &str) -> bool {
        text.lines().any(|l| l.trim() == "Hidden=true")
    }

    pub fn is_on() -> Result<bool, AutostartError> {
        match std::fs::read_to_string(user_entry()?) {
            Ok(text) => Ok(!hidden(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(system_entry().is_some()),
            Err(e) => Err(AutostartError::Os(e.to_string())),
        }
    }

    pub fn set(on: bool) -> Result<(), AutostartError> {
        let path = user_entry()?;
        let os = |e: std::io::Error| AutostartError::Os(format!("{}: {e}", path.display()));
        let text = match (on, system_entry().is_some()) {
            // The system's entry starts it; the user's would only shadow it.
            (true, true) | (false, false) => {
                return match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(os(e)),
                };
            }
            (true, false) => format!(
                "[Desktop Entry]\nType=Application\nName=Deskbell\nComment=Tray notifier for support agents\nExec={}\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
                exe()?
            ),
            (false, true) => "[Desktop Entry]\nType=Application\nName=Deskbell\nHidden=true\n".to_owned(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(os)?;
        }
        std::fs::write(&path, text).map_err(os)
    }
}

#[cfg(target_os = "linux")]
pub use xdg::{is_on, set};

#[cfg(not(target_os = "linux"))]
fn entry() -> Result<auto_launch::AutoLaunch, AutostartError> {
    auto_launch::AutoLaunchBuilder::new()
        .set_app_name("deskbell")
        .set_app_path(&exe()?)
        .build()
        .map_err(|e| AutostartError::Os(e.to_string()))
}

#[cfg(not(target_os = "linux"))]
pub fn set(on: bool) -> Result<(), AutostartError> {
    let entry = entry()?;
    let done = if on { entry.enable() } else { entry.disable() };
    done.map_err(|e| AutostartError::Os(e.to_string()))
}

#[cfg(not(target_os = "linux"))]
pub fn is_on() -> Result<bool, AutostartError> {
    entry()?
        .is_enabled()
        .map_err(|e| AutostartError::Os(e.to_string()))
}
