//! Planning in the staff site over the real router and store: a plan built from seeded locations, calendar and
//! cases passes the engine's checker; pins survive re-planning; committing twice books each visit once; the
//! logistics officer sees the transfers and nothing else of the cases; who may use which planning route.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sito_core::machine::{CaseState, EventKind};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role};
use sito_office::now;
use sito_office::planning::Planning;
use sito_plan::booking as engine;
use sito_plan::schedule::validate;
use sito_store::NewCase;
use sito_store::planning::{
    Appointment, CalendarEntry, LocationKind, PlanningRole, PlanningStore, SafeLocation,
    SqlitePlanningStore, Weekdays,
};
use support::{Office, send_as, staff_id};
use uuid::Uuid;

/// Words that only the cases' identity and motivation groups hold: no planning page may show them.
const SECRET_NAME: &str = "Андронников";
const SECRET_MOTIVE: &str = "motivation-that-must-stay-hidden";

/// The shared office with the planning pages attached, plus what the tests read back directly.
struct PlanningOffice {
    office: Office,
    store: Arc<SqlitePlanningStore>,
    /// Safe-house cases then camp cases, by call sign.
    cases: Vec<(CaseId, String)>,
}

impl std::ops::Deref for PlanningOffice {
    type Target = Office;

    fn deref(&self) -> &Office {
        &self.office
    }
}

/// A case that has walked to the meeting stage of its track (the fold is all that matters to the office).
fn case_at_meeting(pipeline: &Pipeline, n: u128, category: Category, call_sign: &str) -> NewCase {
    let id = CaseId::from_uuid(Uuid::from_u128(0x9000 + n));
    let received = now() - 40 * 86_400 - n as i64 * 86_400;
    let first = CaseState::receive(pipeline, category, call_sign, received).unwrap();
    let mut state = CaseState::fold(id, std::slice::from_ref(&first));
    let meeting = pipeline
        .track(category)
        .find(|stage| stage.phase == sito_core::Phase::Meeting)
        .unwrap()
        .id
        .clone();
    let advanced = state.stamp(
        vec![EventKind::StageAdvanced {
            from: state.stage.clone(),
            to: meeting.clone(),
            note: String::new(),
        }],
        Some(staff_id(Role::SecurityOfficer)),
        now() - 5 * 86_400,
    );
    let mut events = vec![first];
    for event in &advanced {
        state.apply(event);
    }
    events.extend(advanced);
    let mut identity = GroupContent::default();
    identity.push("full_name", format!("{SECRET_NAME} {n}"));
    let mut motivation = GroupContent::default();
    motivation.push("statement", SECRET_MOTIVE);
    NewCase {
        state,
        events,
        owner_role: Role::LogisticsOfficer,
        content: BTreeMap::from([
            (FieldGroup::Identity, identity),
            (FieldGroup::Motivation, motivation),
        ]),
    }
}

fn location(id: &str, kind: LocationKind, capacity: u32, pickup: &str) -> SafeLocation {
    SafeLocation {
        id: id.into(),
        name: format!("Location {id}"),
        kind,
        capacity,
        open_days: Weekdays::MONDAY_TO_FRIDAY,
        open_hour: 8,
        close_hour: 18,
        pickup_point: pickup.into(),
    }
}

async fn office() -> PlanningOffice {
    let office = Office::new().await;
    let pipeline = &office.state.pipeline;
    let mut cases = Vec::new();
    let mut new_cases = Vec::new();
    for n in 0..10u128 {
        let call_sign = format!("Ястреб-{n}");
        let case = case_at_meeting(pipeline, n, Category::FormerServiceman, &call_sign);
        cases.push((case.state.id, call_sign));
        new_cases.push(case);
    }
    for n in 10..12u128 {
        let call_sign = format!("Лагерь-{n}");
        let case = case_at_meeting(pipeline, n, Category::PrisonerOfWar, &call_sign);
        cases.push((case.state.id, call_sign));
        new_cases.push(case);
    }
    office.state.store.create_cases(&new_cases).await.unwrap();

    let planning_store = Arc::new(SqlitePlanningStore::open(&office.url).await.unwrap());
    for place in [
        location("north", LocationKind::SafeHouse, 3, "Rendezvous-North"),
        location("west", LocationKind::SafeHouse, 2, "Rendezvous-West"),
        location("camp", LocationKind::Camp, 2, "inside the camp"),
    ] {
        planning_store.save_location(&place).await.unwrap();
    }
    let entry = |call_sign: &str, role, location: &str| CalendarEntry {
        call_sign: call_sign.into(),
        role,
        location: location.into(),
        work_days: Weekdays::MONDAY_TO_FRIDAY,
        max_tasks_per_day: Some(2),
    };
    for member in [
        entry("heron", PlanningRole::Psychologist, "north"),
        entry("wolf", PlanningRole::Examiner, "north"),
        entry("raven", PlanningRole::Examiner, "north"),
        entry("sparrow", PlanningRole::Psychologist, "west"),
        entry("kestrel", PlanningRole::Examiner, "west"),
        entry("marten", PlanningRole::Examiner, "west"),
        entry("crane", PlanningRole::Psychologist, "camp"),
        entry("stork", PlanningRole::Examiner, "camp"),
        entry("otter", PlanningRole::Examiner, "camp"),
    ] {
        planning_store.save_calendar_entry(&member).await.unwrap();
    }
    let planning = Planning::new(planning_store.clone() as Arc<dyn PlanningStore>)
        .with_time_limit(Duration::from_millis(400));
    PlanningOffice {
        office: office.with_planning(planning),
        store: planning_store,
        cases,
    }
}

async fn build(office: &PlanningOffice) {
    let answer = send_as(
        office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/build",
        &[],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

/// The stored draft of next week.
async fn draft(office: &PlanningOffice) -> engine::Built {
    let week = engine::next_week(now());
    let draft = office.store.draft(week).await.unwrap().expect("a draft");
    serde_json::from_str(&draft.plan).unwrap()
}

#[tokio::test]
async fn a_plan_built_from_the_office_data_passes_the_engines_checker() {
    let office = office().await;
    build(&office).await;
    let built = draft(&office).await;
    let waiting = sito_office::planning::waiting_cases(&office.state, office.store.as_ref(), now())
        .await
        .unwrap();
    assert_eq!(waiting.len(), office.cases.len(), "every seeded case waits");
    let locations = office.store.locations().await.unwrap();
    let calendar = office.store.calendar().await.unwrap();
    let (instance, first_hour) = engine::instance(&locations, &calendar, &waiting, &[]).unwrap();
    assert_eq!(first_hour, 8);
    let violations = validate(&instance, &built.plan);
    assert!(violations.is_empty(), "{violations:?}");
    assert!(!built.plan.assignments.is_empty());
    assert!(built.upper_bound + 1e-9 >= built.plan.objective);
    // Camp cases are planned only at the camp, safe-house cases only at safe houses.
    for assignment in &built.plan.assignments {
        let camp_case = office.cases[10..]
            .iter()
            .any(|(id, _)| id.to_string() == assignment.candidate);
        assert_eq!(assignment.location == "camp", camp_case);
    }
    let page = send_as(&office, Role::LogisticsOfficer, "GET", "/planning", &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Ястреб-"), "proposed visits are listed");
    assert!(page.body.contains("class=\"plan-grid\""));
}

#[tokio::test]
async fn pinned_and_moved_visits_are_kept_when_planning_again() {
    let office = office().await;
    build(&office).await;
    let first = draft(&office).await;
    let pinned = first.plan.assignments[0].clone();
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/pin",
        &[("action", "pin"), ("case", &pinned.candidate)],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);

    // Move a safe-house case that is not the pinned one to the west house from Wednesday on.
    let (moved, _) = office.cases[..10]
        .iter()
        .find(|(id, _)| id.to_string() != pinned.candidate)
        .unwrap();
    let moved = moved.to_string();
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/pin",
        &[
            ("action", "move"),
            ("case", &moved),
            ("location", "west"),
            ("day", "2"),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);

    build(&office).await;
    let again = draft(&office).await;
    assert!(
        again.plan.assignments.contains(&pinned),
        "the pinned visit is kept exactly"
    );
    let placed = again
        .plan
        .assignments
        .iter()
        .find(|assignment| assignment.candidate == moved)
        .expect("the moved case is planned");
    assert_eq!(placed.location, "west");
    assert!(placed.arrive_day >= 2);
    assert!(again.dropped_pins.is_empty());

    // A pin can't be taken for a case the plan does not hold, nor for an unknown case.
    let unknown = Uuid::from_u128(1).to_string();
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/pin",
        &[("action", "pin"), ("case", &unknown)],
    )
    .await;
    assert_eq!(answer.status, 422);
}

fn booking_events(events: &[sito_core::Event]) -> usize {
    events
        .iter()
        .filter(|event| {
            matches!(&event.kind, EventKind::CheckTicked { check }
                if check == "safe_location_booked" || check == "camp_visit_arranged")
        })
        .count()
}

#[tokio::test]
async fn committing_twice_books_each_visit_once() {
    let office = office().await;
    build(&office).await;
    let built = draft(&office).await;
    let planned = built.plan.assignments.len();
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/commit",
        &[],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.location.as_deref(),
        Some(format!("/planning?committed={planned}").as_str())
    );
    let again = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/commit",
        &[],
    )
    .await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(again.location.as_deref(), Some("/planning?committed=0"));

    assert_eq!(
        office.store.cases_with_appointments().await.unwrap().len(),
        planned
    );
    let mut booked = 0;
    for (case, _) in &office.cases {
        let events = office.state.store.case_events(*case).await.unwrap();
        let count = booking_events(&events);
        assert!(count <= 1, "one booking per case, not {count}");
        booked += count;
    }
    assert_eq!(booked, planned);
    // The bookings (each visit with its transfer, where the stage has one) are chained into the audit log with the
    // commit itself.
    let mut ticked = 0;
    for (case, _) in &office.cases {
        let events = office.state.store.case_events(*case).await.unwrap();
        ticked += events
            .iter()
            .filter(|event| matches!(event.kind, EventKind::CheckTicked { .. }))
            .count();
    }
    assert!(ticked > planned, "the transfers are booked with the visits");
    let audit = office.state.store.audit_chain().await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|entry| entry.record.action == "case.check_ticked")
            .count(),
        ticked
    );
    assert!(
        audit
            .iter()
            .any(|entry| entry.record.action == "planning.commit")
    );
    // Booked cases wait no more, and the next plan works around their visits: checked on the instance holding
    // both, nobody and no room is booked twice.
    build(&office).await;
    let next = draft(&office).await;
    assert_eq!(next.candidates, office.cases.len() - planned);
    let waiting = sito_office::planning::waiting_cases(&office.state, office.store.as_ref(), now())
        .await
        .unwrap();
    let locations = office.store.locations().await.unwrap();
    let calendar = office.store.calendar().await.unwrap();
    let (instance, _) =
        engine::instance(&locations, &calendar, &waiting, &built.plan.assignments).unwrap();
    let violations = validate(&instance, &next.plan);
    assert!(violations.is_empty(), "{violations:?}");
    for visit in &built.plan.assignments {
        assert!(
            next.plan.assignments.contains(visit),
            "committed visits stay"
        );
    }
    assert!(next.new_objective() <= next.new_bound() + 1e-9);
}

#[tokio::test]
async fn an_appointment_a_crash_left_without_its_booking_is_forgotten_and_the_case_planned_again() {
    let office = office().await;
    build(&office).await;
    let built = draft(&office).await;
    let visit = built
        .plan
        .assignments
        .iter()
        .find(|assignment| assignment.location != "camp")
        .unwrap();
    let case: CaseId = visit.candidate.parse().unwrap();
    let call_sign = &office.cases.iter().find(|(id, _)| *id == case).unwrap().1;
    // A commit's first write, then the process died: an appointment, but the case was never booked.
    let week = engine::next_week(now());
    office
        .store
        .record_appointments(&[Appointment {
            case,
            week,
            location: visit.location.clone(),
            arrive_day: week + i64::from(visit.arrive_day),
            leave_day: week + i64::from(visit.leave_day),
            tasks: "[]".into(),
            committed_by: staff_id(Role::LogisticsOfficer),
            committed_at: now(),
        }])
        .await
        .unwrap();
    let transfers = send_as(
        &office,
        Role::LogisticsOfficer,
        "GET",
        "/planning/transfers",
        &[],
    )
    .await;
    assert_eq!(transfers.status, 200);
    assert!(
        !transfers.body.contains(call_sign.as_str()),
        "no transfer for a visit that was never booked"
    );
    // The case still waits, so the next plan (which forgets the stale visit) has it again, and committing books
    // every visit once.
    build(&office).await;
    assert!(
        office
            .store
            .cases_with_appointments()
            .await
            .unwrap()
            .is_empty()
    );
    let rebuilt = draft(&office).await;
    assert_eq!(rebuilt.candidates, office.cases.len());
    let planned = rebuilt.plan.assignments.len();
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/commit",
        &[],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        office.store.cases_with_appointments().await.unwrap().len(),
        planned
    );
    let events = office.state.store.case_events(case).await.unwrap();
    assert!(booking_events(&events) <= 1);
}

#[tokio::test]
async fn a_case_changed_after_the_plan_was_built_stops_the_commit() {
    let office = office().await;
    build(&office).await;
    let built = draft(&office).await;
    let changed: CaseId = built
        .plan
        .assignments
        .iter()
        .find(|assignment| assignment.location == "camp")
        .unwrap()
        .candidate
        .parse()
        .unwrap();
    // Someone records the camp case's voluntariness meanwhile: the case is at a newer version.
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        &format!("/cases/{changed}"),
        &[
            ("action", "tick"),
            ("check", "voluntariness_recorded"),
            ("finding.statement", "I came of my own will."),
            ("version", "2"),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/commit",
        &[],
    )
    .await;
    assert_eq!(answer.status, 409);
    assert!(
        office
            .store
            .cases_with_appointments()
            .await
            .unwrap()
            .is_empty()
    );
    for (case, _) in &office.cases {
        let events = office.state.store.case_events(*case).await.unwrap();
        assert_eq!(booking_events(&events), 0, "nothing is committed");
    }
}

#[tokio::test]
async fn the_logistics_officer_sees_transfers_and_nothing_else_of_the_cases() {
    let office = office().await;
    build(&office).await;
    let built = draft(&office).await;
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/commit",
        &[],
    )
    .await;
    assert_eq!(answer.status, 303);
    let page = send_as(
        &office,
        Role::LogisticsOfficer,
        "GET",
        "/planning/transfers",
        &[],
    )
    .await;
    assert_eq!(page.status, 200);
    let mut shown = 0;
    for assignment in &built.plan.assignments {
        let (_, call_sign) = office
            .cases
            .iter()
            .find(|(id, _)| id.to_string() == assignment.candidate)
            .unwrap();
        let listed = page.body.contains(call_sign.as_str());
        // Camp visits need no transfer.
        assert_eq!(listed, assignment.location != "camp", "{call_sign}");
        shown += usize::from(listed);
    }
    assert!(shown > 0);
    assert!(page.body.contains("Rendezvous-North") || page.body.contains("Rendezvous-West"));
    for forbidden in [SECRET_NAME, SECRET_MOTIVE] {
        assert!(!page.body.contains(forbidden), "{forbidden} leaked");
    }
    // The plan page shows call signs and times, never content.
    let plan = send_as(&office, Role::LogisticsOfficer, "GET", "/planning", &[]).await;
    for forbidden in [SECRET_NAME, SECRET_MOTIVE] {
        assert!(!plan.body.contains(forbidden), "{forbidden} leaked");
    }
}

#[tokio::test]
async fn each_role_reaches_only_its_planning_routes() {
    let office = office().await;
    let readers = [
        Role::LogisticsOfficer,
        Role::SecurityOfficer,
        Role::Psychologist,
        Role::PolygraphExaminer,
    ];
    let table: &[(&str, &str, &[Role])] = &[
        ("GET", "/planning", &readers),
        ("GET", "/planning/setup", &readers),
        (
            "GET",
            "/planning/transfers",
            &[Role::LogisticsOfficer, Role::SecurityOfficer],
        ),
        ("POST", "/planning/setup", &[Role::LogisticsOfficer]),
    ];
    for (method, path, allowed) in table {
        for role in Role::ALL {
            // A form that changes nothing even when accepted: removing an unknown calendar entry.
            let form: &[(&str, &str)] = &[("action", "delete_staff"), ("call_sign", "nobody")];
            let answer = send_as(&office, *role, method, path, form).await;
            if allowed.contains(role) {
                assert!(
                    answer.status == 200 || answer.status == 400,
                    "{method} {path} as {role}: {}",
                    answer.status
                );
            } else {
                assert_eq!(answer.status, 403, "{method} {path} as {role}");
            }
        }
    }
    // Readers see no editing forms; the planner does.
    let reader = send_as(&office, Role::Psychologist, "GET", "/planning/setup", &[]).await;
    assert!(!reader.body.contains("action\" value=\"save_location"));
    let planner = send_as(
        &office,
        Role::LogisticsOfficer,
        "GET",
        "/planning/setup",
        &[],
    )
    .await;
    assert!(planner.body.contains("action\" value=\"save_location"));
}

#[tokio::test]
async fn setup_forms_save_and_refuse_with_a_reason() {
    let office = office().await;
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/setup",
        &[
            ("action", "save_location"),
            ("id", "south"),
            ("name", "Safe house South"),
            ("kind", "safe_house"),
            ("capacity", "2"),
            ("open_hour", "9"),
            ("close_hour", "17"),
            ("pickup_point", "Odesa, Privoz market gate"),
            ("day", "0"),
            ("day", "3"),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let saved = office.store.locations().await.unwrap();
    let south = saved.iter().find(|place| place.id == "south").unwrap();
    assert_eq!(south.open_days, Weekdays(0b1001));
    assert_eq!((south.open_hour, south.close_hour), (9, 17));

    let refused = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/setup",
        &[
            ("action", "save_location"),
            ("id", "bad id!"),
            ("name", "x"),
            ("kind", "safe_house"),
            ("capacity", "2"),
            ("open_hour", "9"),
            ("close_hour", "17"),
            ("pickup_point", "somewhere"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("notice error"));
    // A location still in the calendar can't be removed.
    let in_use = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        "/planning/setup",
        &[("action", "delete_location"), ("id", "north")],
    )
    .await;
    assert_eq!(in_use.status, 400);
    assert!(
        office
            .store
            .locations()
            .await
            .unwrap()
            .iter()
            .any(|place| place.id == "north")
    );
}
