#!/usr/bin/env python3
"""Whole-process measures of the desktop app, on a headless desktop
(run it through scripts/headless-session; scripts/bench does).

- app_cold_start_ms: from exec of the tray process (`deskbell`) to its
  tray on D-Bus and the relay stream live (the relay's /metrics counts the
  client), with one relay account.
- app_tray_before_window_rss_mb: the tray's whole process tree, one relay
  account live, before the window was ever opened.
- app_window_open_ms: from `deskbell open` to the window's page holding
  its first snapshot with the board's data (the window logs that line as
  it hands the snapshot to the page, which draws it in the same tick).
- app_window_rss_mb: the tree with the window open (the tray, the window's
  process and WebKit's).
- app_tray_rss_mb: the tree after the window was opened, used (board shown)
  and closed.
Each memory figure with PSS (shared pages split between processes) and
private memory (Private_Clean + Private_Dirty) beside it.

Baselines, run beside it: `deskbell --version` (exec and exit, the floor
of any start) for the cold start, and the tree before the window was ever
opened for memory.

Usage: app_harness.py TRAY RELAY OUT.json  (release binaries; the window,
deskbell-window, beside TRAY)
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "bench-ingress"


def tree(pid):
    """pid and all its descendants."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def memory(pid):
    """(rss_mb, pss_mb, private_mb, {name: rss_mb}) of the tree under pid."""
    rss = pss = private = 0
    names = {}
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                text = f.read()
            with open(f"/proc/{p}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        r = int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))
        s = int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
        p = sum(int(m) for m in re.findall(r"^Private_(?:Clean|Dirty):\s+(\d+)", text, re.M))
        rss += r
        pss += s
        private += p
        names[name] = round(names.get(name, 0) + r / 1024, 1)
    return round(rss / 1024, 1), round(pss / 1024, 1), round(private / 1024, 1), names


def wait(pred, timeout, step=0.005):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def gdbus(*args):
    return subprocess.run(["gdbus", *args], capture_output=True, text=True).stdout


def bus_names():
    out = gdbus("call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames")
    return set(re.findall(r"'(:[0-9.]+)'", out))


class TrayWatch:
    """Whether `pid` has published its tray item, without blocking: each bus
    name's owner is asked once, and the pid's connections are introspected in
    the background, since some of them (zbus ones) take seconds to answer a
    call they don't serve."""

    def __init__(self, pid, known):
        self.pid, self.known, self.running = pid, set(known), {}

    def ready(self):
        for name in bus_names() - self.known:
            self.known.add(name)
            owner = gdbus("call", "--session", "--dest", "org.freedesktop.DBus",
                          "--object-path", "/org/freedesktop/DBus", "--method",
                          "org.freedesktop.DBus.GetConnectionUnixProcessID", name)
            if re.search(rf"\b{self.pid}\b", owner):
                self.running[name] = None
        found = False
        for name, proc in self.running.items():
            if proc is not None and proc.poll() is not None:
                intro = proc.stdout.read()
                proc = None
                # The tray's menu (ksni exports it at /MenuBar) once it is up.
                found = found or "com.canonical.dbusmenu" in intro
            if proc is None and not found:
                proc = subprocess.Popen(
                    ["gdbus", "introspect", "--session", "--dest", name,
                     "--object-path", "/MenuBar"],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.running[name] = proc
        if found:
            self.close()
        return found

    def close(self):
        for proc in self.running.values():
            if proc is not None:
                proc.kill()
                proc.wait()
        self.running = {}


def clients_connected(addr):
    try:
        with urllib.request.urlopen(f"http://{addr}/metrics", timeout=1) as r:
            return "deskbell_relay_clients_connected 1" in r.read().decode()
    except OSError:
        return False


def post_agent_update(addr):
    """One agent's status, as Freshcaller sends it, sent now."""
    with open(os.path.join(ROOT, "tests/fixtures/freshcaller/agent-update-busy.json")) as f:
        update = json.load(f)
    update["timestamp"] = time.time()
    req = urllib.request.Request(
        f"http://{addr}/v1/events", data=json.dumps(update).encode(), method="POST",
        headers={"authorization": f"Bearer {SECRET}", "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 202, r.status


def window_ids():
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Deskbell$"],
                         capture_output=True, text=True).stdout
    return out.split()


def main():
    app, relay, out_path = sys.argv[1:4]
    scratch = tempfile.mkdtemp(prefix="deskbell-app-bench-")
    env = dict(os.environ, XDG_CONFIG_HOME=f"{scratch}/config",
               XDG_STATE_HOME=f"{scratch}/state", XDG_DATA_HOME=f"{scratch}/data")
    token = subprocess.run([relay, "--data", f"{scratch}/relay", "token", "add", "bench"],
                           capture_output=True, text=True, check=True).stdout.split()[-1]
    relay_proc = subprocess.Popen(
        [relay, "--data", f"{scratch}/relay", "serve", "--listen", "127.0.0.1:0"],
        env=dict(env, DESKBELL_RELAY_SECRET=SECRET, RUST_LOG="warn"),
        stdout=subprocess.PIPE, text=True)
    addr = relay_proc.stdout.readline().rsplit("http://", 1)[1].strip()
    subprocess.run([app, "account", "add", "bench", "--relay", f"http://{addr}/"],
                   input=token + "\n", env=env, text=True, check=True, capture_output=True)

    # Baseline: exec to exit of the same binary, no GUI.
    floor = []
    for _ in range(5):
        t0 = time.monotonic()
        subprocess.run([app, "--version"], env=env, capture_output=True, check=True)
        floor.append((time.monotonic() - t0) * 1000)

    cold, tray_ready = [], []
    for _ in range(3):
        known = bus_names()
        t0 = time.monotonic()
        proc = subprocess.Popen([app], env=dict(env, RUST_LOG=os.environ.get("BENCH_LOG", "warn")),
                                stdout=subprocess.DEVNULL, stderr=sys.stderr)
        tray = TrayWatch(proc.pid, known)
        # Both polled in one loop; the tray check costs a few gdbus calls,
        # which bounds its resolution (tens of ms).
        t_live = t_tray = None
        while (t_live is None or t_tray is None) and time.monotonic() - t0 < 30:
            if t_live is None and clients_connected(addr):
                t_live = time.monotonic()
            if t_tray is None and tray.ready():
                t_tray = time.monotonic()
            time.sleep(0.002)
        tray.close()
        if t_live is not None and t_tray is not None:
            cold.append((max(t_live, t_tray) - t0) * 1000)
            tray_ready.append((t_tray - t0) * 1000)
        proc.terminate()
        proc.wait(timeout=15)
        wait(lambda: not clients_connected(addr), 10, step=0.05)

    # An agent on the board, so the window has data to draw.
    post_agent_update(addr)

    # Memory and the window: one run through tray, window (opened a few
    # times, timed), closed window.
    proc = subprocess.Popen([app], env=dict(env, RUST_LOG="warn,deskbell_window=info"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first_snapshots = []
    snapshot_seen = threading.Event()

    def read_log():
        for line in proc.stderr:
            if "first snapshot for the page" in line:
                first_snapshots.append((time.monotonic(), line))
                snapshot_seen.set()

    threading.Thread(target=read_log, daemon=True).start()
    wait(lambda: clients_connected(addr), 30)
    time.sleep(5)
    before = memory(proc.pid)
    opened, window = [], None
    for i in range(3):
        snapshot_seen.clear()
        t0 = time.monotonic()
        subprocess.run([app, "open"], env=env, capture_output=True, timeout=30, check=True)
        if snapshot_seen.wait(30):
            opened.append((first_snapshots[-1][0] - t0) * 1000)
        wait(lambda: window_ids(), 30, step=0.05)
        time.sleep(5)
        if window is None:
            window = memory(proc.pid)
        for wid in window_ids():
            subprocess.run([os.path.join(ROOT, "scripts/x11-close-window"), wid], check=True)
        wait(lambda: not window_ids() and "deskbell-window" not in memory(proc.pid)[3], 30, step=0.1)
    time.sleep(10)
    after = memory(proc.pid)
    proc.terminate()
    proc.wait(timeout=15)
    relay_proc.terminate()
    relay_proc.wait(timeout=15)

    def ms(xs):
        xs = [x for x in xs if x is not None]
        return round(statistics.median(xs), 1) if xs else None

    result = {
        "app_cold_start_ms": ms(cold),
        "app_cold_start_tray_ms": ms(tray_ready),
        "app_cold_start_baseline_exec_ms": ms(floor),
        "app_window_open_ms": ms(opened),
        "app_tray_before_window_rss_mb": before[0],
        "app_tray_before_window_pss_mb": before[1],
        "app_tray_before_window_private_mb": before[2],
        "app_tray_before_window_processes": before[3],
        "app_window_rss_mb": window[0] if window else None,
        "app_window_pss_mb": window[1] if window else None,
        "app_window_private_mb": window[2] if window else None,
        "app_window_processes": window[3] if window else None,
        "app_tray_rss_mb": after[0],
        "app_tray_pss_mb": after[1],
        "app_tray_private_mb": after[2],
        "app_tray_processes": after[3],
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
