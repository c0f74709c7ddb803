//! A missed call that only Freshcaller's API knows (the forwarding app had
//! no budget left to push it) reaches a real desktop as one popup within
//! the relay's poll interval; the same call pushed by the app afterwards
//! still gives one. Real relay, real app, dunst and gnome-keyring; the API
//! is the double of tests/doubles/freshworks_api.py.
//! Ignored under plain `cargo test`; scripts/test runs it with --ignored.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    bin, dunst_seen, fixture, http, output_with_stdin, relay_bin, require_headless_desktop,
    wait_exit, wait_until, Reaped, Tray,
};

const SECRET: &str = "polling-test-ingress";
const KEY: &str = "polling-test-api-key";

#[test]
#[ignore = "needs a headless desktop: scripts/test runs it"]
fn a_missed_call_only_the_api_knows_is_one_popup_however_it_arrives() {
    require_headless_desktop();
    let scratch = std::env::temp_dir().join(format!("deskbell-polling-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    // Its own config and state: the other desktop tests' accounts stay theirs.
    let config_home = scratch.join("config");
    let state_home = scratch.join("state");

    // Both held to the end of the test.
    let (_double, api, api_addr) = support::api_double(KEY);

    let data = scratch.join("relay");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("freshcaller.key"), KEY).unwrap();
    let config = data.join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "ingress_secret = \"{SECRET}\"\n[freshcaller]\nurl = \"{api}\"\napi_key_file = \"{}\"\n\
             poll_calls_seconds = 2\npoll_users_seconds = 3600\n",
            data.join("freshcaller.key").display()
        ),
    )
    .unwrap();
    let relay = relay_bin();
    let token = String::from_utf8(
        Command::new(&relay)
            .arg("--data")
            .arg(&data)
            .args(["token", "add", "tom"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .last()
    .unwrap()
    .to_owned();
    let (_relay_proc, addr) = support::relay_serving(&data, &config);

    let added = output_with_stdin(
        Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .args([
                "account",
                "add",
                "polled",
                "--relay",
                &format!("http://{addr}/"),
            ]),
        format!("{token}\n").as_bytes(),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut app = Reaped(
        Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .env("XDG_STATE_HOME", &state_home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let tray = Tray::wait_for(app.id(), Duration::from_secs(30));
    assert!(
        support::relay_clients(&addr, 1, Duration::from_secs(20)),
        "the app connected to the relay"
    );

    // The call, as the API lists it: missed, started half a minute ago.
    let mut pushed: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("freshcaller/call-update-incoming-missed.json")).unwrap(),
    )
    .unwrap();
    pushed["data"]["call"]["id"] = serde_json::json!(73001);
    pushed["data"]["call"]["participants"][0]["caller_name"] = serde_json::json!("Only The API");
    let mut listed = pushed["data"]["call"].clone();
    listed["created_time"] = serde_json::json!(utc_seconds_ago(30));
    let (status, _) = http(
        &api_addr,
        "POST",
        "/_double/calls",
        None,
        &serde_json::to_vec(&listed).unwrap(),
    );
    assert_eq!(status, 200);

    let mut seen = Vec::new();
    let start = std::time::Instant::now();
    let shown = wait_until(Duration::from_secs(15), || {
        dunst_seen(&mut seen);
        seen.iter()
            .any(|(s, _)| s == "Missed call from Only The API")
    });
    assert!(shown, "the polled call on screen: {seen:#?}");
    eprintln!("polled missed call shown after {:?}", start.elapsed());

    // The forwarding app pushes the same call after all: the relay answers
    // with the polled event's id, and nothing new reaches the desktop.
    let (status, body) = http(
        &addr,
        "POST",
        "/v1/events",
        Some(SECRET),
        &serde_json::to_vec(&pushed).unwrap(),
    );
    assert_eq!(status, 202, "{body}");
    assert!(body.contains("\"duplicate\":true"), "{body}");
    // A later poll lists it again, too.
    std::thread::sleep(Duration::from_secs(5));
    dunst_seen(&mut seen);
    let told = seen
        .iter()
        .filter(|(s, _)| s == "Missed call from Only The API")
        .count();
    assert_eq!(told, 1, "one popup for the call: {seen:#?}");

    tray.click("Quit");
    if wait_exit(&mut app, Duration::from_secs(15)).is_none() {
        let _ = app.kill();
    }
    let _ = Command::new(bin())
        .env("XDG_CONFIG_HOME", &config_home)
        .args(["account", "remove", "polled"])
        .output();
    let _ = std::fs::remove_dir_all(&scratch);
}

/// An RFC 3339 UTC time `secs` seconds ago, from the system clock (no date
/// crate in the app's tests).
fn utc_seconds_ago(secs: u64) -> String {
    let out = Command::new("date")
        .args([
            "-u",
            "-d",
            &format!("-{secs} seconds"),
            "+%Y-%m-%dT%H:%M:%SZ",
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
