//! The capacity-planning page over a real SQLite store: estimates from a log with known arrivals, services and
//! leavers come out as they should; the page renders for the board and the administrator only; bad form input is
//! answered with a message naming the field, never a 500.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use axum::http::header;
use sito_core::machine::{Actor, CaseState, Closure, Command, Event};
use sito_core::{CaseId, Category, Pipeline, Role, StaffId};
use sito_office::now;
use sito_plan::capacity::{WorkingDay, observe, simulated_stages};
use sito_store::NewCase;
use support::{Office, send_as_with_headers, send_raw, session};
use uuid::Uuid;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const CASES: i64 = 100;
/// 100 arrivals over 10 days.
const ARRIVAL_GAP: i64 = 10 * DAY / CASES;

fn coordinator(n: i64) -> Actor {
    Actor {
        id: StaffId::from_uuid(Uuid::from_u128(0x100 + n as u128 % 2)),
        role: Role::IntakeCoordinator,
    }
}

fn act(
    pipeline: &Pipeline,
    state: &mut CaseState,
    events: &mut Vec<Event>,
    actor: Actor,
    command: Command,
    at: i64,
) {
    let kinds = state.decide(pipeline, actor, &command).unwrap();
    for event in state.stamp(kinds, Some(actor.id), at) {
        state.apply(&event);
        events.push(event);
    }
}

/// Case `n` arrives at `start + n × 2.4 h`; two coordinators take turns. Every case moves on from `received` an
/// hour after it arrived (an hour's service: each coordinator's previous case was done long before); at triage,
/// one in five is rejected and two in five move on two hours after they got there, the rest still wait.
fn history(pipeline: &Pipeline, n: i64, start: i64) -> NewCase {
    let arrived = start + n * ARRIVAL_GAP;
    let id = CaseId::from_uuid(Uuid::from_u128(n as u128 + 1));
    let mut events = vec![
        CaseState::receive(
            pipeline,
            Category::FormerServiceman,
            &format!("Сова-{n}"),
            arrived,
        )
        .unwrap(),
    ];
    let mut state = CaseState::fold(id, &events);
    let actor = coordinator(n);
    let tick = |check: &str| Command::TickCheck {
        check: check.to_owned(),
    };
    let advance = Command::Advance {
        note: String::new(),
    };
    act(
        pipeline,
        &mut state,
        &mut events,
        actor,
        tick("contact_established"),
        arrived + HOUR,
    );
    act(
        pipeline,
        &mut state,
        &mut events,
        actor,
        advance.clone(),
        arrived + HOUR,
    );
    match n % 5 {
        0 => act(
            pipeline,
            &mut state,
            &mut events,
            actor,
            Command::Close {
                closure: Closure::Rejected,
                reason: "duplicate of an earlier application".into(),
            },
            arrived + 3 * HOUR,
        ),
        1 | 2 => {
            for check in ["category_confirmed", "duplicates_checked"] {
                act(
                    pipeline,
                    &mut state,
                    &mut events,
                    actor,
                    tick(check),
                    arrived + 3 * HOUR,
                );
            }
            act(
                pipeline,
                &mut state,
                &mut events,
                actor,
                advance,
                arrived + 3 * HOUR,
            );
        }
        _ => {}
    }
    NewCase {
        state,
        events,
        owner_role: Role::IntakeCoordinator,
        content: BTreeMap::new(),
    }
}

/// The shared office holding a hundred cases' history; returns it with the history's first day.
async fn office() -> (Office, i64) {
    let office = Office::new().await;
    // Ten days ending a day ago, so every event lies inside the page's default window.
    let start = now() - 11 * DAY;
    let cases: Vec<NewCase> = (0..CASES)
        .map(|n| history(&office.state.pipeline, n, start))
        .collect();
    office.state.store.create_cases(&cases).await.unwrap();
    (office, start)
}

#[tokio::test]
async fn estimates_match_the_log() {
    let (office, start) = office().await;
    let pipeline = &office.state.pipeline;
    let groups = simulated_stages(pipeline);
    let window = (start, start + 10 * DAY);
    let flow = office.state.store.case_flow(start).await.unwrap();
    let observed = observe(&groups, &flow, window, WorkingDay::simulation(24.0));
    let parts = sito_plan::simulate::estimate_parts(&observed.observations);

    let rate = parts.arrivals_per_day.unwrap();
    assert!(
        (rate - 10.0).abs() < 1e-9,
        "100 arrivals over 10 days: {rate}"
    );

    let received = parts.stages[0].as_ref().unwrap();
    assert_eq!(received.name, "received");
    assert_eq!(observed.observations.stages[0].service_hours.len(), 100);
    assert!(
        (received.service.mean_hours - 1.0).abs() < 1e-9,
        "{received:?}"
    );
    assert_eq!(received.leave_probability, 0.0);
    assert_eq!(received.servers, 2, "two coordinators moved cases on");
    assert_eq!(received.visits, 1);

    let triage = parts.stages[1].as_ref().unwrap();
    assert_eq!(triage.name, "triage");
    assert_eq!(observed.observations.stages[1].service_hours.len(), 60);
    assert!((triage.service.mean_hours - 2.0).abs() < 1e-9, "{triage:?}");
    assert!(
        (triage.leave_probability - 20.0 / 60.0).abs() < 1e-9,
        "20 rejected, 40 moved on: {triage:?}"
    );
    assert_eq!(observed.evidence[1].cases, 60);

    // Nothing reached document scrutiny: that stage cannot be estimated, and says so.
    assert!(parts.stages[2].is_err());

    // With an eight-hour day the same services count only their working hours.
    let office_hours = observe(&groups, &flow, window, WorkingDay::simulation(8.0));
    let working: f64 = office_hours.observations.stages[0]
        .service_hours
        .iter()
        .sum();
    assert!(
        working < 100.0,
        "night services count less than their wall-clock hours: {working}"
    );
    assert!(
        office_hours.evidence[0].outside_hours > 0,
        "some lay wholly at night"
    );
    assert_eq!(
        office_hours.observations.stages[0].service_hours.len() as u64
            + office_hours.evidence[0].outside_hours,
        100
    );
}

/// The capacity page, in English, as `role` in a fresh session.
async fn send(office: &Office, role: Role, method: &str, form: &[(&str, &str)]) -> (u16, String) {
    let answer = send_as_with_headers(
        office,
        role,
        method,
        "/capacity",
        &[(header::ACCEPT_LANGUAGE, "en")],
        form,
    )
    .await;
    (answer.status, answer.body)
}

/// Every stage the log cannot estimate, given a service time, so the simulation can run.
fn fill_missing(office: &Office) -> Vec<(String, String)> {
    let stages = simulated_stages(&office.state.pipeline);
    (2..stages.len())
        .map(|index| (format!("service_{index}"), "1.5".to_owned()))
        .collect()
}

#[tokio::test]
async fn the_page_estimates_then_simulates_for_the_board_and_the_administrator() {
    let (office, _) = office().await;
    let (status, page) = send(&office, Role::BoardMember, "GET", &[]).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("100 applications received"),
        "arrivals and what they rest on"
    );
    assert!(
        page.contains("no services observed in the window"),
        "the missing estimates are named"
    );
    assert!(
        !page.contains("Сова-"),
        "no case content, not even call signs"
    );

    let filled = fill_missing(&office);
    let mut form: Vec<(&str, &str)> = filled
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.extend([("days", "60"), ("warmup_days", "10"), ("seed", "7")]);
    let (status, page) = send(&office, Role::Administrator, "POST", &form).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Simulation results"));
    assert!(page.contains("<svg"), "the chart is inline");
    assert!(page.contains("Bottleneck"));

    form.extend([("solve_stage", "triage"), ("target_days", "60")]);
    let (status, page) = send(&office, Role::Administrator, "POST", &form).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("with one fewer"),
        "the search answers: {page}"
    );

    for role in [Role::Psychologist, Role::Auditor, Role::SecurityOfficer] {
        let (status, _) = send(&office, role, "GET", &[]).await;
        assert_eq!(status, 403, "{role:?}");
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_400_not_a_500() {
    let (office, _) = office().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("days", "100000")],
            "Horizon (days): enter a number from 14 to 730",
        ),
        (
            &[("servers_0", "-3")],
            "Received: Staff: enter a number from 1 to 500",
        ),
        (&[("hours_per_day", "abc")], "Working hours a day"),
        (
            &[("solve_stage", "triage")],
            "Enter the target mean time to decision",
        ),
        (
            &[("solve_stage", "kitchen"), ("target_days", "3")],
            "not one of the simulated stages",
        ),
        (
            &[("days", "20"), ("warmup_days", "30")],
            "warm-up must be shorter",
        ),
        (
            &[("days", "730"), ("arrivals_per_day", "2000")],
            "shorten the horizon",
        ),
    ];
    for (form, message) in cases {
        let (status, page) = send(&office, Role::BoardMember, "POST", form).await;
        assert_eq!(status, 400, "{form:?}");
        assert!(page.contains(message), "{form:?} should say {message:?}");
        assert!(
            page.contains("<form method=\"post\" action=\"/capacity\""),
            "the form comes back"
        );
    }
    // A post without the session's token is refused before anything runs.
    let (cookie, _) = session(&office, Role::BoardMember).await;
    let forged = send_raw(
        &office,
        "POST",
        "/capacity",
        Some(&cookie),
        Some("csrf=forged"),
    )
    .await;
    assert_eq!(forged.status, 403);
}
