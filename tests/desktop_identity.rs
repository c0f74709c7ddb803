//! An agent who never types an id or a token: the relay's admin invites
//! them (`deskbell-relay invite NAME --email EMAIL`), `deskbell account add
//! --invite CODE` gets the token straight into the keyring, and the relay's
//! `me` says who they are, so "assigned to you" works with "About me" left
//! empty. Real relay, its directory from the Freshdesk API double, the real
//! app, dunst and gnome-keyring. The code works once, and neither it nor
//! the token is in any file.
//! Ignored under plain `cargo test`; scripts/test runs it with --ignored.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    bin, dunst_seen, fixture, http, relay_bin, require_headless_desktop, wait_exit, wait_until,
    Reaped, Tray,
};

const SECRET: &str = "identity-test-ingress";
const KEY: &str = "identity-test-api-key";

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `deskbell account add NAME --relay URL --invite CODE`, nothing on stdin.
fn join(config_home: &Path, name: &str, addr: &str, code: &str) -> std::process::Output {
    Command::new(bin())
        .env("XDG_CONFIG_HOME", config_home)
        .args([
            "account",
            "add",
            name,
            "--relay",
            &format!("http://{addr}/"),
        ])
        .args(["--invite", code])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn reassigned(addr: &str, ticket: u64, from: u64, to: u64) {
    let mut v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("freshdesk/ticket-update-responder-320-to-321.json")).unwrap(),
    )
    .unwrap();
    v["data"]["ticket"]["id"] = serde_json::json!(ticket);
    v["data"]["ticket"]["responder_id"] = serde_json::json!(to);
    v["data"]["ticket"]["changes"]["responder_id"] = serde_json::json!([from, to]);
    let (status, body) = http(
        addr,
        "POST",
        "/v1/events",
        Some(SECRET),
        &serde_json::to_vec(&v).unwrap(),
    );
    assert_eq!(status, 202, "{body}");
}

#[test]
#[ignore = "needs a headless desktop: scripts/test runs it"]
fn an_invited_agent_is_known_by_the_relay_and_types_nothing() {
    require_headless_desktop();
    let scratch = std::env::temp_dir().join(format!("deskbell-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let config_home = scratch.join("config");
    let state_home = scratch.join("state");

    let (double, api, api_addr) = support::api_double(KEY);
    let agents = serde_json::json!([
        {"id": 43000000001u64, "available": true, "group_ids": [351],
         "contact": {"name": "Tom Agent", "email": "tom@acme.example"}},
        {"id": 43000000002u64, "available": true, "group_ids": [351],
         "contact": {"name": "Rita Hold", "email": "rita@acme.example"}},
    ]);
    for (path, body) in [
        ("/_double/agents", agents),
        (
            "/_double/groups",
            serde_json::json!([{"id": 351, "name": "Billing"}]),
        ),
    ] {
        let (status, _) = http(
            &api_addr,
            "POST",
            path,
            None,
            &serde_json::to_vec(&body).unwrap(),
        );
        assert_eq!(status, 200);
    }

    let data = scratch.join("relay");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("freshdesk.key"), KEY).unwrap();
    let config = data.join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "ingress_secret = \"{SECRET}\"\n[freshdesk]\nurl = \"{api}\"\napi_key_file = \"{}\"\n",
            data.join("freshdesk.key").display()
        ),
    )
    .unwrap();
    let relay = relay_bin();
    let (relay_proc, addr) = support::relay_serving(&data, &config);
    let code = support::invite_code(&data, "tom-desk", "tom@acme.example", &addr);

    // Joined with the code: nothing typed, nothing on standard input.
    let joined = join(&config_home, "acme", &addr, &code);
    assert!(
        joined.status.success(),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    let said = String::from_utf8_lossy(&joined.stdout);
    assert!(said.contains("as tom@acme.example"), "{said}");
    // Once: the same code again is refused plainly, and nothing is saved.
    let config_file = config_home.join("deskbell/config.toml");
    let before = std::fs::read_to_string(&config_file).unwrap();
    let again = join(&config_home, "acme-2", &addr, &code);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("used already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&config_file).unwrap(), before);

    let log = scratch.join("app.log");
    let mut app = Reaped(
        Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .env("XDG_STATE_HOME", &state_home)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let tray = Tray::wait_for(app.id(), Duration::from_secs(30));
    assert!(
        support::relay_clients(&addr, 1, Duration::from_secs(20)),
        "the app connected with the relay's token"
    );
    // The directory is read at start; the stream says `me` with it.
    std::thread::sleep(Duration::from_secs(2));

    // Between two others: not mine, so quiet (with no identity at all,
    // every reassignment would notify). To Tom, by the directory's id:
    // "assigned to you", though "About me" is empty.
    reassigned(&addr, 9101, 320, 43000000002);
    reassigned(&addr, 9102, 320, 43000000001);
    let mut seen = Vec::new();
    let shown = wait_until(Duration::from_secs(15), || {
        dunst_seen(&mut seen);
        seen.iter()
            .any(|(s, _)| s == "Ticket #9102 assigned to you")
    });
    assert!(shown, "assigned to me, known from the relay: {seen:#?}");
    std::thread::sleep(Duration::from_secs(2));
    dunst_seen(&mut seen);
    assert!(
        !seen.iter().any(|(s, _)| s.starts_with("Ticket #9101")),
        "a reassignment between others is not mine: {seen:#?}"
    );

    // A clicked link (the desktop entry runs `deskbell LINK`) while the
    // tray runs: the tray spends the code and adds the account.
    let invite = Command::new(&relay)
        .arg("--data")
        .arg(&data)
        .args(["invite", "tom-laptop", "--url", &format!("http://{addr}/")])
        .output()
        .unwrap();
    let link = String::from_utf8(invite.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Link: ").map(str::to_owned))
        .expect("a link");
    let clicked = Command::new(bin())
        .env("XDG_CONFIG_HOME", &config_home)
        .env("XDG_STATE_HOME", &state_home)
        .arg(&link)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        clicked.status.success(),
        "{}",
        String::from_utf8_lossy(&clicked.stderr)
    );
    assert!(String::from_utf8_lossy(&clicked.stdout).contains("Added tom-laptop"));
    assert!(
        support::relay_clients(&addr, 2, Duration::from_secs(20)),
        "both accounts connected"
    );
    // Clicked again: the account is there already; said plainly, and the
    // code is not even tried.
    let again = Command::new(bin())
        .env("XDG_CONFIG_HOME", &config_home)
        .env("XDG_STATE_HOME", &state_home)
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        said.contains("an account named \"tom-laptop\" exists"),
        "{said}"
    );

    tray.click("Quit");
    if wait_exit(&mut app, Duration::from_secs(15)).is_none() {
        let _ = app.kill();
    }
    drop(relay_proc);
    drop(double);

    // The code and the token (the keyring holds it) are in no file: the
    // desktop's config, state and log, nor the relay's data.
    let token = Command::new("secret-tool")
        .args(["lookup", "service", "deskbell", "username", "acme"])
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("dbr_"), "the token is in the keyring");
    let normal: String = code.chars().filter(|c| *c != '-').collect();
    let mut files = Vec::new();
    files_under(&scratch, &mut files);
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for secret in [code.as_str(), normal.as_str(), token.as_str()] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                file.display()
            );
        }
    }
    for name in ["acme", "tom-laptop"] {
        let _ = Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .args(["account", "remove", name])
            .output();
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
