//! The case list with 100,000 cases in SQLite: server time per request (router called directly, no network),
//! p50/p95 over several list shapes. Target: p95 under 50 ms. Run: `cargo bench -p sito-office --bench case_list`.
#![allow(clippy::expect_used, clippy::unwrap_used)]
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use sito_core::machine::{CaseState, Event, EventKind};
use sito_core::{CaseId, Category, Pipeline, Role, StaffId};
use sito_office::{AppState, OfficeConfig};
use sito_store::{NewCase, NewStaff, SessionRecord};
use tower::ServiceExt;
use uuid::Uuid;

const CASES: usize = 100_000;
const ROUNDS: usize = 200;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn sito_store::Store> = Arc::from(
        sito_store::open(&format!("sqlite://{}/office.db", dir.path().display()))
            .await
            .unwrap(),
    );
    let pipeline = Pipeline::default_legion().unwrap();

    let seeding = Instant::now();
    let now = sito_office::now();
    let mut batch = Vec::with_capacity(1000);
    for n in 0..CASES {
        let category = Category::ALL[n % Category::ALL.len()];
        let id = CaseId::from_uuid(Uuid::from_u128(n as u128 + 1));
        let received = now - (n as i64 % 200) * 86_400;
        let mut events =
            vec![CaseState::receive(&pipeline, category, &format!("Сокол-{n}"), received).unwrap()];
        let stages: Vec<_> = pipeline
            .track(category)
            .map(|stage| stage.id.clone())
            .collect();
        for step in 0..(n * 7919 % 11) {
            events.push(Event {
                seq: events.len() as u64 + 1,
                at: received + step as i64 * 3_600,
                actor: None,
                kind: EventKind::StageAdvanced {
                    from: stages[step].clone(),
                    to: stages[step + 1].clone(),
                    note: String::new(),
                },
            });
        }
        let state = CaseState::fold(id, &events);
        let owner_role = pipeline.stage(&state.stage).unwrap().owner;
        batch.push(NewCase {
            events,
            state,
            owner_role,
            content: Default::default(),
        });
        if batch.len() == 1000 {
            store.create_cases(&batch).await.unwrap();
            batch.clear();
        }
    }
    eprintln!(
        "seeded {CASES} cases in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    if std::env::var_os("SITO_BENCH_DIAG").is_some() {
        let filter = sito_store::CaseFilter {
            category: Some(Category::PrisonerOfWar),
            status: Some(sito_core::Status::Active),
            ..Default::default()
        };
        for _ in 0..5 {
            let started = Instant::now();
            store.list_cases(&filter, 20, 50).await.unwrap();
            eprintln!(
                "list_cases alone: {:.2} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        let kept = dir.path().to_path_buf();
        std::mem::forget(dir);
        eprintln!("database kept at {}", kept.display());
        return;
    }
    let staff = StaffId::from_uuid(Uuid::from_u128(u128::MAX));
    store
        .create_staff(&NewStaff {
            id: staff,
            call_sign: "bench".into(),
            role: Role::SecurityOfficer,
            password_hash: "-".into(),
            created_at: now,
        })
        .await
        .unwrap();
    let session = "bench-session";
    store
        .create_session(&SessionRecord {
            id_hash: sito_office::auth::hash_session_id(session),
            staff_id: staff,
            csrf_token: "t".into(),
            created_at: now,
            last_seen: now,
        })
        .await
        .unwrap();
    let state = AppState {
        store,
        pipeline: Arc::new(pipeline),
        passwords: Arc::new(sito_office::auth::PasswordHashing::recommended()),
        config: Arc::new(OfficeConfig::default()),
        sign_ins: Arc::default(),
    };
    let app = sito_office::routes::office_router(state);

    let shapes = [
        "/cases",
        "/cases?page=500",
        "/cases?page=1999",
        "/cases?stage=background_check",
        "/cases?category=prisoner_of_war&status=active&page=20",
        "/queue",
        "/queue?page=50",
    ];
    let mut all = Vec::new();
    println!("{:<58} {:>9} {:>9}", "request", "p50 ms", "p95 ms");
    for shape in shapes {
        let mut times = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS + 10 {
            let request = Request::get(shape)
                .header("cookie", format!("sito_session={session}"))
                .body(Body::empty())
                .unwrap();
            let started = Instant::now();
            let response = app.clone().oneshot(request).await.unwrap();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            assert!(body.len() > 1000);
            if round >= 10 {
                times.push(elapsed);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{shape:<58} {:>9.2} {:>9.2}",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{:<58} {:>9.2} {:>9.2}",
        "all",
        percentile(&all, 0.5),
        percentile(&all, 0.95)
    );
}
