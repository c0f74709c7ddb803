// The window's commands, declared so each gets an `allow-<name>` permission
// that capabilities/main.json grants one by one.
include!("src/command_names.rs");

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build: {e:#}");
    }
}
