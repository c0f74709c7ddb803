//! The real app on a headless desktop (scripts/headless-session): it starts
//! in the tray with no window, publishes its menu, opens its window from the
//! menu, survives the window closing, and quits from the menu.
//! Ignored under plain `cargo test`; scripts/test runs it with --ignored.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{bin, require_headless_desktop, wait_exit, wait_until, window_exists, Tray};

#[test]
#[ignore = "needs a headless desktop: scripts/test runs it"]
fn tray_menu_opens_the_window_and_quits() {
    require_headless_desktop();
    let mut app = Command::new(bin())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let tray = Tray::wait_for(app.id(), Duration::from_secs(30));
    let layout = tray.layout();
    assert!(
        layout.contains("'Open Deskbell'") && layout.contains("'Quit'"),
        "{layout}"
    );
    assert!(!window_exists("Deskbell"), "starts in the tray, no window");

    tray.click("Open Deskbell");
    assert!(
        wait_until(Duration::from_secs(20), || window_exists("Deskbell")),
        "window opened"
    );

    tray.click("Quit");
    let status = wait_exit(&mut app, Duration::from_secs(15));
    if status.is_none() {
        let _ = app.kill();
    }
    assert!(status.expect("exits after Quit").success());
}
