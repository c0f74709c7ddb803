//! Optional start at login, off until the agent asks: an XDG autostart entry
//! on Linux, a launch agent on macOS, the Run key on Windows.

use auto_launch::{AutoLaunch, AutoLaunchBuilder};
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

fn entry() -> Result<AutoLaunch, AutostartError> {
    let exe = std::env::current_exe().map_err(|e| AutostartError::NoPath(e.to_string()))?;
    let path = exe
        .to_str()
        .ok_or_else(|| AutostartError::NoPath(format!("{} is not UTF-8", exe.display())))?;
    AutoLaunchBuilder::new()
        .set_app_name("deskbell")
        .set_app_path(path)
        .build()
        .map_err(|e| AutostartError::Os(e.to_string()))
}

pub fn set(on: bool) -> Result<(), AutostartError> {
    let entry = entry()?;
    let done = if on { entry.enable() } else { entry.disable() };
    done.map_err(|e| AutostartError::Os(e.to_string()))
}

pub fn is_on() -> Result<bool, AutostartError> {
    entry()?
        .is_enabled()
        .map_err(|e| AutostartError::Os(e.to_string()))
}
