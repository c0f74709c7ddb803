#!/usr/bin/env python3
"""`deskbell check -` over a day's capture, whole process, beside `wc -l`
of the same file in the same run.

The capture is 1,000,000 NDJSON lines: every payload fixture of the four
families, minified, in turn, each line's account id made its own (where the
payload has one) so the classifier's dedupe does not skip most of it.
Output goes to /dev/null. Peak RSS is the check process's own
(wait4's ru_maxrss).

- check_1m_s, check_1m_lines_per_s, check_1m_peak_rss_mb
- check_vs_cat_ratio: check's time over `wc -l`'s (the floor: reading the
  bytes once); best of three for each.

Usage: check_harness.py DESKBELL OUT.json
"""
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINES = 1_000_000


def minify(text):
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def templates():
    out = []
    for family in ("freshdesk", "freshcaller", "freshchat", "xelion"):
        folder = os.path.join(ROOT, "tests", "fixtures", family)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                # json.loads keeps key order (dicts are ordered): `event`
                # stays before `data`, as Freshworks sends it.
                out.append(minify(f.read()))
    return out


def write_capture(path):
    pattern = re.compile(r'"account_id":[^,}]+')
    lines = templates()
    with open(path, "w", encoding="utf-8") as f:
        for i in range(LINES):
            line = lines[i % len(lines)]
            f.write(pattern.sub(f'"account_id":{i}', line, count=1))
            f.write("\n")


def run(argv, stdin_path, env=None):
    """Seconds from exec to exit, and the process's own peak RSS in MB."""
    with open(stdin_path, "rb") as stdin, open(os.devnull, "wb") as null:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=null, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    # check exits 1 when any payload did not decode; none of these should.
    if code != 0:
        raise SystemExit(f"{argv[0]} exited with {code}")
    return elapsed, usage.ru_maxrss / 1024


def main():
    deskbell, out_path = sys.argv[1], sys.argv[2]
    capture = os.path.join(os.path.dirname(os.path.abspath(out_path)), "check-1m.ndjson")
    write_capture(capture)
    size = os.path.getsize(capture)
    try:
        # An empty config: the default rules, no identity.
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(os.path.dirname(capture), "check-config"))
        os.makedirs(env["XDG_CONFIG_HOME"], exist_ok=True)
        checks, cats, peak = [], [], 0.0
        for _ in range(3):
            elapsed, rss = run([deskbell, "check", "-"], capture, env)
            checks.append(elapsed)
            peak = max(peak, rss)
            elapsed, _ = run(["wc", "-l"], capture)
            cats.append(elapsed)
        result = {
            "check_1m_s": min(checks),
            "check_1m_lines_per_s": LINES / min(checks),
            "check_1m_peak_rss_mb": peak,
            "check_1m_input_mb": size / 1e6,
            "cat_1m_s": min(cats),
            "check_vs_cat_ratio": min(checks) / min(cats),
        }
    finally:
        os.remove(capture)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
