//! The desktop .deb as an agent's machine gets it (built by
//! `scripts/package --debug`, which scripts/test runs first): what it
//! installs, and its binaries run from the unpacked package on a headless
//! desktop: the tray on D-Bus with no web engine linked, the autostart
//! entry honoured and turned off per user, the window opened from the
//! tray's own directory. Ignored under plain `cargo test`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    descendants, menu_item_checked, require_headless_desktop, wait_exit, wait_until, window_exists,
    Reaped, Tray,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The one .deb `scripts/package --debug` built.
fn deb() -> PathBuf {
    let dir = root().join("target/debug/bundle/deb");
    let debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/package --debug first", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "one .deb in {}: {debs:?}", dir.display());
    debs[0].clone()
}

/// The libraries a binary asks the loader for.
fn needed(binary: &Path) -> Vec<String> {
    let out = Command::new("readelf")
        .arg("-d")
        .arg(binary)
        .output()
        .unwrap();
    assert!(out.status.success(), "readelf {}", binary.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| {
            l.split('[')
                .nth(1)
                .map(|n| n.trim_end_matches(']').to_owned())
        })
        .collect()
}

#[test]
#[ignore = "needs scripts/package --debug and a headless desktop: scripts/test runs it"]
fn the_deb_installs_both_processes_and_they_run_from_it() {
    require_headless_desktop();
    let deb = deb();
    let unpacked = std::env::temp_dir().join(format!("deskbell-deb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&unpacked);
    let x = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(x.success(), "dpkg-deb -x");

    // What it installs.
    let tray_bin = unpacked.join("usr/bin/deskbell");
    let window_bin = unpacked.join("usr/bin/deskbell-window");
    assert!(tray_bin.is_file() && window_bin.is_file(), "both binaries");
    let desktop = std::fs::read_dir(unpacked.join("usr/share/applications"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        desktop.contains("\nExec=deskbell %u\n"),
        "the menu entry starts the tray (with a clicked link, if any): {desktop}"
    );
    assert!(
        desktop.contains("\nMimeType=x-scheme-handler/deskbell;\n"),
        "deskbell:// invitation links open in Deskbell: {desktop}"
    );
    let autostart = unpacked.join("etc/xdg/autostart/deskbell.desktop");
    let text = std::fs::read_to_string(&autostart).expect("the autostart entry");
    assert!(text.contains("\nExec=deskbell\n"), "{text}");
    let icons = unpacked.join("usr/share/icons/hicolor");
    assert!(icons.is_dir(), "icons");
    let depends = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(&deb)
        .arg("Depends")
        .output()
        .unwrap();
    let depends = String::from_utf8_lossy(&depends.stdout);
    assert!(depends.contains("libwebkit2gtk-4.1-0"), "{depends}");

    // The tray process links no web engine and no toolkit; the window does.
    let tray_libs = needed(&tray_bin);
    for lib in &tray_libs {
        assert!(
            !["webkit", "javascriptcore", "gtk", "gdk"]
                .iter()
                .any(|w| lib.contains(w)),
            "the tray links {lib}: {tray_libs:?}"
        );
    }
    assert!(needed(&window_bin).iter().any(|l| l.contains("webkit2gtk")));

    // Run from the package: the system autostart entry counts as "on"
    // until this agent turns it off.
    let config_home = unpacked.join("home-config");
    let mut tray = Reaped(
        Command::new(&tray_bin)
            .env("XDG_CONFIG_HOME", &config_home)
            .env("XDG_CONFIG_DIRS", unpacked.join("etc/xdg"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let menu = Tray::wait_for(tray.id(), Duration::from_secs(30));
    assert_eq!(
        menu_item_checked(&menu.layout(), "Start at login"),
        Some(true)
    );
    menu.click("Start at login");
    let user_entry = config_home.join("autostart/deskbell.desktop");
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::read_to_string(
            &user_entry
        )
        .is_ok_and(|t| t.contains("Hidden=true"))),
        "turned off for this user only"
    );
    assert!(autostart.exists(), "the package's entry stays");
    assert!(wait_until(Duration::from_secs(10), || menu_item_checked(
        &menu.layout(),
        "Start at login"
    ) == Some(false)));

    // `deskbell open` from the package starts the package's window.
    let open = Command::new(&tray_bin)
        .arg("open")
        .env("XDG_CONFIG_HOME", &config_home)
        .output()
        .unwrap();
    assert!(
        open.status.success(),
        "{}",
        String::from_utf8_lossy(&open.stderr)
    );
    assert!(
        wait_until(Duration::from_secs(30), || window_exists("Deskbell")),
        "the window opened"
    );
    let window = descendants(tray.id())
        .into_iter()
        .find(|(_, name)| name.starts_with("deskbell-window"))
        .expect("the window, started by the tray");
    let exe = std::fs::read_link(format!("/proc/{}/exe", window.0)).unwrap();
    assert_eq!(exe, window_bin, "the window beside the tray");

    menu.click("Quit");
    let status = wait_exit(&mut tray, Duration::from_secs(15));
    assert!(status.expect("exits after Quit").success());
    assert!(
        wait_until(Duration::from_secs(10), || !window_exists("Deskbell")),
        "Quit closes the window too"
    );
    let _ = std::fs::remove_dir_all(&unpacked);
}
