//! Helpers for the app's end-to-end tests: the built binary, fixtures, and
//! the tray as the desktop sees it over D-Bus (through `gdbus`).
#![allow(dead_code)]

pub mod tls;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The tray process's binary (`deskbell`, crates/tray), built beside the
/// window's by `cargo test --workspace` (for its own tests, check_cli.rs).
pub fn bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let p = PathBuf::from(window_bin()).with_file_name("deskbell");
        assert!(
            p.exists(),
            "{} is missing: cargo build -p deskbell (cargo test --workspace builds it for crates/tray/tests)",
            p.display()
        );
        p.display().to_string()
    })
}

/// The window's binary (`deskbell-window`, this package).
pub fn window_bin() -> &'static str {
    env!("CARGO_BIN_EXE_deskbell-window")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Fails the test, loudly, when it runs outside scripts/headless-session.
pub fn require_headless_desktop() {
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: run desktop tests through scripts/headless-session (scripts/test does)"
        );
    }
}

pub fn gdbus(args: &[&str]) -> Result<String, String> {
    gdbus_on(None, args)
}

/// `gdbus call` on the session bus, or on the bus at `address`.
pub fn gdbus_on(address: Option<&str>, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new("gdbus");
    cmd.arg("call");
    match address {
        Some(a) => cmd.args(["--address", a]),
        None => cmd.arg("--session"),
    };
    let out: Output = cmd.args(args).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The tray item of the process `pid`, once it is on the bus.
pub struct Tray {
    /// The bus's address; `None`: the session bus.
    pub bus: Option<String>,
    pub bus_name: String,
    pub menu_path: String,
}

/// Where a `ksni` tray exports its StatusNotifierItem's menu (dbusmenu).
const MENU_PATH: &str = "/MenuBar";
const DBUS: [&str; 4] = [
    "--dest",
    "org.freedesktop.DBus",
    "--object-path",
    "/org/freedesktop/DBus",
];

impl Tray {
    pub fn wait_for(pid: u32, timeout: Duration) -> Tray {
        Tray::wait_for_on(None, pid, timeout)
    }

    /// The tray of `pid` on the bus at `address` (`None`: the session bus).
    pub fn wait_for_on(address: Option<&str>, pid: u32, timeout: Duration) -> Tray {
        let start = Instant::now();
        loop {
            if let Some(tray) = Tray::find(address, pid) {
                return tray;
            }
            assert!(
                start.elapsed() < timeout,
                "no tray item from pid {pid} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn find(address: Option<&str>, pid: u32) -> Option<Tray> {
        let names = gdbus_on(
            address,
            &[&DBUS[..], &["--method", "org.freedesktop.DBus.ListNames"]].concat(),
        )
        .ok()?;
        for name in names
            .split(['\'', ' ', ',', '[', ']', '(', ')'])
            .filter(|n| n.starts_with(':'))
        {
            let owner = gdbus_on(
                address,
                &[
                    &DBUS[..],
                    &[
                        "--method",
                        "org.freedesktop.DBus.GetConnectionUnixProcessID",
                        name,
                    ],
                ]
                .concat(),
            );
            let owner_pid = owner.ok().and_then(|o| {
                o.replace("uint32", "")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<u32>()
                    .ok()
            });
            if owner_pid != Some(pid) {
                continue;
            }
            let mut intro = Command::new("gdbus");
            intro.arg("introspect");
            match address {
                Some(a) => intro.args(["--address", a]),
                None => intro.arg("--session"),
            };
            let intro = intro
                .args(["--dest", name, "--object-path", "/"])
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&intro.stdout);
            // The root's children print by bare name: `node MenuBar {`.
            let has_menu = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("node "))
                .any(|n| n.trim_end_matches('{').trim() == &MENU_PATH[1..]);
            if has_menu {
                return Some(Tray {
                    bus: address.map(str::to_owned),
                    bus_name: name.to_owned(),
                    menu_path: MENU_PATH.to_owned(),
                });
            }
        }
        None
    }

    /// A dbusmenu method on the tray's menu.
    fn menu_call(&self, method: &str, args: &[&str]) -> Result<String, String> {
        let method = format!("com.canonical.dbusmenu.{method}");
        let head = [
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.menu_path,
            "--method",
            &method,
        ];
        gdbus_on(self.bus.as_deref(), &[&head[..], args].concat())
    }

    /// The menu layout as `gdbus` prints it.
    pub fn layout(&self) -> String {
        self.menu_call("GetLayout", &["0", "int32 -1", "[]"])
            .expect("GetLayout")
    }

    /// The dbusmenu id of the item labelled `label`.
    pub fn item_id(&self, label: &str) -> i32 {
        let layout = self.layout();
        let item = menu_item(&layout, label)
            .unwrap_or_else(|| panic!("no menu item {label:?} in {layout}"));
        item[1..]
            .split(',')
            .next()
            .unwrap()
            .trim()
            .parse()
            .expect("item id")
    }

    pub fn click(&self, label: &str) {
        let id = self.item_id(label).to_string();
        self.menu_call("Event", &[&id, "clicked", "<0>", "0"])
            .expect("menu click");
    }
}

pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// True while a visible X window is titled exactly `title`.
pub fn window_exists(title: &str) -> bool {
    Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", &format!("^{title}$")])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false)
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The relay binary, built beside the app by `cargo test --workspace`.
pub fn relay_bin() -> PathBuf {
    let p = PathBuf::from(bin()).with_file_name("deskbell-relay");
    assert!(
        p.exists(),
        "{} is missing: cargo build -p deskbell-relay",
        p.display()
    );
    p
}

/// A minimal HTTP/1.1 exchange over loopback: (status, body).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let auth = auth
        .map(|a| format!("Authorization: Bearer {a}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// Every notification dunst has shown so far, as (summary, body).
pub fn dunst_seen(seen: &mut Vec<(String, String)>) {
    let _ = Command::new("dunstctl").arg("close-all").status();
    let Ok(out) = Command::new("dunstctl").arg("history").output() else {
        return;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return;
    };
    let mut all = Vec::new();
    for n in v["data"][0].as_array().cloned().unwrap_or_default() {
        let s = n["summary"]["data"].as_str().unwrap_or("").to_owned();
        let b = n["body"]["data"].as_str().unwrap_or("").to_owned();
        all.push((s, b));
    }
    *seen = all;
}

/// Runs `cmd` with `input` on its standard input; its output, collected.
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// The item labelled `label` in a layout as `gdbus` prints it: items print as
/// `(ID, {... 'label': <'X'> ...}, [])`, so from the last "(" before the
/// label to the end of its properties.
pub fn menu_item<'a>(layout: &'a str, label: &str) -> Option<&'a str> {
    let at = layout.find(&format!("'label': <'{label}'>"))?;
    let open = layout[..at].rfind('(')?;
    let close = layout[at..].find('}').map_or(layout.len(), |c| at + c);
    Some(&layout[open..close])
}

/// Whether `label` is an enabled item of the tray's menu (dbusmenu omits
/// `enabled` when true).
pub fn menu_item_enabled(layout: &str, label: &str) -> bool {
    menu_item(layout, label).is_some_and(|item| !item.contains("'enabled': <false>"))
}

/// Whether the check item `label` is ticked (dbusmenu's toggle-state);
/// `None` when there is no such check item.
pub fn menu_item_checked(layout: &str, label: &str) -> Option<bool> {
    let item = menu_item(layout, label)?;
    if item.contains("'toggle-state': <1>") {
        Some(true)
    } else if item.contains("'toggle-state': <0>") {
        Some(false)
    } else {
        None
    }
}

/// The processes descended from `pid` (itself excluded), as (pid, command name).
pub fn descendants(pid: u32) -> Vec<(u32, String)> {
    let mut parents = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split at ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_owned();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parents.insert(child, (ppid, comm));
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (child, (ppid, comm)) in &parents {
            if *ppid == p {
                out.push((*child, comm.clone()));
                frontier.push(*child);
            }
        }
    }
    out
}

/// Asks the window titled exactly `title` to close, as a window manager's
/// close button would (scripts/x11-close-window).
pub fn close_window(title: &str) {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", &format!("^{title}$")])
        .output()
        .expect("xdotool");
    let ids = String::from_utf8_lossy(&out.stdout);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/x11-close-window");
    for id in ids.split_whitespace() {
        let status = Command::new(&script)
            .arg(id)
            .status()
            .expect("x11-close-window");
        assert!(status.success(), "x11-close-window {id}");
    }
}

/// A child process ended with the test, a failed assertion included: a
/// leftover relay would keep the test's output pipe open after it failed.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Reaped {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Waits until the relay at `addr` counts `n` connected clients.
pub fn relay_clients(addr: &str, n: usize, timeout: Duration) -> bool {
    let want = format!("deskbell_relay_clients_connected {n}");
    wait_until(timeout, || {
        http(addr, "GET", "/metrics", None, b"")
            .1
            .lines()
            .any(|l| l == want)
    })
}

/// The first line a child prints (where a server says its address).
pub fn first_line(child: &mut Child) -> String {
    use std::io::{BufRead, BufReader};
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

/// The Freshworks API double (tests/doubles/freshworks_api.py) with the
/// admin key `key`: the process, its base URL and its `host:port`.
pub fn api_double(key: &str) -> (Reaped, String, String) {
    let mut double = Reaped(
        Command::new("python3")
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/doubles/freshworks_api.py"))
            .args(["--key", key])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let base = first_line(&mut double)
        .rsplit("listening on ")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let addr = base.trim_start_matches("http://").to_owned();
    (double, base, addr)
}

/// `deskbell-relay serve` over `data` with `config`, on a free loopback
/// port: the process and its `host:port`.
pub fn relay_serving(data: &Path, config: &Path) -> (Reaped, String) {
    let mut relay = Reaped(
        Command::new(relay_bin())
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let addr = first_line(&mut relay)
        .rsplit("http://")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    (relay, addr)
}

/// A one-time code from `deskbell-relay invite NAME --email EMAIL` for
/// the relay at `addr` (the last line it prints).
pub fn invite_code(data: &Path, name: &str, email: &str, addr: &str) -> String {
    let invite = Command::new(relay_bin())
        .arg("--data")
        .arg(data)
        .args(["invite", name, "--email", email])
        .args(["--url", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert!(invite.status.success(), "{invite:?}");
    String::from_utf8(invite.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}
