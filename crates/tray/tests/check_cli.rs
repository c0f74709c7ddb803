//! `deskbell check` as a user runs it: exit codes, stdin, the config.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_deskbell")
}

/// The shared payload fixtures (the repository's tests/fixtures/).
fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let scratch = std::env::temp_dir().join(format!("deskbell-cli-{}", std::process::id()));
    let mut child = Command::new(bin())
        .args(args)
        // A throwaway config dir: the user's own config must not leak in.
        .env("XDG_CONFIG_HOME", &scratch)
        .env("HOME", &scratch)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn path(name: &str) -> String {
    fixture(name).display().to_string()
}

#[test]
fn all_decoded_exits_0() {
    let (code, out, _) = run(
        &[
            "check",
            &path("freshdesk/ticket-create.json"),
            &path("xelion/missed-call.json"),
        ],
        "",
    );
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["notifications"][0]["kind"], "new_ticket");
    assert_eq!(lines[1]["notifications"][0]["kind"], "missed_call");
}

#[test]
fn any_undecodable_exits_1_and_still_processes_the_rest() {
    let (code, out, _) = run(
        &[
            "check",
            &path("invalid/ticket-create-without-ticket.json"),
            &path("freshdesk/ticket-create.json"),
        ],
        "",
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("onTicketCreate needs data.ticket"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("\"new_ticket\""));
}

#[test]
fn stdin_is_ndjson_and_the_default_input() {
    let one =
        std::fs::read_to_string(fixture("freshcaller/call-update-incoming-missed.json")).unwrap();
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    let (code, out, _) = run(&["check"], &format!("{one}\n{one}\n"));
    assert_eq!(code, 0);
    assert!(out.lines().next().unwrap().contains("\"input\":\"-:1\""));
    assert!(out.lines().nth(1).unwrap().contains("duplicate"));
}

#[test]
fn me_overrides_the_identity() {
    let (_, out, _) = run(
        &[
            "check",
            "--me",
            "320",
            &path("freshdesk/ticket-update-responder-320-to-321.json"),
        ],
        "",
    );
    assert!(out.contains("Ticket #1 taken from you"), "{out}");
}

#[test]
fn usage_error_exits_2() {
    let (code, _, err) = run(&["check", "--no-such-flag"], "");
    assert_eq!(code, 2);
    assert!(err.contains("--no-such-flag"), "{err}");
}

#[test]
fn broken_explicit_config_exits_2_naming_the_line() {
    let dir = std::env::temp_dir().join(format!("deskbell-cli-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[rules.subscriptions]\nnew_ticket = \"yes\"\n").unwrap();
    let (code, _, err) = run(
        &[
            "check",
            "--config",
            cfg.to_str().unwrap(),
            &path("freshdesk/ticket-create.json"),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("rules.subscriptions.new_ticket") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn config_rules_apply() {
    let dir = std::env::temp_dir().join(format!("deskbell-cli-cfg2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        "version = 1\n[rules.subscriptions]\nnew_ticket = false\n",
    )
    .unwrap();
    let (code, out, _) = run(
        &[
            "check",
            "--config",
            cfg.to_str().unwrap(),
            &path("freshdesk/ticket-create.json"),
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("new_ticket notifications are switched off"),
        "{out}"
    );
}

#[test]
fn an_array_is_refused_as_not_an_object_and_the_rest_goes_on() {
    let (code, out, _) = run(
        &["check", "-"],
        "[\"a\",\"b\",\"onTicketCreate\",1]\n[1,2,3]\n",
    );
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    for line in &lines {
        assert_eq!(line["error"], "payload is not a JSON object", "{line}");
        assert!(line.get("event").is_none(), "{line}");
    }
}
