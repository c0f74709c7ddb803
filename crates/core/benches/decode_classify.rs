//! decode + classify against the baseline of parsing the same bytes into a
//! `serde_json::Value`, in one criterion group so the ratio is measured side
//! by side. Run: cargo bench -p deskbell-core --bench decode_classify

use std::path::PathBuf;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use deskbell_core::board::Board;
use deskbell_core::rules::{classify, Context, Identity, Me, Rules};
use deskbell_core::stream::sse::one_line_json;
use deskbell_core::{decode, DecodedEvent};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The Freshdesk ticket sample with a realistic 3-4 KB body, compact as the
/// relay stores it. Minified as the relay does, not through a `Value`: that
/// would sort the keys and put `data` before `event`, which Freshworks does
/// not do.
fn ticket_payload() -> Vec<u8> {
    let text = std::fs::read(fixtures().join("freshdesk/ticket-create.json")).unwrap();
    let compact = one_line_json(&text);
    let para = "Hello team, our order #A-20931 arrived damaged and the replacement \
                portal keeps rejecting the serial number. Could you please check? ";
    let out = compact
        .replacen(
            r#""description":"<div>Some details on the issue ..</div>""#,
            &format!(r#""description":"<div>{}</div>""#, para.repeat(8)),
            1,
        )
        .replacen(
            r#""description_text":"Some details on the issue ...""#,
            &format!(r#""description_text":"{}""#, para.repeat(8)),
            1,
        );
    assert!(out.len() > 3000, "the body did not grow: {}", out.len());
    out.into_bytes()
}

fn all_fixtures() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for family in ["freshdesk", "freshcaller", "freshchat", "xelion"] {
        for entry in std::fs::read_dir(fixtures().join(family)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            out.push(one_line_json(&bytes).into_bytes());
        }
    }
    out
}

fn decode_and_classify(bytes: &[u8], rules: &Rules, identity: &Identity, board: &Board) -> usize {
    let ev: DecodedEvent = decode(bytes).unwrap();
    let ctx = Context {
        rules,
        me: Me {
            identity,
            board,
            names: &deskbell_core::directory::Names::default(),
        },
        board_change: None,
        locale: &deskbell_core::l10n::Locale::english(),
    };
    match classify(&ev, &ctx) {
        deskbell_core::rules::Verdict::Notify(n) => n.len(),
        deskbell_core::rules::Verdict::Skip(_) | deskbell_core::rules::Verdict::Withdraw(_) => 0,
    }
}

fn bench(c: &mut Criterion) {
    let rules = Rules::default();
    let identity = Identity::default();
    let board = Board::default();

    let ticket = ticket_payload();
    let mut g = c.benchmark_group("decode_classify/ticket_3k");
    g.throughput(Throughput::Elements(1));
    g.bench_function("deskbell", |b| {
        b.iter(|| decode_and_classify(black_box(&ticket), &rules, &identity, &board))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&ticket)).unwrap())
    });
    // Where the time goes: decoding alone, and skipping the bytes alone.
    g.bench_function("decode_only", |b| {
        b.iter(|| decode(black_box(&ticket)).unwrap())
    });
    g.bench_function("skip_only", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&ticket)).unwrap())
    });
    g.finish();

    let all = all_fixtures();
    let mut g = c.benchmark_group("decode_classify/all_fixtures");
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("deskbell", |b| {
        b.iter(|| {
            all.iter()
                .map(|p| decode_and_classify(black_box(p), &rules, &identity, &board))
                .sum::<usize>()
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            all.iter()
                .map(|p| {
                    serde_json::from_slice::<serde_json::Value>(black_box(p))
                        .map(|v| v.is_object())
                        .unwrap_or(false) as usize
                })
                .sum::<usize>()
        })
    });
    // The floor: only checking that the bytes are JSON.
    g.bench_function("skip_only", |b| {
        b.iter(|| {
            all.iter()
                .map(|p| {
                    serde_json::from_slice::<serde::de::IgnoredAny>(black_box(p)).is_ok() as usize
                })
                .sum::<usize>()
        })
    });
    g.finish();

    // Freshworks' usual timestamp, on the fast path and through chrono's
    // general parsers alone.
    let mut g = c.benchmark_group("decode_classify/timestamp");
    let text = "2022-08-29 18:45:26 UTC";
    g.bench_function("deskbell", |b| {
        b.iter(|| deskbell_core::wire::Timestamp::parse_str(black_box(text)))
    });
    g.bench_function("chrono_general", |b| {
        b.iter(|| deskbell_core::wire::Timestamp::parse_str_general(black_box(text)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
