//! Spike evaluation for 10,000 services: one minute of data (what live evaluation does each
//! minute) and one hour of data (a backfill). The target is under 1 s per minute of data for
//! 10,000 services. Run with `cargo bench --bench spikes`; CI only builds it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aftermath::domain::spikes::{MINUTES_PER_DAY, Rules, Series, SpikeState, evaluate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SERVICES: usize = 10_000;

/// Eight days of counts with a daily cycle and deterministic noise, different per service.
fn series(seed: u64) -> Series {
    let minutes = 8 * MINUTES_PER_DAY;
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let counts = (0..minutes)
        .map(|m| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let phase =
                ((m % MINUTES_PER_DAY) as f64 / MINUTES_PER_DAY as f64) * std::f64::consts::TAU;
            let level = 3.0 + 2.0 * phase.sin();
            (level + ((x >> 33) % 3) as f64) as u32
        })
        .collect();
    Series { start: 0, counts }
}

fn spikes(c: &mut Criterion) {
    let all: Vec<Series> = (0..SERVICES as u64).map(series).collect();
    let rules = Rules::default();
    let last = 8 * MINUTES_PER_DAY - 1;
    let mut group = c.benchmark_group("spike_evaluation");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SERVICES as u64));
    group.bench_function("10k_services_1_minute", |b| {
        b.iter(|| {
            let mut found = 0;
            for s in &all {
                let mut state = SpikeState::default();
                found += evaluate(black_box(s), 0, &mut state, last, last + 1, &rules).len();
            }
            found
        })
    });
    group.bench_function("10k_services_60_minutes", |b| {
        b.iter(|| {
            let mut found = 0;
            for s in &all {
                let mut state = SpikeState::default();
                found += evaluate(black_box(s), 0, &mut state, last - 59, last + 1, &rules).len();
            }
            found
        })
    });
    group.finish();
}

criterion_group!(benches, spikes);
criterion_main!(benches);
