//! The real tray process on a headless desktop (scripts/headless-session):
//! it starts with no window, publishes its menu, starts the window's
//! process from the menu, outlives it (closed, or killed with -9), and
//! quits from the menu.
//! Ignored under plain `cargo test`; scripts/test runs it with --ignored.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    bin, close_window, descendants, dunst_seen, menu_item_checked, require_headless_desktop,
    wait_exit, wait_until, window_exists, Reaped, Tray,
};

#[test]
#[ignore = "needs a headless desktop: scripts/test runs it"]
fn tray_menu_opens_the_window_and_quits() {
    require_headless_desktop();
    // Its own config dir: no account, so the built-in demo plays.
    let config_home = std::env::temp_dir().join(format!("deskbell-tray-{}", std::process::id()));
    std::fs::create_dir_all(&config_home).unwrap();
    // Killed with the test if an assertion fails first.
    let mut app = Reaped(
        Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let tray = Tray::wait_for(app.id(), Duration::from_secs(30));
    let layout = tray.layout();
    for item in [
        "'Open Deskbell'",
        "'Quit'",
        "'Missed calls'",
        "'Do not disturb'",
        "'Demo: built-in sample events'",
    ] {
        assert!(layout.contains(item), "{item} in {layout}");
    }
    assert!(!window_exists("Deskbell"), "starts in the tray, no window");
    // With no account the demo plays: notifications within seconds.
    let mut seen = Vec::new();
    let demo = wait_until(Duration::from_secs(15), || {
        dunst_seen(&mut seen);
        // The demo's first ticket (deskbell_core::demo::payload(1)).
        seen.iter().any(|(s, _)| s.starts_with("New ticket #1001"))
    });
    assert!(demo, "demo notifications: {seen:?}");

    // Do not disturb: nothing is shown while it lasts, then one summary.
    tray.click("For 1 hour");
    let dnd_saved = wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(config_home.join("deskbell/config.toml"))
            .unwrap_or_default()
            .contains("do_not_disturb_until")
    });
    assert!(dnd_saved, "DND is saved in the config");
    std::thread::sleep(Duration::from_millis(500));
    dunst_seen(&mut seen);
    let before = seen.len();
    std::thread::sleep(Duration::from_secs(7)); // two demo events at least
    dunst_seen(&mut seen);
    assert_eq!(seen.len(), before, "nothing shown during DND: {seen:?}");
    tray.click("Off");
    let summary = wait_until(Duration::from_secs(10), || {
        dunst_seen(&mut seen);
        seen.iter()
            .any(|(s, _)| s == "While you were in do-not-disturb")
    });
    assert!(summary, "one summary when DND ends: {seen:?}");

    // One instance: a second launch hands over to the first and exits,
    // and the first opens its window.
    let mut second = Command::new(bin())
        .env("XDG_CONFIG_HOME", &config_home)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let second_status = wait_exit(&mut second, Duration::from_secs(15));
    if second_status.is_none() {
        let _ = second.kill();
    }
    assert!(second_status.expect("the second launch exits").success());
    assert!(
        wait_until(Duration::from_secs(20), || window_exists("Deskbell")),
        "the first instance opened its window"
    );
    assert!(
        app.try_wait().unwrap().is_none(),
        "the first instance runs on"
    );

    tray.click("Open Deskbell");
    assert!(
        wait_until(Duration::from_secs(20), || window_exists("Deskbell")),
        "window opened"
    );

    // The window is a process of its own (with WebKit's under it); closing
    // the window ends them all, and the tray lives on.
    let window_processes = |pid: u32| {
        descendants(pid)
            .iter()
            .filter(|(_, name)| name.starts_with("WebKit") || name.starts_with("deskbell-window"))
            .count()
    };
    assert!(
        window_processes(app.id()) >= 2,
        "{:?}",
        descendants(app.id())
    );
    close_window("Deskbell");
    let closed = wait_until(Duration::from_secs(20), || {
        !window_exists("Deskbell") && window_processes(app.id()) == 0
    });
    assert!(
        closed,
        "window and web processes gone: {:?}",
        descendants(app.id())
    );
    assert!(app.try_wait().unwrap().is_none(), "runs on in the tray");
    tray.click("Open Deskbell");
    assert!(
        wait_until(Duration::from_secs(20), || window_exists("Deskbell")),
        "the window opens again"
    );

    // The window's process killed with -9: the tray goes on notifying, and
    // the next Open starts a new window.
    let window_pid = descendants(app.id())
        .into_iter()
        .find(|(_, name)| name.starts_with("deskbell-window"))
        .map(|(pid, _)| pid)
        .expect("the window's process");
    let killed = Command::new("kill")
        .args(["-9", &window_pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(wait_until(Duration::from_secs(10), || !window_exists(
        "Deskbell"
    )));
    dunst_seen(&mut seen);
    let before = seen.len();
    assert!(
        wait_until(Duration::from_secs(15), || {
            dunst_seen(&mut seen);
            seen.len() > before
        }),
        "the demo's notifications go on after the window was killed"
    );
    assert!(app.try_wait().unwrap().is_none(), "the tray runs on");
    tray.click("Open Deskbell");
    assert!(
        wait_until(Duration::from_secs(20), || window_exists("Deskbell")),
        "a new window opens after the killed one"
    );

    // Start at login: off until asked; the tray item and the CLI agree.
    // The entry is the user's XDG autostart one ($XDG_CONFIG_HOME/autostart).
    let entry = config_home.join("autostart/deskbell.desktop");
    assert!(!entry.exists());
    assert_eq!(
        menu_item_checked(&tray.layout(), "Start at login"),
        Some(false)
    );
    tray.click("Start at login");
    assert!(wait_until(Duration::from_secs(10), || entry.exists()));
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.contains(&format!("Exec={}", bin())), "{text}");
    let status = Command::new(bin())
        .args(["autostart", "status"])
        .env("XDG_CONFIG_HOME", &config_home)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&status.stdout).trim(),
        "start at login: on"
    );
    let off = Command::new(bin())
        .args(["autostart", "off"])
        .env("XDG_CONFIG_HOME", &config_home)
        .output()
        .unwrap();
    assert!(off.status.success());
    assert!(!entry.exists());

    tray.click("Quit");
    let status = wait_exit(&mut app, Duration::from_secs(15));
    if status.is_none() {
        let _ = app.kill();
    }
    assert!(status.expect("exits after Quit").success());
    let _ = std::fs::remove_dir_all(&config_home);
}
