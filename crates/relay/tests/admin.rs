//! What a new admin runs into, as the real binary does it: a restore that
//! must not lose acknowledged events, the CLI's default data directory,
//! readable token dates, refusals answered in JSON and counted, misspelt
//! config keys, the request log, backups only the owner can read, and a
//! secret rotated without a gap.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{add_token, http, metrics, post, relay_cli, ticket, Relay, Sse, TempDir, SECRET};

const T: Duration = Duration::from_secs(10);

async fn stream_ids(relay: &Relay, token: &str, want: usize) -> Vec<u64> {
    let mut s = Sse::open(&relay.base(), token, Some(0), "").await.unwrap();
    let mut got = Vec::new();
    while got.len() < want {
        let e = s.next_event(T).await.expect("every acknowledged event");
        // Control events (`me`, `team`, `directory`) have no place in the log.
        if let Some(id) = e.id {
            got.push(id.parse::<u64>().unwrap());
        }
    }
    got
}

#[tokio::test]
async fn restore_is_refused_while_a_relay_serves_and_nothing_acknowledged_is_lost() {
    if !support::backend::sqlite_only("backup and restore") {
        return;
    }
    let dir = TempDir::new("restore-live");
    let mut relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    let mut acked = Vec::new();
    for n in 0..5 {
        acked.push(post(&relay.base(), &ticket(n)).await.unwrap());
    }
    let backup = dir.0.join("backup.sqlite3");
    assert!(relay_cli(&dir.0, &["backup", backup.to_str().unwrap()])
        .status
        .success());

    let refused = relay_cli(&dir.0, &["restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!(
            "a relay is serving from {} (pid {})",
            dir.0.display(),
            relay.pid()
        )) && err.contains("stop it first"),
        "{err}"
    );
    // Nothing was moved aside.
    let aside: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .collect();
    assert!(aside.is_empty(), "{aside:?}");

    // The relay goes on, and after a restart every acknowledged event is there.
    for n in 5..10 {
        acked.push(post(&relay.base(), &ticket(n)).await.unwrap());
    }
    relay.terminate(T).expect("exits on SIGTERM");
    relay.restart();
    assert_eq!(stream_ids(&relay, &token, acked.len()).await, acked);

    // A second relay on the same data is refused too; with none serving,
    // the restore goes through.
    let second = Command::new(support::bin())
        .args(["--data", dir.0.to_str().unwrap(), "serve", "--listen"])
        .arg("127.0.0.1:0")
        .env("DESKBELL_RELAY_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("a relay is serving from"));
    relay.kill9();
    let restored = relay_cli(&dir.0, &["restore", backup.to_str().unwrap()]);
    assert!(restored.status.success(), "{restored:?}");
}

#[tokio::test]
async fn a_body_over_the_limit_gets_json_and_is_counted() {
    let dir = TempDir::new("too-large");
    let relay = Relay::start(&dir.0, "");
    let resp = http()
        .post(relay.url("/v1/events"))
        .bearer_auth(SECRET)
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    assert_eq!(body["max_bytes"], 1024 * 1024);
    // Without the secret it is a 401, whatever the size.
    let anonymous = http()
        .post(relay.url("/v1/events"))
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let metrics = metrics(&relay).await;
    assert!(
        metrics
            .lines()
            .any(|l| l == "deskbell_relay_events_rejected_total{reason=\"too_large\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_misspelt_config_key_stops_the_relay_naming_key_and_file() {
    let dir = TempDir::new("unknown-key");
    let config = dir.0.join("relay.toml");
    std::fs::write(
        &config,
        format!("ingress_secret = \"{SECRET}\"\nkeepalive_second = 5\n"),
    )
    .unwrap();
    let out = Command::new(support::bin())
        .args(["--data", dir.0.to_str().unwrap(), "serve", "--listen"])
        .arg("127.0.0.1:0")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: unknown key `keepalive_second`",
            config.display()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn every_request_outcome_is_one_log_line_without_colour_secrets_or_payloads() {
    let dir = TempDir::new("request-log");
    let log = dir.0.join("relay.log");
    let relay = Relay::start_logged(&dir.0, "keepalive_seconds = 1", &log);
    let token = add_token(&dir.0, "tom@acme.example");
    let c = http();
    let url = relay.url("/v1/events");
    post(&relay.base(), &ticket(1)).await.unwrap();
    assert_eq!(
        c.post(&url)
            .bearer_auth("wrong")
            .body(ticket(2))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        c.post(&url)
            .bearer_auth(SECRET)
            .body("{\"event\": ")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        c.post(&url)
            .bearer_auth(SECRET)
            .body(vec![b' '; 1024 * 1024 + 1])
            .send()
            .await
            .unwrap()
            .status(),
        413
    );
    // A stream opened from its resume point, then closed by a revocation.
    let mut s = Sse::open(&relay.base(), &token, Some(0), "?events=onTicketCreate")
        .await
        .unwrap();
    assert!(s.next_event(T).await.is_some());
    assert!(relay_cli(&dir.0, &["token", "revoke", "tom@acme.example"])
        .status
        .success());
    assert!(s.ends_within(T).await, "a revoked token's stream ends");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let text = std::fs::read_to_string(&log).unwrap();
    let has = |needles: &[&str]| text.lines().any(|l| needles.iter().all(|n| l.contains(n)));
    assert!(
        has(&[
            "event accepted",
            "status=202",
            "id=1",
            "event=onTicketCreate"
        ]),
        "{text}"
    );
    assert!(
        has(&["ingress refused", "status=401", "reason=\"unauthorized\""]),
        "{text}"
    );
    assert!(
        has(&["ingress refused", "status=400", "code=\"invalid_json\""]),
        "{text}"
    );
    assert!(
        has(&["ingress refused", "status=413", "reason=\"too_large\""]),
        "{text}"
    );
    assert!(
        has(&[
            "stream opened",
            "token=tom@acme.example",
            "resume=0",
            "events=onTicketCreate"
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "stream closed",
            "token=tom@acme.example",
            "reason=\"revoked\"",
            "last_id=1"
        ]),
        "{text}"
    );
    // No colour codes when the output is not a terminal, and nothing secret
    // or customer-written.
    assert!(!text.contains('\u{1b}'), "escape codes in {text:?}");
    for secret in [SECRET, token.as_str(), "Support Needed"] {
        assert!(!text.contains(secret), "{secret:?} in the log");
    }
}

#[tokio::test]
async fn a_reset_is_logged_with_what_it_dropped() {
    let dir = TempDir::new("reset-log");
    let mut relay = Relay::start(&dir.0, "");
    let token = add_token(&dir.0, "agent-1");
    for n in 0..6 {
        post(&relay.base(), &ticket(n)).await.unwrap();
    }
    relay.terminate(T).expect("exits on SIGTERM");
    drop(relay);
    // Started again keeping two events: it prunes the rest as it starts.
    let log = dir.0.join("relay.log");
    let relay = Relay::start_logged(&dir.0, "[retention]\nmax_events = 2", &log);
    let mut reset = false;
    for _ in 0..50 {
        let mut s = Sse::open(&relay.base(), &token, Some(1), "").await.unwrap();
        if s.next_event(T).await.is_some_and(|e| e.event == "reset") {
            reset = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reset, "a resume point before the oldest event gets a reset");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines().any(|l| l.contains("stream reset")
            && l.contains("token=agent-1")
            && l.contains("dropped=")
            && l.contains("resume_from=")),
        "{text}"
    );
}

#[test]
fn the_cli_finds_the_data_or_names_where_it_looked_and_lists_dates() {
    let home = TempDir::new("cli-home");
    let run = |args: &[&str]| {
        Command::new(support::bin())
            .args(args)
            .env("HOME", &home.0)
            .env("XDG_DATA_HOME", home.0.join("data"))
            .output()
            .unwrap()
    };
    let user_dir = home.0.join("data/deskbell-relay");
    if std::path::Path::new(deskbell_relay::config::INSTALLED_DATA_DIR).exists() {
        // A machine with the .deb installed: the CLI works on the service's
        // data, which the .deb test covers.
        eprintln!(
            "skipped: {} exists here",
            deskbell_relay::config::INSTALLED_DATA_DIR
        );
        return;
    }
    let refused = run(&["token", "list"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("no relay data directory: looked in /var/lib/deskbell-relay")
            && err.contains(&user_dir.display().to_string())
            && err.contains("--data"),
        "{err}"
    );
    assert!(!user_dir.exists(), "a refused command creates nothing");

    // With the data there (as `serve` would have made it), the same command
    // works on it.
    std::fs::create_dir_all(&user_dir).unwrap();
    assert!(run(&["token", "add", "tom"]).status.success());
    assert!(run(&["token", "add", "ann"]).status.success());
    assert!(run(&["token", "revoke", "ann"]).status.success());
    let listed = run(&["token", "list"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let date = |s: &str| {
        let d: Vec<char> = s.chars().collect();
        d.len() == 23
            && s.ends_with(" UTC")
            && d[4] == '-'
            && d[10] == ' '
            && d[13] == ':'
            && s[..4].parse::<u32>().is_ok_and(|y| y >= 2024)
    };
    let fields: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(fields[..2], ["ann", "(no email)"]);
    let revoked = fields[2].strip_prefix("revoked ").expect("revoked DATE");
    assert!(date(revoked), "{revoked}");
    assert!(date(fields[3].strip_prefix("created ").unwrap()), "{text}");
    assert_eq!(
        &lines[1].split('\t').collect::<Vec<_>>()[..3],
        ["tom", "(no email)", "active"]
    );
}

#[cfg(unix)]
#[test]
fn a_backup_is_readable_by_its_owner_only() {
    if !support::backend::sqlite_only("backup and restore") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("backup-mode");
    add_token(&dir.0, "agent-1");
    let file = dir.0.join("b.sqlite3");
    let out = relay_cli(&dir.0, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

#[tokio::test]
async fn while_the_secret_rotates_both_are_accepted() {
    let dir = TempDir::new("rotate");
    let relay = Relay::start(&dir.0, "ingress_secret_previous = \"the-old-one\"");
    assert_eq!(post(&relay.base(), &ticket(1)).await, Ok(1));
    let old = http()
        .post(relay.url("/v1/events"))
        .bearer_auth("the-old-one")
        .body(ticket(2))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 202);
    let other = http()
        .post(relay.url("/v1/events"))
        .bearer_auth("neither")
        .body(ticket(3))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 401);
}

/// The alert examples shipped in deploy/alerts.yml name only metrics the
/// relay serves.
#[tokio::test]
async fn the_shipped_alerts_use_metrics_the_relay_serves() {
    let dir = TempDir::new("alerts");
    let relay = Relay::start(&dir.0, "");
    let metrics = metrics(&relay).await;
    let served: std::collections::HashSet<&str> = metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let alerts = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/alerts.yml"
    ))
    .unwrap();
    let mut named = 0;
    for word in alerts.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("deskbell_relay_") {
            named += 1;
            assert!(
                served.contains(word),
                "{word} is not in /metrics:\n{metrics}"
            );
        }
    }
    assert!(named >= 4, "the alerts name the relay's metrics");
}
