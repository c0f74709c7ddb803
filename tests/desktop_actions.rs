//! The popup's buttons, pressed on a real desktop: the real relay (its
//! Freshdesk API double for tickets and the directory), the real app,
//! dunst holding the notifications, and the spec's `ActionInvoked` signal
//! on the session bus, as a daemon sends it when a button is pressed.
//! "Assign to me" sends one PUT with the agent's own id and says so in
//! place of the popup; a ticket someone took first gets no PUT and names
//! them; a 429 is said plainly; "Remind me in 15 min" is kept in the
//! state dir. On a Xelion account (the Xelion double), "Call back" asks
//! the PBX's `pbx_call` for the caller's number, and after time offline the
//! missed calls come back as one "While you were away" summary.
//! Ignored under plain `cargo test`; scripts/test runs it with --ignored.

mod support;
#[path = "doubles/xelion_server.rs"]
mod xelion_server;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use support::{
    bin, dunst_seen, fixture, http, require_headless_desktop, wait_exit, wait_until, Reaped, Tray,
};

const SECRET: &str = "actions-test-ingress";
const KEY: &str = "actions-test-api-key";
const TOM: u64 = 43000000001;
const RITA: u64 = 43000000002;

fn post(addr: &str, path: &str, secret: Option<&str>, body: &Value) {
    let (status, said) = http(
        addr,
        "POST",
        path,
        secret,
        &serde_json::to_vec(body).unwrap(),
    );
    assert!(status == 200 || status == 202, "{path}: {status} {said}");
}

/// A new ticket nobody has, due for a first response in three hours.
fn new_ticket(id: u64, subject: &str) -> Value {
    ticket_due(id, subject, chrono::Duration::hours(3))
}

/// A new ticket nobody has, its first response due `due_in` from now.
fn ticket_due(id: u64, subject: &str, due_in: chrono::Duration) -> Value {
    let mut v: Value = serde_json::from_slice(
        &std::fs::read(fixture("freshdesk/ticket-create-unassigned-fr-due.json")).unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now();
    let t = &mut v["data"]["ticket"];
    t["id"] = json!(id);
    t["subject"] = json!(subject);
    t["created_at"] = json!(now.to_rfc3339());
    t["updated_at"] = json!(now.to_rfc3339());
    t["fr_due_by"] = json!((now + due_in).to_rfc3339());
    v
}

/// The same ticket updated: `edit` changes it, a second later.
fn updated(mut v: Value, edit: impl FnOnce(&mut Value)) -> Value {
    v["event"] = json!("onTicketUpdate");
    let t = &mut v["data"]["ticket"];
    t["updated_at"] = json!((chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339());
    edit(t);
    v
}

/// The id dunst gave the notification with `key` (and of `kind`, when
/// given), from the app's log (the spec's ids are the daemon's; only the
/// app learns them).
fn shown_id(log: &Path, key: &str, kind: Option<&str>) -> Option<u32> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let key = format!("key={key} ");
    let kind = kind.map(|k| format!("kind={k}")).unwrap_or_default();
    text.lines()
        .rev()
        .filter(|l| l.contains("notification shown") && l.contains(&key) && l.contains(&kind))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("id="))
                .and_then(|id| id.parse().ok())
        })
}

/// What a daemon sends when the agent presses the button `action` on the
/// notification `id` (the freedesktop spec's `ActionInvoked`).
fn press(id: u32, action: &str) {
    let out = Command::new("gdbus")
        .args([
            "emit",
            "--session",
            "--object-path",
            "/org/freedesktop/Notifications",
            "--signal",
            "org.freedesktop.Notifications.ActionInvoked",
        ])
        .arg(format!("uint32 {id}"))
        .arg(format!("'{action}'"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The double's requests for one ticket, as (method, body).
fn ticket_requests(api: &str, ticket: u64) -> Vec<(String, Value)> {
    let (_, body) = http(api, "GET", "/_double/requests", None, b"");
    let all: Value = serde_json::from_str(&body).unwrap();
    let path = format!("/api/v2/tickets/{ticket}");
    all.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == path.as_str())
        .map(|r| (r["method"].as_str().unwrap().to_owned(), r["body"].clone()))
        .collect()
}

/// Posts the ticket, waits for its popup, presses `action` on it.
fn post_and_press(log: &Path, relay: &str, id: u64, subject: &str, action: &str) {
    post(relay, "/v1/events", Some(SECRET), &new_ticket(id, subject));
    press(
        wait_shown(log, &format!("ticket:sample.freshdesk.com:{id}")),
        action,
    );
}

fn wait_shown(log: &Path, key: &str) -> u32 {
    wait_shown_as(log, key, None)
}

fn wait_shown_as(log: &Path, key: &str, kind: Option<&str>) -> u32 {
    let mut shown = None;
    assert!(
        wait_until(Duration::from_secs(15), || {
            shown = shown_id(log, key, kind);
            shown.is_some()
        }),
        "the popup for {key}"
    );
    shown.unwrap()
}

/// A Xelion missed call from `number`, as the PBX's WebSocket sends it.
fn xelion_missed(id: &str, number: &str, date: &str) -> Value {
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(fixture("xelion/missed-call.json")).unwrap())
            .unwrap();
    let n = &mut v["notification"];
    n["callId"] = json!(id);
    n["callerPhoneNumber"] = json!(number);
    n["date"] = json!(date);
    v
}

fn wait_seen(summary: &str) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    let found = wait_until(Duration::from_secs(20), || {
        dunst_seen(&mut seen);
        seen.iter().any(|(s, _)| s == summary)
    });
    assert!(found, "{summary:?} was not shown: {seen:#?}");
    seen
}

#[test]
#[ignore = "needs a headless desktop: scripts/test runs it"]
fn popup_buttons_assign_call_back_and_remind_and_xelion_catches_up() {
    require_headless_desktop();
    let scratch = std::env::temp_dir().join(format!("deskbell-actions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let config_home = scratch.join("config");
    let state_home = scratch.join("state");

    let (double, api, api_addr) = support::api_double(KEY);
    post(
        &api_addr,
        "/_double/agents",
        None,
        &json!([
            {"id": TOM, "contact": {"name": "Tom Agent", "email": "tom@acme.example"}},
            {"id": RITA, "contact": {"name": "Rita Hold", "email": "rita@acme.example"}},
        ]),
    );
    post(
        &api_addr,
        "/_double/tickets",
        None,
        &json!([
            {"id": 7001, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
            {"id": 7002, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
            {"id": 7003, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
            {"id": 7004, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
        ]),
    );

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
    let (relay_proc, addr) = support::relay_serving(&data, &config);
    let code = support::invite_code(&data, "tom-desk", "tom@acme.example", &addr);
    let joined = Command::new(bin())
        .env("XDG_CONFIG_HOME", &config_home)
        .args([
            "account",
            "add",
            "acme",
            "--relay",
            &format!("http://{addr}/"),
        ])
        .args(["--invite", &code])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        joined.status.success(),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    // The PBX: its double on this test's own runtime.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pbx = runtime.block_on(xelion_server::XelionServer::start(Duration::from_secs(
        3600,
    )));
    let added = support::output_with_stdin(
        Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .args(["account", "add", "pbx", "--xelion", &pbx.base])
            .args([
                "--tenant",
                xelion_server::TENANT,
                "--user",
                xelion_server::USER,
            ]),
        format!("{}\n", xelion_server::PASSWORD).as_bytes(),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    // Each ticket its own popup, with its buttons: no burst summaries.
    let config_file = config_home.join("deskbell/config.toml");
    let text = std::fs::read_to_string(&config_file).unwrap();
    assert!(text.contains("coalesce_seconds = 10\n"), "{text}");
    assert!(text.contains("call_back = \"freshcaller\"\n"), "{text}");
    // And Freshcaller's call back by the desktop's tel: handler.
    std::fs::write(
        &config_file,
        text.replace("coalesce_seconds = 10\n", "coalesce_seconds = 0\n")
            .replace("call_back = \"freshcaller\"\n", "call_back = \"tel\"\n"),
    )
    .unwrap();
    // The desktop's handler for links: a stand-in that notes each.
    let opened = scratch.join("opened");
    let handler = scratch.join("bin/xdg-open");
    std::fs::create_dir_all(handler.parent().unwrap()).unwrap();
    std::fs::write(
        &handler,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n",
            opened.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&handler).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&handler, perms).unwrap();
    let path = format!(
        "{}:{}",
        handler.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let log = scratch.join("app.log");
    let mut app = Reaped(
        Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .env("XDG_STATE_HOME", &state_home)
            .env("RUST_LOG", "debug")
            .env("PATH", &path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let tray = Tray::wait_for(app.id(), Duration::from_secs(30));
    assert!(
        support::relay_clients(&addr, 1, Duration::from_secs(20)),
        "the app connected"
    );
    std::thread::sleep(Duration::from_secs(1));

    // Nobody has it: one PUT with Tom's own id, said in the popup's place.
    post_and_press(&log, &addr, 7001, "Printer on fire", "assign");
    wait_seen("Ticket #7001 is yours");
    assert_eq!(
        ticket_requests(&api_addr, 7001),
        [
            ("GET".to_owned(), Value::Null),
            ("PUT".to_owned(), json!({"responder_id": TOM})),
        ]
    );

    // Rita took it while the popup was up: nothing sent, and who.
    let two_minutes_ago = (chrono::Utc::now() - chrono::Duration::seconds(150)).to_rfc3339();
    post(
        &api_addr,
        "/_double/tickets",
        None,
        &json!([
            {"id": 7002, "responder_id": RITA, "status": 2, "updated_at": two_minutes_ago},
            {"id": 7003, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
            {"id": 7004, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"},
        ]),
    );
    post_and_press(&log, &addr, 7002, "Refund", "assign");
    let seen = wait_seen("Rita Hold took #7002 2 minutes ago");
    assert!(
        ticket_requests(&api_addr, 7002)
            .iter()
            .all(|(m, _)| m == "GET"),
        "no PUT for a ticket someone has"
    );
    assert!(seen
        .iter()
        .any(|(s, b)| s.starts_with("Rita Hold") && b.contains("Nothing was changed")));

    // Freshdesk's limit reached, still after the relay's one wait: said
    // plainly, nothing assigned.
    post(
        &api_addr,
        "/_double/throttle",
        None,
        &json!({"requests": 2, "retry_after": 1}),
    );
    post_and_press(&log, &addr, 7004, "Invoice", "assign");
    let seen = wait_seen("Could not assign #7004 to you");
    assert!(
        seen.iter()
            .any(|(_, b)| b.contains("rate limit is reached")),
        "{seen:#?}"
    );
    assert!(ticket_requests(&api_addr, 7004)
        .iter()
        .all(|(m, _)| m == "GET"));

    // Remind me later: kept in the state dir (it comes back after 15
    // minutes; crates/core/tests/actions.rs passes the time in).
    post_and_press(&log, &addr, 7003, "Password reset", "remind");
    let reminders = state_home.join("deskbell/reminders.json");
    let mut kept = Value::Null;
    assert!(
        wait_until(Duration::from_secs(10), || {
            kept = std::fs::read(&reminders)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(Value::Null);
            kept["waiting"][0]["notification"]["key"] == "ticket:sample.freshdesk.com:7003"
        }),
        "the reminder is kept: {kept}"
    );
    assert!(ticket_requests(&api_addr, 7003).is_empty());

    // First responses: not due within the lead time, then moved into it
    // (re-armed: warned, and assignable from the warning); one created
    // Pending and one assigned at once are never warned.
    post(
        &api_addr,
        "/_double/tickets",
        None,
        &json!([{"id": 7020, "responder_id": null, "status": 2, "updated_at": "2026-12-03T09:00:00Z"}]),
    );
    let late = ticket_due(7020, "Late one", chrono::Duration::minutes(40));
    post(&addr, "/v1/events", Some(SECRET), &late);
    let pending = updated(
        ticket_due(7021, "Waiting on customer", chrono::Duration::minutes(5)),
        |t| {
            t["status"] = json!(3);
        },
    );
    post(&addr, "/v1/events", Some(SECRET), &pending);
    let taken = updated(
        ticket_due(7022, "Taken at once", chrono::Duration::minutes(5)),
        |t| {
            t["responder_id"] = json!(RITA);
        },
    );
    post(&addr, "/v1/events", Some(SECRET), &taken);
    let moved = updated(late, |t| {
        t["fr_due_by"] = json!((chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339());
    });
    post(&addr, "/v1/events", Some(SECRET), &moved);
    // Pressed while on screen (looking at dunst's history closes it).
    let warning = wait_shown_as(
        &log,
        "ticket:sample.freshdesk.com:7020",
        Some("first_response_due"),
    );
    press(warning, "assign");
    let seen = wait_seen("Ticket #7020 is yours");
    assert!(
        seen.iter()
            .any(|(s, _)| s.starts_with("First response due in ") && s.ends_with("#7020 Late one")),
        "the warning came first: {seen:#?}"
    );
    assert!(
        !seen
            .iter()
            .any(|(s, _)| s.contains("#7021") || s.contains("#7022")),
        "no warning for a pending or an assigned ticket: {seen:#?}"
    );
    // One press, one assignment: the replaced new-ticket popup's button
    // does not act as well.
    assert_eq!(
        ticket_requests(&api_addr, 7020),
        [
            ("GET".to_owned(), Value::Null),
            ("PUT".to_owned(), json!({"responder_id": TOM})),
        ]
    );

    // Call back on a Freshcaller missed call: dialled by tel:, with the
    // caller's number and nothing else.
    let missed: Value = serde_json::from_slice(
        &std::fs::read(fixture("freshcaller/call-update-incoming-missed.json")).unwrap(),
    )
    .unwrap();
    post(&addr, "/v1/events", Some(SECRET), &missed);
    let call = wait_shown_as(&log, "call:acme.freshcaller.com:70001", Some("missed_call"));
    press(call, "dial");
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::read_to_string(&opened)
            .is_ok_and(|o| o.lines().any(|l| l.starts_with("tel:+")))),
        "dialled: {:?}",
        std::fs::read_to_string(&opened)
    );
    let dialled = std::fs::read_to_string(&opened).unwrap();
    assert!(
        dialled
            .lines()
            .all(|l| l.starts_with("tel:+") && l[5..].bytes().all(|b| b.is_ascii_digit())),
        "{dialled}"
    );

    // Call back on a Xelion missed call: the PBX rings Tom, then the caller.
    assert!(
        wait_until(Duration::from_secs(20), || !pbx
            .shared
            .subscriptions
            .lock()
            .unwrap()
            .is_empty()),
        "the app subscribed at the PBX"
    );
    let now = chrono::Utc::now();
    let call = xelion_missed("call-77", "+31201110077", &now.to_rfc3339());
    pbx.push(xelion_server::Push::Notification(call.to_string()));
    press(wait_shown(&log, "xelion:call-77"), "call_back");
    wait_seen("Calling +31201110077");
    assert_eq!(*pbx.shared.calls.lock().unwrap(), ["+31201110077"]);

    // Offline, two more calls missed: back online, one summary of them.
    let later = |s: i64| (now + chrono::Duration::seconds(s)).to_rfc3339();
    *pbx.shared.communications.lock().unwrap() = vec![
        (
            true,
            xelion_missed("call-78", "+31201110078", &later(60))["notification"].clone(),
        ),
        (
            true,
            xelion_missed("call-79", "+31201110079", &later(120))["notification"].clone(),
        ),
    ];
    pbx.push(xelion_server::Push::Drop);
    let seen = wait_seen("While you were away");
    assert!(
        seen.iter()
            .any(|(s, b)| s == "While you were away" && b == "2 missed calls"),
        "{seen:#?}"
    );
    assert!(
        !seen
            .iter()
            .any(|(s, _)| s == "Missed call from +31201110078"),
        "no popup of its own: {seen:#?}"
    );

    tray.click("Quit");
    if wait_exit(&mut app, Duration::from_secs(15)).is_none() {
        let _ = app.kill();
    }
    drop(relay_proc);
    drop(double);
    // The token is in the keyring, not in the log the app wrote.
    let token = Command::new("secret-tool")
        .args(["lookup", "service", "deskbell", "username", "acme"])
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("dbr_"));
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&token));
    for name in ["acme", "pbx"] {
        let _ = Command::new(bin())
            .env("XDG_CONFIG_HOME", &config_home)
            .args(["account", "remove", name])
            .output();
    }
    drop(runtime);
    let _ = std::fs::remove_dir_all(&scratch);
}
