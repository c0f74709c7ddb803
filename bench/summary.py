#!/usr/bin/env python3
"""Collects the benchmark results into target/bench/summary.json: each
figure with its baseline from the same run, and its target.
Usage: summary.py TARGET_DIR"""
import json
import os
import sys

target = sys.argv[1] if len(sys.argv) > 1 else "target"


def estimate_ns(group, function):
    path = os.path.join(target, "criterion", group, function, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]


def throughput(group, function):
    path = os.path.join(target, "criterion", group, function, "new", "benchmark.json")
    with open(path) as f:
        return json.load(f)["throughput"]


def load(name):
    with open(os.path.join(target, "bench", name)) as f:
        return json.load(f)


def per_s(group, function):
    elements = throughput(group, function)["Elements"]
    return elements / (estimate_ns(group, function) / 1e9)


# Decode and classify: the mix of every family's fixtures, and the 3.5 KB
# ticket alone (the heaviest payload), each against serde_json::Value.
mix = "decode_classify_all_fixtures"
ticket = "decode_classify_ticket_3k"
sse = "sse_framing"
sse_bytes = throughput(sse, "deskbell")["Bytes"]
stream = load("stream.json")
app = load("app.json")
board = load("board.json")
check = load("check.json")
# The contact-center model (bench/contact_center.js): missed calls lost and
# popup delays against the platform's 50 requests a minute.
contact_center = load("contact_center.json")

figures = {
    "decode_classify_events_per_s": per_s(mix, "deskbell"),
    "decode_classify_vs_value_ratio": estimate_ns(mix, "serde_json_value") / estimate_ns(mix, "deskbell"),
    "decode_classify_ticket_3k_events_per_s": per_s(ticket, "deskbell"),
    "decode_classify_ticket_3k_vs_value_ratio": estimate_ns(ticket, "serde_json_value") / estimate_ns(ticket, "deskbell"),
    # Against only checking that the bytes are JSON (IgnoredAny): the floor.
    "decode_classify_vs_validate_ratio": estimate_ns(mix, "deskbell") / estimate_ns(mix, "skip_only"),
    "decode_classify_ticket_3k_vs_validate_ratio": estimate_ns(ticket, "deskbell") / estimate_ns(ticket, "skip_only"),
    # `deskbell check -` over 1M NDJSON lines against `wc -l` (bench/check_harness.py).
    "check_1m_lines_per_s": check["check_1m_lines_per_s"],
    "check_1m_peak_rss_mb": check["check_1m_peak_rss_mb"],
    "check_vs_cat_ratio": check["check_vs_cat_ratio"],
    "sse_framing_mb_per_s": sse_bytes / (estimate_ns(sse, "deskbell") / 1e9) / 1e6,
    "sse_framing_vs_eventsource_stream_ratio": estimate_ns(sse, "eventsource_stream") / estimate_ns(sse, "deskbell"),
    "ingest_to_client_p50_ms": stream["ingest_to_client_p50_ms"],
    "ingest_to_client_p99_ms": stream["ingest_to_client_p99_ms"],
    "ingest_to_client_p99_vs_roundtrip_p99_ratio": stream["ingest_to_client_p99_vs_roundtrip_p99_ratio"],
    "ingest_durable_events_per_s": stream["ingest_durable_events_per_s"],
    "ingest_durable_vs_healthz_ratio": stream["ingest_durable_vs_healthz_ratio"],
    "replay_100k_s": stream["replay_100k_s"],
    "replay_vs_sqlite_read_ratio": stream["replay_vs_sqlite_read_ratio"],
    "fanout_2k_clients_p99_ms": stream["fanout_2k_clients_p99_ms"],
    "fanout_2k_vs_one_client_p99_ratio": stream["fanout_2k_vs_one_client_p99_ratio"],
    # The same with the log in a 3-node JetStream cluster (R3), beside SQLite.
    "ha_ingest_durable_events_per_s": stream["ha_ingest_durable_events_per_s"],
    "ha_ingest_durable_vs_sqlite_ratio": stream["ha_ingest_durable_vs_sqlite_ratio"],
    "ha_ingest_to_client_p99_ms": stream["ha_ingest_to_client_p99_ms"],
    "ha_ingest_to_client_p99_vs_sqlite_ratio": stream["ha_ingest_to_client_p99_vs_sqlite_ratio"],
    "ha_fanout_2k_clients_p99_ms": stream["ha_fanout_2k_clients_p99_ms"],
    "ha_fanout_2k_vs_sqlite_ratio": stream["ha_fanout_2k_vs_sqlite_ratio"],
    "ha_failover_s": stream["ha_failover_s"],
    "app_tray_before_window_rss_mb": app["app_tray_before_window_rss_mb"],
    "app_tray_before_window_pss_mb": app["app_tray_before_window_pss_mb"],
    "app_tray_before_window_private_mb": app["app_tray_before_window_private_mb"],
    "app_tray_rss_mb": app["app_tray_rss_mb"],
    "app_tray_pss_mb": app["app_tray_pss_mb"],
    "app_tray_private_mb": app["app_tray_private_mb"],
    "app_window_rss_mb": app["app_window_rss_mb"],
    "app_window_pss_mb": app["app_window_pss_mb"],
    "app_window_open_ms": app["app_window_open_ms"],
    "app_cold_start_ms": app["app_cold_start_ms"],
    "app_cold_start_vs_exec_ratio": app["app_cold_start_ms"] / app["app_cold_start_baseline_exec_ms"],
    # One live status change on a 500-agent board, layout included, against
    # drawing the whole table once (ui/bench/board.bench.mjs).
    "board_500_update_ms": board["board_500_update_ms"],
    "board_500_full_redraw_vs_update_ratio": board["board_500_full_redraw_vs_update_ratio"],
    "board_500_unchanged_refresh_ms": board["board_500_unchanged_refresh_ms"],
}
for row in contact_center["rows"]:
    for mode in ("before", "budget", "budget_and_polling"):
        m = row[mode]
        prefix = f"forwarding_{row['agents']}_agents_{mode}"
        figures[f"{prefix}_missed_calls_lost"] = m["missed_calls_lost"]
        figures[f"{prefix}_popup_delay_p50_s"] = m["popup_delay_p50_s"]
        figures[f"{prefix}_popup_delay_p99_s"] = m["popup_delay_p99_s"]

# (figure, comparison, target)
targets = [
    ("decode_classify_events_per_s", ">=", 1_000_000),
    ("decode_classify_vs_value_ratio", ">=", 3.0),
    ("decode_classify_ticket_3k_vs_value_ratio", ">=", 3.0),
    ("decode_classify_vs_validate_ratio", "<=", 1.5),
    ("decode_classify_ticket_3k_vs_validate_ratio", "<=", 1.5),
    ("check_1m_peak_rss_mb", "<=", 64.0),
    ("sse_framing_vs_eventsource_stream_ratio", ">=", 2.0),
    ("ingest_to_client_p99_ms", "<=", 5.0),
    ("ingest_durable_events_per_s", ">=", 5_000),
    ("replay_100k_s", "<=", 1.5),
    ("fanout_2k_clients_p99_ms", "<=", 100.0),
    ("ha_ingest_durable_events_per_s", ">=", 5_000),
    ("ha_ingest_to_client_p99_ms", "<=", 20.0),
    ("ha_fanout_2k_clients_p99_ms", "<=", 150.0),
    ("ha_failover_s", "<=", 10.0),
    ("app_tray_before_window_rss_mb", "<=", 30.0),
    ("app_tray_rss_mb", "<=", 30.0),
    ("app_window_open_ms", "<=", 1000.0),
    ("app_cold_start_ms", "<=", 300.0),
    # Within one frame at 60 Hz: the board keeps up with every change.
    ("board_500_update_ms", "<=", 16.7),
    # With the budget and the poller, no missed call is lost at any size.
    ("forwarding_1000_agents_budget_and_polling_missed_calls_lost", "<=", 0),
]
verdicts = {}
for name, op, goal in targets:
    value = figures[name]
    met = value >= goal if op == ">=" else value <= goal
    verdicts[name] = {"target": f"{op} {goal}", "met": met}

summary = {
    "figures": {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()},
    "targets": verdicts,
    "baselines": {
        "decode_classify": "serde_json::Value parse of the same bytes, and IgnoredAny (only checking it is JSON), criterion, same group",
        "check_1m": "`wc -l` of the same file, best of three each",
        "sse_framing": "eventsource-stream on the same bytes and chunking (criterion, same group)",
        "ingest_to_client": "a bare loopback HTTP round trip to the relay's /healthz",
        "ingest_durable": "/healthz round trips at the same concurrency",
        "replay_100k": "reading the same rows straight from SQLite",
        "fanout_2k": "the one-client ingest-to-client p99",
        "ha": "the same figure with the SQLite log, same run (ha_failover_s: none; the issue's bound)",
        "app_cold_start": "exec to exit of `deskbell --version`",
        "app_tray_rss": "the same tray before its window was ever opened",
        "forwarding": "the forwarding app as it was before the budget (every call and agent event pushed), same model and seed",
    },
    "details": {"stream": stream, "app": app, "contact_center": contact_center, "check": check},
}
out = os.path.join(target, "bench", "summary.json")
with open(out, "w") as f:
    json.dump(summary, f, indent=2)
print(json.dumps({"figures": summary["figures"], "targets": verdicts}, indent=2))
