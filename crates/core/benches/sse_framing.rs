//! SSE framing throughput: our parser against the `eventsource-stream`
//! crate on the same bytes and the same chunking, in one criterion group.
//! Run: cargo bench -p deskbell-core --bench sse_framing

use std::convert::Infallible;

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use deskbell_core::stream::sse::{one_line_json, write_event, Frame, SseParser};
use eventsource_stream::Eventsource;
use futures::StreamExt;

/// A relay stream: 2,000 ticket events of ~1.5 KB, with keepalives, cut
/// into 16 KiB chunks as a socket would deliver them.
fn stream() -> Vec<Bytes> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/freshdesk/ticket-create.json"
    );
    let data = one_line_json(&std::fs::read(path).unwrap());
    let mut text = String::from("retry: 1000\n\n");
    for id in 1..=2000u64 {
        write_event(&mut text, Some(id), "onTicketCreate", &data);
        if id % 100 == 0 {
            text.push_str(": keepalive\n\n");
        }
    }
    text.as_bytes()
        .chunks(16 * 1024)
        .map(Bytes::copy_from_slice)
        .collect()
}

fn bench(c: &mut Criterion) {
    let chunks = stream();
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut g = c.benchmark_group("sse_framing");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("deskbell", |b| {
        b.iter(|| {
            let mut p = SseParser::new(1 << 20);
            let mut out = Vec::new();
            let mut events = 0usize;
            for chunk in &chunks {
                p.push(black_box(chunk), &mut out);
                events += out
                    .drain(..)
                    .filter(|f| matches!(f, Frame::Event(_)))
                    .count();
            }
            assert_eq!(events, 2000);
            events
        })
    });
    g.bench_function("eventsource_stream", |b| {
        b.iter(|| {
            let s = futures::stream::iter(chunks.iter().cloned().map(Ok::<Bytes, Infallible>))
                .eventsource();
            let events =
                futures::executor::block_on(s.filter(|e| std::future::ready(e.is_ok())).count());
            assert_eq!(events, 2000);
            events
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
