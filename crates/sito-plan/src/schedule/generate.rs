//! Random instances of the family described in shared/data/plan-sample/README.md, for property tests and the
//! benchmark. Written from the README's description, not fitted to the samples.
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::instance::{CandidateFile, DurationsFile, InstanceFile, LocationFile, Role, StaffFile};

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut draw = rng.random_range(0.0..total);
    for (index, weight) in weights.iter().enumerate() {
        if draw < *weight {
            return index;
        }
        draw -= weight;
    }
    weights.len() - 1
}

/// An instance with `candidates` candidates drawn from the seeded generator.
pub fn generate(candidates: usize, seed: u64) -> InstanceFile {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let days: u32 = if rng.random_bool(0.25) { 10 } else { 5 };
    let slots_per_day = 8;
    let durations = DurationsFile {
        interview: rng.random_range(1..=2),
        polygraph: rng.random_range(2..=3),
    };
    let min_gap_slots = rng.random_range(2..=8);
    let drawn_locations = rng.random_range(1..=4_usize);
    let examiners = ((candidates as f64 / rng.random_range(6.0..10.0)).round() as usize).max(2);
    let psychologists =
        ((candidates as f64 / rng.random_range(15.0..25.0)).round() as usize).max(1);
    // Every location has two examiners and a psychologist, so small instances are not empty by construction.
    let location_count = drawn_locations.min(examiners / 2).min(psychologists).max(1);

    // Room for roughly a sixth to a third of the candidates each day, spread unevenly over the locations.
    let share = rng.random_range(0.15..0.35) * 5.0 / f64::from(days);
    let weights: Vec<f64> = (0..location_count)
        .map(|_| rng.random_range(0.5..1.5))
        .collect();
    let weight_sum: f64 = weights.iter().sum();
    let locations: Vec<LocationFile> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| LocationFile {
            id: format!("loc-{}", i + 1),
            capacity: ((candidates as f64 * share * w / weight_sum).round() as u32).max(1),
        })
        .collect();

    let mut staff = Vec::with_capacity(examiners + psychologists);
    for (role, count, prefix) in [
        (Role::Examiner, examiners, "ex"),
        (Role::Psychologist, psychologists, "ps"),
    ] {
        for i in 0..count {
            let location = if i < 2 * location_count {
                i % location_count
            } else {
                rng.random_range(0..location_count)
            };
            let off_rate = if rng.random_bool(0.6) {
                0.0
            } else {
                rng.random_range(0.1..0.4)
            };
            let available_days: Vec<i64> = (0..days)
                .filter(|_| !rng.random_bool(off_rate))
                .map(i64::from)
                .collect();
            let max_tasks_per_day = match role {
                Role::Examiner if rng.random_bool(0.88) => Some(rng.random_range(2..=3)),
                Role::Psychologist if rng.random_bool(0.25) => Some(rng.random_range(2..=4)),
                _ => None,
            };
            staff.push(StaffFile {
                id: format!("{prefix}-{}", i + 1),
                role,
                location: format!("loc-{}", location + 1),
                available_days,
                max_tasks_per_day,
            });
        }
    }
    // The README: the staff list is in no particular order.
    for i in (1..staff.len()).rev() {
        let j = rng.random_range(0..=i);
        staff.swap(i, j);
    }

    let candidates = (0..candidates)
        .map(|i| {
            let first = rng.random_range(0..location_count);
            let mut allowed = vec![format!("loc-{}", first + 1)];
            if location_count > 1 && rng.random_bool(0.35) {
                let other = (first + rng.random_range(1..location_count)) % location_count;
                allowed.push(format!("loc-{}", other + 1));
            }
            CandidateFile {
                id: format!("c-{}", i + 1),
                priority: pick_weighted(&mut rng, &[0.34, 0.28, 0.19, 0.13, 0.06]) as u32 + 1,
                waiting_days: rng.random_range(0..=180),
                earliest_day: pick_weighted(&mut rng, &[0.45, 0.25, 0.18, 0.12]) as u32,
                locations: allowed,
            }
        })
        .collect();

    InstanceFile {
        days,
        slots_per_day,
        durations,
        min_gap_slots,
        locations,
        staff,
        candidates,
    }
}
