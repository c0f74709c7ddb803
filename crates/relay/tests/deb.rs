//! The relay's .deb as an admin meets it: installed, upgraded with a changed
//! example config under a non-interactive apt (no prompt, the admin's edits
//! kept), used by the CLI without `--data`, and purged (nothing left).
//! It installs a package on this machine, so it is ignored under plain
//! `cargo test` and runs as root only (scripts/test runs it in CI).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn build_deb(version: &str, example: &Path) -> PathBuf {
    let out = run(Command::new(root().join("deploy/build-deb"))
        .env("DESKBELL_DEB_BINARY", support::bin())
        .env("DESKBELL_DEB_VERSION", version)
        .env("DESKBELL_DEB_EXAMPLE", example));
    let rel = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    // Copied out of target/: apt reads a local package as the _apt user.
    let to = std::env::temp_dir().join(Path::new(&rel).file_name().unwrap());
    std::fs::copy(root().join(&rel), &to).unwrap();
    to
}

/// `apt-get install` as an unattended upgrade runs it: no terminal, no
/// answers, and a time limit, so a prompt fails the test instead of hanging.
fn apt_install(deb: &Path) {
    run(Command::new("timeout")
        .args(["120", "apt-get", "install", "-y", "--no-install-recommends"])
        .arg(deb)
        .env("DEBIAN_FRONTEND", "noninteractive"));
}

fn as_service_user(args: &[&str]) -> Output {
    run(Command::new("runuser")
        .args(["-u", "deskbell-relay", "--", "/usr/bin/deskbell-relay"])
        .args(args)
        .current_dir("/"))
}

fn mode(path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Purges the package even when an assertion failed.
struct Purge;

impl Drop for Purge {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "deskbell-relay"])
            .stdin(Stdio::null())
            .output();
    }
}

#[test]
#[ignore = "installs a package: scripts/test runs it (as root)"]
fn install_upgrade_and_purge_like_a_debian_package() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0"
        || Command::new("dpkg").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs root and dpkg");
        return;
    }
    let status = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "deskbell-relay"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains("installed"),
        "deskbell-relay is already installed here; the test would purge it"
    );
    let scratch = support::TempDir::new("deb");
    let first = build_deb("0.1.0", &root().join("deploy/relay.example.toml"));
    let changed = scratch.0.join("relay.example.toml");
    let mut example = std::fs::read_to_string(root().join("deploy/relay.example.toml")).unwrap();
    example.push_str("\n# A comment the next release adds.\n");
    std::fs::write(&changed, example).unwrap();
    let second = build_deb("0.1.1", &changed);

    let _purge = Purge;
    apt_install(&first);
    assert_eq!(mode("/etc/deskbell-relay/env"), 0o600);
    let env = std::fs::read_to_string("/etc/deskbell-relay/env").unwrap();
    assert!(env.starts_with("DESKBELL_RELAY_SECRET=") && env.len() > 30);
    assert_eq!(mode("/var/lib/deskbell-relay"), 0o700);
    run(Command::new("getent").args(["passwd", "deskbell-relay"]));

    // The admin edits the config; the upgrade ships a changed example.
    let config = "/etc/deskbell-relay/relay.toml";
    let edited = std::fs::read_to_string(config)
        .unwrap()
        .replace("keepalive_seconds = 15", "keepalive_seconds = 20");
    std::fs::write(config, &edited).unwrap();
    apt_install(&second);
    assert_eq!(std::fs::read_to_string(config).unwrap(), edited);
    assert_eq!(
        std::fs::read_to_string("/etc/deskbell-relay/env").unwrap(),
        env,
        "the ingress secret survives an upgrade"
    );

    // The CLI finds the service's data without --data, and backups are 600.
    let added = as_service_user(&["token", "add", "tom"]);
    assert!(String::from_utf8_lossy(&added.stdout).contains("dbr_"));
    assert!(std::path::Path::new("/var/lib/deskbell-relay/relay.sqlite3").exists());
    let listed = as_service_user(&["token", "list"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).starts_with("tom\t(no email)\tactive\tcreated 20")
    );
    as_service_user(&["backup", "/var/lib/deskbell-relay/backup.sqlite3"]);
    assert_eq!(mode("/var/lib/deskbell-relay/backup.sqlite3"), 0o600);
    // The config the service reads passes the relay's own strict check.
    let checked = Command::new("/usr/bin/deskbell-relay")
        .args([
            "--data",
            scratch.0.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:1",
        ])
        .env_remove("DESKBELL_RELAY_SECRET")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&checked.stderr);
    assert!(err.contains("no ingress secret"), "{err}");

    // Remove keeps the data; purge takes everything it made.
    run(Command::new("dpkg").args(["--remove", "deskbell-relay"]));
    assert!(Path::new("/var/lib/deskbell-relay/relay.sqlite3").exists());
    assert!(Path::new("/etc/deskbell-relay/env").exists());
    run(Command::new("dpkg").args(["--purge", "deskbell-relay"]));
    for gone in ["/etc/deskbell-relay", "/var/lib/deskbell-relay"] {
        assert!(!Path::new(gone).exists(), "{gone} after purge");
    }
    let user = Command::new("getent")
        .args(["passwd", "deskbell-relay"])
        .output()
        .unwrap();
    assert!(!user.status.success(), "the service's user after purge");
}
