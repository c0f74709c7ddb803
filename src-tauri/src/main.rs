// No console window on Windows: the window is started by the tray.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    deskbell_window::run()
}
