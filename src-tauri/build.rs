// The window's commands, declared so each gets an `allow-<name>` permission
// that capabilities/main.json grants one by one. Keep in step with
// src/commands.rs (COMMANDS) and generate_handler! in src/desktop.rs.
const COMMANDS: &[&str] = &[
    "get_snapshot",
    "set_subscription",
    "set_dnd",
    "add_account",
    "remove_account",
    "open_feed_item",
    "dismiss_away",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build: {e:#}");
    }
}
