//! Planning in the staff site (issue 6): next week's visits to safe locations built by the scheduler from the cases
//! waiting at a meeting stage, the staff calendar and the locations; calendars per staff member and per location;
//! pins and moves by hand with re-planning around them; committing the plan into the cases; and the logistics
//! officer's list of transfers.
//!
//! Who may do what is `access::route_allowed` (`Planning`, `PlanningEdit`, `Transfers`). Committing ticks the
//! stage's booking check on each case through the state machine and `Store::append` (audited, all or nothing,
//! only on cases still at the version the plan was built on); the appointment rows are then kept once per case,
//! so a re-submitted commit adds nothing.
//!
//! The planning store reaches the handlers as a request extension (`attach`), so the office's `AppState` stays as
//! it is for the other pages.
pub mod engine;
mod pages;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::extract::{Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sito_core::machine::{Actor, CaseState, Command};
use sito_core::policy::{Assignment as Assigned, permit};
use sito_core::{CaseId, FieldGroup, Phase, Status};
use sito_plan::schedule::{Assignment, Task, TaskKind};
use sito_store::planning::{
    Appointment, CalendarEntry, Draft, LocationKind, PlanningRole, PlanningStore, SafeLocation,
    Weekdays,
};
use sito_store::{Append, CaseFilter, StoreError};
use tokio::sync::Semaphore;

use crate::access::{StaffRoute, route_allowed};
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::{AppState, now};
use engine::{Built, Waiting};

/// The planning store and settings, handed to the planning handlers as a request extension.
#[derive(Clone)]
pub struct Planning {
    store: Arc<dyn PlanningStore>,
    time_limit: Duration,
    /// One plan is built at a time: the solver is CPU-bound and the office runs on few cores.
    solving: Arc<Semaphore>,
    /// One commit at a time, and no repair of appointments while a commit is between its two writes.
    committing: Arc<Semaphore>,
}

impl Planning {
    /// The solver gets 1.5 s in the request (it runs off the async runtime).
    pub fn new(store: Arc<dyn PlanningStore>) -> Self {
        Self {
            store,
            time_limit: Duration::from_millis(1_500),
            solving: Arc::new(Semaphore::new(1)),
            committing: Arc::new(Semaphore::new(1)),
        }
    }

    /// A shorter limit, for tests; at most 2 s, so a request never waits long.
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit.min(Duration::from_secs(2));
        self
    }

    pub fn store(&self) -> &Arc<dyn PlanningStore> {
        &self.store
    }
}

/// Makes the planning store available to the planning routes of an office router. Without one, the planning
/// pages answer with an internal error naming the missing store.
pub fn attach(router: Router, planning: Option<Planning>) -> Router {
    match planning {
        Some(planning) => router.layer(Extension(planning)),
        None => router,
    }
}

type PlanningExt = Option<Extension<Planning>>;

fn planning_of(extension: PlanningExt) -> Result<Planning, WebError> {
    extension
        .map(|Extension(planning)| planning)
        .ok_or_else(|| WebError::Internal("the planning store is not attached".into()))
}

/// One task of a committed appointment, as kept in the store.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskRecord {
    pub kind: TaskKind,
    pub staff: String,
    /// Unix day number.
    pub day: i64,
    pub hour: u8,
}

fn fields(form: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(form).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
}

fn check_csrf(staff: &Staff, pairs: &[(String, String)]) -> Result<(), WebError> {
    staff.check_csrf(field(pairs, "csrf"))
}

/// Every case waiting for a visit, oldest application first; cases that have an appointment are left out.
pub async fn waiting_cases(
    state: &AppState,
    store: &dyn PlanningStore,
    now: i64,
) -> Result<Vec<Waiting>, WebError> {
    let booked: HashSet<CaseId> = store.cases_with_appointments().await?.into_iter().collect();
    let mut stages: Vec<&str> = state
        .pipeline
        .stages()
        .iter()
        .filter(|stage| stage.phase == Phase::Meeting)
        .map(|stage| stage.id.as_str())
        .collect();
    stages.dedup();
    let mut waiting = Vec::new();
    for stage in stages {
        let mut page = 1;
        loop {
            let filter = CaseFilter {
                stage: Some(stage.to_owned()),
                status: Some(Status::Active),
                ..CaseFilter::default()
            };
            let listed = state.store.list_cases(&filter, page, 500).await?;
            for summary in &listed.cases {
                if booked.contains(&summary.id) {
                    continue;
                }
                let case = CaseState::fold(summary.id, &state.store.case_events(summary.id).await?);
                if let Some(case) = engine::waiting(&state.pipeline, &case, now) {
                    waiting.push(case);
                }
            }
            if page >= listed.page_count() {
                break;
            }
            page += 1;
        }
    }
    waiting.sort_by(|a, b| {
        b.waiting_days
            .cmp(&a.waiting_days)
            .then(a.case.cmp(&b.case))
    });
    Ok(waiting)
}

async fn pins(store: &dyn PlanningStore, week: i64) -> Result<Vec<Assignment>, WebError> {
    store
        .pins(week)
        .await?
        .into_iter()
        .map(|(_, text)| {
            serde_json::from_str(&text)
                .map_err(|error| WebError::Internal(format!("stored pin: {error}")))
        })
        .collect()
}

/// The visits already committed for the week, as the engine's assignments (days of the week, slots of the day),
/// so a new plan keeps their people, rooms and hours taken. A visit that no longer fits the day's hours (the
/// locations' hours changed) can't be expressed and is left out.
async fn booked_visits(
    store: &dyn PlanningStore,
    week: i64,
    locations: &[SafeLocation],
) -> Result<Vec<Assignment>, WebError> {
    let Some((first_hour, _)) = engine::day_hours(locations) else {
        return Ok(Vec::new());
    };
    let mut visits = Vec::new();
    for appointment in store
        .appointments_between(week, week + i64::from(engine::DAYS) - 1)
        .await?
    {
        if appointment.week != week
            || !locations
                .iter()
                .any(|location| location.id == appointment.location)
        {
            continue;
        }
        let records: Vec<TaskRecord> = serde_json::from_str(&appointment.tasks)
            .map_err(|error| WebError::Internal(format!("stored appointment: {error}")))?;
        let tasks: Option<Vec<Task>> = records
            .iter()
            .map(|task| {
                Some(Task {
                    kind: task.kind,
                    staff: task.staff.clone(),
                    day: u32::try_from(task.day - week).ok()?,
                    slot: u32::from(task.hour.checked_sub(first_hour)?),
                })
            })
            .collect();
        let (Some(tasks), Ok(arrive_day), Ok(leave_day)) = (
            tasks,
            u32::try_from(appointment.arrive_day - week),
            u32::try_from(appointment.leave_day - week),
        ) else {
            continue;
        };
        visits.push(Assignment {
            candidate: appointment.case.to_string(),
            location: appointment.location.clone(),
            arrive_day,
            leave_day,
            tasks,
        });
    }
    Ok(visits)
}

/// A commit writes a visit's appointment first and then books the case; a crash between the two leaves an
/// appointment whose case still waits. Builds and commits forget such appointments here, so the case is planned
/// again and the stale visit holds no people or rooms. Run with the commit lock held.
async fn forget_unbooked_appointments(
    state: &AppState,
    planning: &Planning,
) -> Result<(), WebError> {
    let mut stale = Vec::new();
    for case in planning.store.cases_with_appointments().await? {
        let current = CaseState::fold(case, &state.store.case_events(case).await?);
        if engine::booking_of(&state.pipeline, &current).is_some() {
            stale.push(case);
        }
    }
    if !stale.is_empty() {
        let removed = planning.store.forget_appointments(&stale).await?;
        tracing::warn!(removed, "forgot appointments whose cases were never booked");
    }
    Ok(())
}

async fn commit_lock(planning: &Planning) -> Result<tokio::sync::SemaphorePermit<'_>, WebError> {
    planning
        .committing
        .acquire()
        .await
        .map_err(|_| WebError::Internal("planning is shutting down".into()))
}

/// Builds and stores the week's plan around its pins. Returns the pins that had to be left out.
async fn rebuild(
    state: &AppState,
    planning: &Planning,
    staff: &Staff,
    week: i64,
) -> Result<Vec<(String, String)>, WebError> {
    let now = now();
    {
        let _commit = commit_lock(planning).await?;
        forget_unbooked_appointments(state, planning).await?;
    }
    let locations = planning.store.locations().await?;
    let calendar = planning.store.calendar().await?;
    let waiting = waiting_cases(state, planning.store.as_ref(), now).await?;
    let pins = pins(planning.store.as_ref(), week).await?;
    let booked = booked_visits(planning.store.as_ref(), week, &locations).await?;
    let (instance, first_hour) = engine::instance(&locations, &calendar, &waiting, &booked)
        .map_err(|error| WebError::BadRequest(error.to_string()))?;
    let _permit = planning
        .solving
        .acquire()
        .await
        .map_err(|_| WebError::Internal("planning is shutting down".into()))?;
    let limit = planning.time_limit;
    let built = tokio::task::spawn_blocking(move || {
        engine::build(&instance, first_hour, &pins, &booked, limit)
    })
    .await
    .map_err(|error| WebError::Internal(format!("planning task: {error}")))?
    .map_err(|error| WebError::Internal(error.to_string()))?;
    let versions: BTreeMap<String, u64> = waiting
        .iter()
        .map(|case| (case.case.to_string(), case.version))
        .collect();
    let dropped = built.dropped_pins.clone();
    planning
        .store
        .save_draft(&Draft {
            week,
            plan: to_json(&built)?,
            case_versions: to_json(&versions)?,
            built_at: now,
            built_by: staff.id,
        })
        .await?;
    Ok(dropped)
}

fn to_json(value: &impl Serialize) -> Result<String, WebError> {
    serde_json::to_string(value).map_err(|error| WebError::Internal(error.to_string()))
}

struct StoredDraft {
    built: Built,
    versions: BTreeMap<String, u64>,
    draft: Draft,
}

async fn stored_draft(
    store: &dyn PlanningStore,
    week: i64,
) -> Result<Option<StoredDraft>, WebError> {
    let Some(draft) = store.draft(week).await? else {
        return Ok(None);
    };
    let corrupt = |error: serde_json::Error| WebError::Internal(format!("stored plan: {error}"));
    Ok(Some(StoredDraft {
        built: serde_json::from_str(&draft.plan).map_err(corrupt)?,
        versions: serde_json::from_str(&draft.case_versions).map_err(corrupt)?,
        draft,
    }))
}

// ---- The planning page ----

/// The plan for next week, the cases left out, the committed visits and one calendar.
pub async fn page(
    staff: Staff,
    State(state): State<AppState>,
    extension: PlanningExt,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let planning = planning_of(extension)?;
    let notice = notice_from_query(&crate::i18n::tr(staff.lang), &query);
    render_page(&state, &planning, &staff, &query, notice, StatusCode::OK).await
}

fn notice_from_query(tr: &Tr, query: &HashMap<String, String>) -> Option<pages::Notice> {
    let count = |name: &str| query.get(name).and_then(|text| text.parse::<u64>().ok());
    if let Some(added) = count("committed") {
        return Some(pages::Notice::ok(tr.t1(
            "planning-committed",
            "count",
            added,
        )));
    }
    if query.contains_key("built") {
        return Some(pages::Notice::ok(tr.t("planning-built")));
    }
    None
}

async fn render_page(
    state: &AppState,
    planning: &Planning,
    staff: &Staff,
    query: &HashMap<String, String>,
    notice: Option<pages::Notice>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let now = now();
    let week = engine::next_week(now);
    let chrome = chrome(staff, "/planning", "/planning");
    let tr = chrome.tr.clone();
    let store = planning.store.as_ref();
    let locations = store.locations().await?;
    let calendar = store.calendar().await?;
    let waiting = waiting_cases(state, store, now).await?;
    let draft = stored_draft(store, week).await?;
    let pinned: HashSet<String> = pins(store, week)
        .await?
        .into_iter()
        .map(|pin| pin.candidate)
        .collect();
    let committed = store
        .appointments_between(week, week + i64::from(engine::DAYS) - 1)
        .await?;
    let mut call_signs: HashMap<String, String> = waiting
        .iter()
        .map(|case| (case.case.to_string(), case.call_sign.clone()))
        .collect();
    for appointment in &committed {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            call_signs.entry(appointment.case.to_string())
        {
            slot.insert(state.store.case_summary(appointment.case).await?.call_sign);
        }
    }
    let location_names: HashMap<&str, &str> = locations
        .iter()
        .map(|location| (location.id.as_str(), location.name.as_str()))
        .collect();
    let waiting_ids: HashSet<String> = waiting.iter().map(|case| case.case.to_string()).collect();

    let mut notices: Vec<pages::Notice> = notice.into_iter().collect();
    let (summary, proposed) = match &draft {
        Some(stored) => {
            for (case, reason) in &stored.built.dropped_pins {
                let name = call_signs.get(case).cloned().unwrap_or_default();
                notices.push(pages::Notice::error(tr.args(
                    "planning-pin-dropped",
                    vec![
                        ("call_sign", name.into()),
                        ("reason", reason.clone().into()),
                    ],
                )));
            }
            let built_by = state
                .store
                .staff_by_id(stored.draft.built_by)
                .await
                .map(|member| member.call_sign)
                .unwrap_or_default();
            let plan = &stored.built.plan;
            let (objective, bound) = (stored.built.new_objective(), stored.built.new_bound());
            let gap = if bound > 0.0 {
                (bound - objective) / bound * 100.0
            } else {
                0.0
            };
            let new_visits = plan
                .assignments
                .iter()
                .filter(|assignment| !stored.built.booked.contains(&assignment.candidate))
                .count();
            let summary = pages::Summary {
                objective: format!("{objective:.2}"),
                bound: format!("{bound:.2}"),
                gap: format!("{gap:.1}"),
                scheduled: tr.args(
                    "planning-scheduled",
                    vec![
                        ("scheduled", (new_visits as u64).into()),
                        ("candidates", (stored.built.candidates as u64).into()),
                    ],
                ),
                built: tr.args(
                    "planning-built-at",
                    vec![
                        ("at", crate::views::date_time(stored.draft.built_at).into()),
                        ("by", built_by.into()),
                    ],
                ),
            };
            // Visits of cases that meanwhile got an appointment or moved on are not proposed any more.
            let mut proposed: Vec<&Assignment> = plan
                .assignments
                .iter()
                .filter(|assignment| waiting_ids.contains(&assignment.candidate))
                .collect();
            proposed.sort_by_key(|assignment| {
                let start = assignment
                    .tasks
                    .iter()
                    .map(|task| (task.day, task.slot))
                    .min();
                (assignment.arrive_day, start, assignment.location.clone())
            });
            (Some(summary), proposed)
        }
        None => (None, Vec::new()),
    };
    let first_hour = draft
        .as_ref()
        .map(|stored| stored.built.first_hour)
        .or_else(|| engine::day_hours(&locations).map(|(open, _)| open))
        .unwrap_or(8);
    let day_label = |day: i64| pages::day_label(&tr, day);
    let task_text =
        |member: &str, day: i64, hour: u8| format!("{} {hour:02}:00 · {member}", day_label(day));
    let visit_row =
        |case: &str, location: &str, arrive: i64, leave: i64, tasks: Vec<TaskRecord>| {
            let find = |kind: TaskKind| {
                tasks
                    .iter()
                    .find(|task| task.kind == kind)
                    .map(|task| task_text(&task.staff, task.day, task.hour))
                    .unwrap_or_default()
            };
            pages::VisitRow {
                case: case.to_owned(),
                call_sign: call_signs.get(case).cloned().unwrap_or_default(),
                location: location_names
                    .get(location)
                    .map(|name| (*name).to_owned())
                    .unwrap_or_else(|| location.to_owned()),
                days: if arrive == leave {
                    day_label(arrive)
                } else {
                    format!("{} – {}", day_label(arrive), day_label(leave))
                },
                interview: find(TaskKind::Interview),
                polygraph1: find(TaskKind::Polygraph1),
                polygraph2: find(TaskKind::Polygraph2),
                pinned: pinned.contains(case),
            }
        };
    let proposed_rows: Vec<pages::VisitRow> = proposed
        .iter()
        .map(|assignment| {
            visit_row(
                &assignment.candidate,
                &assignment.location,
                week + i64::from(assignment.arrive_day),
                week + i64::from(assignment.leave_day),
                task_records(assignment, week, first_hour),
            )
        })
        .collect();
    let committed_rows: Vec<pages::VisitRow> = committed
        .iter()
        .map(|appointment| {
            visit_row(
                &appointment.case.to_string(),
                &appointment.location,
                appointment.arrive_day,
                appointment.leave_day,
                serde_json::from_str(&appointment.tasks).unwrap_or_default(),
            )
        })
        .collect();
    let planned: HashSet<&str> = proposed
        .iter()
        .map(|assignment| assignment.candidate.as_str())
        .collect();
    let left_out = waiting
        .iter()
        .filter(|case| !planned.contains(case.case.to_string().as_str()))
        .map(|case| pages::WaitingRow {
            case: case.case.to_string(),
            call_sign: case.call_sign.clone(),
            stage: tr.label("stage", &case.stage),
            kind: tr.label("planning-kind", case.kind.as_str()),
            priority: case.priority,
            waiting_days: case.waiting_days,
        })
        .collect();

    // The calendar: the one asked for, else the reader's own (staff work under call signs), else the first
    // location.
    let own = calendar
        .iter()
        .find(|entry| entry.call_sign == staff.call_sign)
        .map(|entry| format!("staff:{}", entry.call_sign));
    let chosen = query
        .get("calendar")
        .cloned()
        .or(own)
        .or_else(|| {
            locations
                .first()
                .map(|location| format!("location:{}", location.id))
        })
        .unwrap_or_default();
    let mut choices: Vec<pages::Choice> = locations
        .iter()
        .map(|location| pages::Choice {
            value: format!("location:{}", location.id),
            label: format!("{} ({})", location.name, tr.t("planning-location")),
            selected: false,
        })
        .chain(calendar.iter().map(|entry| pages::Choice {
            value: format!("staff:{}", entry.call_sign),
            label: format!(
                "{} ({})",
                entry.call_sign,
                tr.label("planning-role", entry.role.as_str())
            ),
            selected: false,
        }))
        .collect();
    for choice in &mut choices {
        choice.selected = choice.value == chosen;
    }
    let mut items: Vec<pages::GridItem> = Vec::new();
    let mut visit_items = |case: &str,
                           location: &str,
                           arrive: i64,
                           leave: i64,
                           tasks: &[TaskRecord],
                           proposed: bool| {
        let name = call_signs.get(case).cloned().unwrap_or_default();
        let wanted_location = chosen.strip_prefix("location:") == Some(location);
        for task in tasks {
            let wanted =
                wanted_location || chosen.strip_prefix("staff:") == Some(task.staff.as_str());
            if !wanted {
                continue;
            }
            let length = match task.kind {
                TaskKind::Interview => engine::INTERVIEW_HOURS,
                TaskKind::Polygraph1 | TaskKind::Polygraph2 => engine::POLYGRAPH_HOURS,
            };
            items.push(pages::GridItem {
                day: task.day - week,
                hour: task.hour,
                hours: length as u8,
                text: format!(
                    "{} · {} · {}",
                    tr.label("planning-short", task.kind.name()),
                    name,
                    task.staff
                ),
                proposed,
            });
        }
        if wanted_location {
            for day in arrive.max(week)..=leave.min(week + 6) {
                items.push(pages::GridItem {
                    day: day - week,
                    hour: u8::MAX,
                    hours: 0,
                    text: name.clone(),
                    proposed,
                });
            }
        }
    };
    for assignment in &proposed {
        visit_items(
            &assignment.candidate,
            &assignment.location,
            week + i64::from(assignment.arrive_day),
            week + i64::from(assignment.leave_day),
            &task_records(assignment, week, first_hour),
            true,
        );
    }
    for appointment in &committed {
        let tasks: Vec<TaskRecord> = serde_json::from_str(&appointment.tasks).unwrap_or_default();
        visit_items(
            &appointment.case.to_string(),
            &appointment.location,
            appointment.arrive_day,
            appointment.leave_day,
            &tasks,
            false,
        );
    }
    let last_hour = engine::day_hours(&locations)
        .map(|(_, close)| close)
        .unwrap_or(first_hour + 10);
    let grid = pages::grid(&tr, week, first_hour, last_hour, &items);
    let can_edit = route_allowed(StaffRoute::PlanningEdit, staff.role);
    let view = pages::PlanPage {
        title: tr.t("planning-title"),
        week: tr.args(
            "planning-week",
            vec![
                ("from", pages::date(week).into()),
                ("to", pages::date(week + 6).into()),
            ],
        ),
        notices,
        summary,
        proposed: proposed_rows,
        committed: committed_rows,
        left_out,
        can_edit,
        can_see_transfers: route_allowed(StaffRoute::Transfers, staff.role),
        has_locations: !locations.is_empty(),
        move_cases: waiting
            .iter()
            .map(|case| (case.case.to_string(), case.call_sign.clone()))
            .collect(),
        move_locations: locations
            .iter()
            .map(|location| (location.id.clone(), location.name.clone()))
            .collect(),
        move_days: (0..engine::DAYS)
            .map(|day| (day, day_label(week + i64::from(day))))
            .collect(),
        choices,
        grid,
        chrome,
    };
    let mut response = render(view)?;
    *response.status_mut() = status;
    Ok(response)
}

/// The assignment's tasks with absolute days and clock hours.
fn task_records(assignment: &Assignment, week: i64, first_hour: u8) -> Vec<TaskRecord> {
    assignment
        .tasks
        .iter()
        .map(|task| TaskRecord {
            kind: task.kind,
            staff: task.staff.clone(),
            day: week + i64::from(task.day),
            hour: first_hour.saturating_add(u8::try_from(task.slot).unwrap_or(u8::MAX)),
        })
        .collect()
}

/// Builds (or rebuilds) next week's plan around the pins.
pub async fn build(
    staff: Staff,
    State(state): State<AppState>,
    extension: PlanningExt,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let pairs = fields(&form);
    check_csrf(&staff, &pairs)?;
    let planning = planning_of(extension)?;
    let week = engine::next_week(now());
    match rebuild(&state, &planning, &staff, week).await {
        Ok(_) => Ok(Redirect::to("/planning?built=1").into_response()),
        Err(WebError::BadRequest(reason)) => {
            let tr = crate::i18n::tr(staff.lang);
            let notice = pages::Notice::error(tr.t1("planning-cannot-build", "reason", reason));
            render_page(
                &state,
                &planning,
                &staff,
                &HashMap::new(),
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

/// Pins a proposed visit as it is, releases a pin, or moves a case to a location from a day on (then re-plans).
pub async fn pin(
    staff: Staff,
    State(state): State<AppState>,
    extension: PlanningExt,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let pairs = fields(&form);
    check_csrf(&staff, &pairs)?;
    let planning = planning_of(extension)?;
    let tr = crate::i18n::tr(staff.lang);
    let week = engine::next_week(now());
    let case: CaseId = field(&pairs, "case")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| WebError::BadRequest("case".into()))?;
    let refuse = |message: String| async {
        render_page(
            &state,
            &planning,
            &staff,
            &HashMap::new(),
            Some(pages::Notice::error(message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
    };
    match field(&pairs, "action") {
        Some("pin") => {
            let draft = stored_draft(planning.store.as_ref(), week).await?;
            let Some(assignment) = draft.as_ref().and_then(|stored| {
                stored
                    .built
                    .plan
                    .assignments
                    .iter()
                    .find(|assignment| assignment.candidate == case.to_string())
            }) else {
                return refuse(tr.t("planning-not-in-plan")).await;
            };
            let text = to_json(assignment)?;
            planning.store.set_pin(week, case, &text).await?;
            Ok(Redirect::to("/planning").into_response())
        }
        Some("unpin") => {
            planning.store.remove_pin(week, case).await?;
            Ok(Redirect::to("/planning").into_response())
        }
        Some("move") => {
            let location = field(&pairs, "location")
                .filter(|text| !text.is_empty())
                .ok_or_else(|| WebError::BadRequest("location".into()))?
                .to_owned();
            let day: u32 = field(&pairs, "day")
                .and_then(|text| text.parse().ok())
                .filter(|day| *day < engine::DAYS)
                .ok_or_else(|| WebError::BadRequest("day".into()))?;
            let now = now();
            let locations = planning.store.locations().await?;
            let calendar = planning.store.calendar().await?;
            let waiting = waiting_cases(&state, planning.store.as_ref(), now).await?;
            let Some(moving) = waiting.iter().find(|candidate| candidate.case == case) else {
                return refuse(tr.t("planning-not-waiting")).await;
            };
            let Some(target) = locations.iter().find(|place| place.id == location) else {
                return Err(WebError::BadRequest("location".into()));
            };
            if target.kind != moving.kind {
                return refuse(tr.t("planning-wrong-kind")).await;
            }
            let booked = booked_visits(planning.store.as_ref(), week, &locations).await?;
            let file = engine::instance_file(&locations, &calendar, &waiting, &booked)
                .map_err(|error| WebError::BadRequest(error.to_string()))?;
            let mut pins = pins(planning.store.as_ref(), week).await?;
            pins.extend(booked);
            let case_text = case.to_string();
            let solving = planning
                .solving
                .acquire()
                .await
                .map_err(|_| WebError::Internal("planning is shutting down".into()))?;
            let placed = tokio::task::spawn_blocking(move || {
                engine::move_case(file, &case_text, &location, day, &pins)
            })
            .await
            .map_err(|error| WebError::Internal(format!("planning task: {error}")))?
            .map_err(|error| WebError::Internal(error.to_string()))?;
            drop(solving);
            let Some(assignment) = placed else {
                return refuse(tr.t("planning-no-room")).await;
            };
            let text = to_json(&assignment)?;
            planning.store.set_pin(week, case, &text).await?;
            rebuild(&state, &planning, &staff, week).await?;
            Ok(Redirect::to("/planning?built=1").into_response())
        }
        _ => Err(WebError::BadRequest("action".into())),
    }
}

/// Commits the stored plan: the appointments, then one booking event per case (all or nothing, optimistic).
pub async fn commit(
    staff: Staff,
    State(state): State<AppState>,
    extension: PlanningExt,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let pairs = fields(&form);
    check_csrf(&staff, &pairs)?;
    let planning = planning_of(extension)?;
    let tr = crate::i18n::tr(staff.lang);
    let now = now();
    let week = engine::next_week(now);
    let (state, planning, staff) = (&state, &planning, &staff);
    let refuse = |message: String, status: StatusCode| async move {
        render_page(
            state,
            planning,
            staff,
            &HashMap::new(),
            Some(pages::Notice::error(message)),
            status,
        )
        .await
    };
    let Some(stored) = stored_draft(planning.store.as_ref(), week).await? else {
        return refuse(tr.t("planning-no-plan"), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let _commit = commit_lock(planning).await?;
    forget_unbooked_appointments(state, planning).await?;
    let booked: HashSet<CaseId> = planning
        .store
        .cases_with_appointments()
        .await?
        .into_iter()
        .collect();
    let actor = Actor {
        id: staff.id,
        role: staff.role,
    };
    let mut decided = Vec::new();
    let mut appointments = Vec::new();
    let mut problems = Vec::new();
    for assignment in &stored.built.plan.assignments {
        let case: CaseId = assignment
            .candidate
            .parse()
            .map_err(|_| WebError::Internal("stored plan names a malformed case".into()))?;
        if booked.contains(&case) {
            // Committed before: a re-submitted form adds nothing.
            continue;
        }
        let current = CaseState::fold(case, &state.store.case_events(case).await?);
        let expected = stored.versions.get(&assignment.candidate).copied();
        if expected != Some(current.version) {
            problems.push(format!("{}: {}", current.call_sign, tr.t("case-conflict")));
            continue;
        }
        if engine::booking_of(&state.pipeline, &current).is_none() {
            problems.push(format!(
                "{}: {}",
                current.call_sign,
                tr.t("planning-not-waiting")
            ));
            continue;
        }
        // The machine sets every booking check of the stage (the visit and its transfer).
        let command = Command::BookVisit;
        match current.decide(&state.pipeline, actor, &command) {
            Ok(kinds) => {
                let events = current.stamp(kinds, Some(actor.id), now);
                let mut next = current.clone();
                for event in &events {
                    next.apply(event);
                }
                let owner = state
                    .pipeline
                    .stage(&next.stage)
                    .map(|stage| stage.owner)
                    .unwrap_or(staff.role);
                let tasks = task_records(assignment, week, stored.built.first_hour);
                appointments.push(Appointment {
                    case,
                    week,
                    location: assignment.location.clone(),
                    arrive_day: week + i64::from(assignment.arrive_day),
                    leave_day: week + i64::from(assignment.leave_day),
                    tasks: to_json(&tasks)?,
                    committed_by: staff.id,
                    committed_at: now,
                });
                decided.push((case, current.version, events, next, owner));
            }
            Err(refusal) => problems.push(format!("{}: {refusal}", current.call_sign)),
        }
    }
    if !problems.is_empty() {
        let message = tr.t1("planning-commit-refused", "reasons", problems.join("; "));
        return refuse(message, StatusCode::CONFLICT).await;
    }
    let batch: Vec<Append<'_>> = decided
        .iter()
        .map(|(case, version, events, next, owner)| Append {
            case: *case,
            expected_version: *version,
            events,
            state: next,
            owner_role: *owner,
            unit_limit: None,
        })
        .collect();
    // The appointments first, then the bookings: a crash between the two leaves appointments of cases that still
    // wait, which `forget_unbooked_appointments` removes; the other order would leave booked cases with no visit.
    let added = planning.store.record_appointments(&appointments).await?;
    if !batch.is_empty() {
        let booked = state.store.append(&batch).await;
        if let Err(error) = booked {
            let unbooked: Vec<CaseId> = appointments.iter().map(|visit| visit.case).collect();
            planning.store.forget_appointments(&unbooked).await?;
            return match error {
                StoreError::Conflict => refuse(tr.t("case-conflict"), StatusCode::CONFLICT).await,
                other => Err(other.into()),
            };
        }
    }
    state
        .store
        .record_audit(&[sito_store::audit::AuditInput {
            at_ms: crate::now_ms(),
            actor: staff.id.to_string(),
            action: "planning.commit".into(),
            subject: format!("week {}", pages::date(week)),
            detail: format!("appointments={added}"),
        }])
        .await?;
    Ok(Redirect::to(&format!("/planning?committed={added}")).into_response())
}

// ---- Locations and the staff calendar ----

pub async fn setup_page(
    staff: Staff,
    State(_state): State<AppState>,
    extension: PlanningExt,
) -> Result<Response, WebError> {
    let planning = planning_of(extension)?;
    render_setup(&planning, &staff, None, StatusCode::OK).await
}

async fn render_setup(
    planning: &Planning,
    staff: &Staff,
    notice: Option<pages::Notice>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let chrome = chrome(staff, "/planning/setup", "/planning");
    let tr = chrome.tr.clone();
    let locations = planning.store.locations().await?;
    let calendar = planning.store.calendar().await?;
    let days = |set: Weekdays| {
        (0..7u32)
            .filter(|day| set.contains(*day))
            .map(|day| tr.label("planning-weekday", &day.to_string()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let view = pages::SetupPage {
        title: tr.t("planning-setup-title"),
        notice,
        can_edit: route_allowed(StaffRoute::PlanningEdit, staff.role),
        locations: locations
            .iter()
            .map(|location| pages::LocationRow {
                id: location.id.clone(),
                name: location.name.clone(),
                kind: tr.label("planning-kind", location.kind.as_str()),
                capacity: location.capacity,
                days: days(location.open_days),
                hours: format!("{:02}:00–{:02}:00", location.open_hour, location.close_hour),
                pickup: location.pickup_point.clone(),
            })
            .collect(),
        staff: calendar
            .iter()
            .map(|entry| pages::StaffRow {
                call_sign: entry.call_sign.clone(),
                role: tr.label("planning-role", entry.role.as_str()),
                location: locations
                    .iter()
                    .find(|location| location.id == entry.location)
                    .map(|location| location.name.clone())
                    .unwrap_or_else(|| entry.location.clone()),
                days: days(entry.work_days),
                cap: entry
                    .max_tasks_per_day
                    .map(|cap| cap.to_string())
                    .unwrap_or_else(|| "–".into()),
            })
            .collect(),
        weekdays: (0..7u32)
            .map(|day| (day, tr.label("planning-weekday", &day.to_string())))
            .collect(),
        kinds: LocationKind::ALL
            .iter()
            .map(|kind| (kind.as_str(), tr.label("planning-kind", kind.as_str())))
            .collect(),
        roles: PlanningRole::ALL
            .iter()
            .map(|role| (role.as_str(), tr.label("planning-role", role.as_str())))
            .collect(),
        location_choices: locations
            .iter()
            .map(|location| (location.id.clone(), location.name.clone()))
            .collect(),
        chrome,
    };
    let mut response = render(view)?;
    *response.status_mut() = status;
    Ok(response)
}

/// A form's problem, named for the person who filled it in.
struct Invalid(String);

fn text_field(
    pairs: &[(String, String)],
    name: &str,
    max: usize,
    tr: &Tr,
) -> Result<String, Invalid> {
    let value = field(pairs, name).unwrap_or_default();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Invalid(tr.t1(
            "planning-invalid",
            "field",
            tr.t(&format!("planning-field-{name}")),
        )));
    }
    Ok(value.to_owned())
}

fn number_field(
    pairs: &[(String, String)],
    name: &str,
    range: std::ops::RangeInclusive<u32>,
    tr: &Tr,
) -> Result<u32, Invalid> {
    field(pairs, name)
        .and_then(|text| text.parse::<u32>().ok())
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            Invalid(tr.t1(
                "planning-invalid",
                "field",
                tr.t(&format!("planning-field-{name}")),
            ))
        })
}

fn weekdays_field(pairs: &[(String, String)]) -> Weekdays {
    Weekdays(
        pairs
            .iter()
            .filter(|(key, _)| key == "day")
            .filter_map(|(_, value)| value.parse::<u8>().ok())
            .filter(|day| *day < 7)
            .fold(0u8, |set, day| set | (1 << day)),
    )
}

fn location_from_form(pairs: &[(String, String)], tr: &Tr) -> Result<SafeLocation, Invalid> {
    let id = text_field(pairs, "id", 32, tr)?.to_ascii_lowercase();
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(Invalid(tr.t1(
            "planning-invalid",
            "field",
            tr.t("planning-field-id"),
        )));
    }
    let kind = field(pairs, "kind")
        .and_then(LocationKind::parse)
        .ok_or_else(|| Invalid(tr.t1("planning-invalid", "field", tr.t("planning-field-kind"))))?;
    let open = number_field(pairs, "open_hour", 0..=23, tr)?;
    let close = number_field(pairs, "close_hour", 1..=24, tr)?;
    if close <= open {
        return Err(Invalid(tr.t("planning-hours-order")));
    }
    Ok(SafeLocation {
        id,
        name: text_field(pairs, "name", 80, tr)?,
        kind,
        capacity: number_field(pairs, "capacity", 0..=100, tr)?,
        open_days: weekdays_field(pairs),
        open_hour: open as u8,
        close_hour: close as u8,
        pickup_point: text_field(pairs, "pickup_point", 120, tr)?,
    })
}

fn entry_from_form(pairs: &[(String, String)], tr: &Tr) -> Result<CalendarEntry, Invalid> {
    let cap = match field(pairs, "max_tasks_per_day") {
        None | Some("") => None,
        Some(_) => Some(number_field(pairs, "max_tasks_per_day", 1..=10, tr)?),
    };
    Ok(CalendarEntry {
        call_sign: text_field(pairs, "call_sign", 40, tr)?,
        role: field(pairs, "role")
            .and_then(PlanningRole::parse)
            .ok_or_else(|| {
                Invalid(tr.t1("planning-invalid", "field", tr.t("planning-field-role")))
            })?,
        location: text_field(pairs, "location", 32, tr)?,
        work_days: weekdays_field(pairs),
        max_tasks_per_day: cap,
    })
}

/// Adds, replaces or removes a location or a calendar entry. Every change is audited.
pub async fn setup_submit(
    staff: Staff,
    State(state): State<AppState>,
    extension: PlanningExt,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let pairs = fields(&form);
    check_csrf(&staff, &pairs)?;
    let planning = planning_of(extension)?;
    let tr = crate::i18n::tr(staff.lang);
    let store = planning.store.as_ref();
    let action = field(&pairs, "action").unwrap_or_default().to_owned();
    let outcome: Result<String, Invalid> = match action.as_str() {
        "save_location" => match location_from_form(&pairs, &tr) {
            Ok(location) => {
                store.save_location(&location).await?;
                Ok(location.id)
            }
            Err(invalid) => Err(invalid),
        },
        "delete_location" => {
            let id = field(&pairs, "id").unwrap_or_default().to_owned();
            match store.delete_location(&id).await {
                Ok(()) => Ok(id),
                Err(StoreError::Conflict) => Err(Invalid(tr.t("planning-location-in-use"))),
                Err(StoreError::NotFound) => Err(Invalid(tr.t("planning-unknown"))),
                Err(other) => return Err(other.into()),
            }
        }
        "save_staff" => match entry_from_form(&pairs, &tr) {
            Ok(entry) => match store.save_calendar_entry(&entry).await {
                Ok(()) => Ok(entry.call_sign),
                Err(StoreError::NotFound) => Err(Invalid(tr.t1(
                    "planning-invalid",
                    "field",
                    tr.t("planning-field-location"),
                ))),
                Err(other) => return Err(other.into()),
            },
            Err(invalid) => Err(invalid),
        },
        "delete_staff" => {
            let call_sign = field(&pairs, "call_sign").unwrap_or_default().to_owned();
            match store.delete_calendar_entry(&call_sign).await {
                Ok(()) => Ok(call_sign),
                Err(StoreError::NotFound) => Err(Invalid(tr.t("planning-unknown"))),
                Err(other) => return Err(other.into()),
            }
        }
        _ => return Err(WebError::BadRequest("action".into())),
    };
    match outcome {
        Ok(subject) => {
            state
                .store
                .record_audit(&[sito_store::audit::AuditInput {
                    at_ms: crate::now_ms(),
                    actor: staff.id.to_string(),
                    action: format!("planning.{action}"),
                    subject,
                    detail: String::new(),
                }])
                .await?;
            Ok(Redirect::to("/planning/setup").into_response())
        }
        Err(Invalid(message)) => {
            render_setup(
                &planning,
                &staff,
                Some(pages::Notice::error(message)),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

// ---- Transfers ----

/// The transfers to arrange in the next two weeks: call sign, rendezvous point, safe house, when. Each row is shown
/// only under a permit for the case's Logistics group; nothing else of a case is read.
pub async fn transfers(
    staff: Staff,
    State(state): State<AppState>,
    extension: PlanningExt,
) -> Result<Response, WebError> {
    let planning = planning_of(extension)?;
    let chrome = chrome(&staff, "/planning/transfers", "/planning/transfers");
    let tr = chrome.tr.clone();
    let today = now().div_euclid(86_400);
    let locations: HashMap<String, SafeLocation> = planning
        .store
        .locations()
        .await?
        .into_iter()
        .map(|location| (location.id.clone(), location))
        .collect();
    let mut rows = Vec::new();
    for appointment in planning
        .store
        .appointments_between(today, today + 13)
        .await?
    {
        let Some(location) = locations.get(&appointment.location) else {
            continue;
        };
        if location.kind != LocationKind::SafeHouse || appointment.arrive_day < today {
            continue;
        }
        // A visit a crashed commit wrote but never booked is no transfer (the next build or commit forgets it;
        // this page only reads, so it checks just the rows it shows).
        let current = CaseState::fold(
            appointment.case,
            &state.store.case_events(appointment.case).await?,
        );
        if engine::booking_of(&state.pipeline, &current).is_some() {
            continue;
        }
        let summary = state.store.case_summary(appointment.case).await?;
        let phase = state
            .pipeline
            .stage(&summary.stage)
            .map(|stage| stage.phase)
            .unwrap_or(Phase::Meeting);
        let assignment = if summary.owner_role == staff.role {
            Assigned::Assigned
        } else {
            Assigned::NotAssigned
        };
        if permit(
            staff.id,
            staff.role,
            appointment.case,
            FieldGroup::Logistics,
            phase,
            assignment,
        )
        .is_none()
        {
            continue;
        }
        let tasks: Vec<TaskRecord> = serde_json::from_str(&appointment.tasks).unwrap_or_default();
        let first = tasks
            .iter()
            .filter(|task| task.day == appointment.arrive_day)
            .map(|task| task.hour)
            .min()
            .unwrap_or(location.open_hour);
        let last = tasks
            .iter()
            .filter(|task| task.day == appointment.leave_day)
            .map(|task| {
                task.hour.saturating_add(match task.kind {
                    TaskKind::Interview => engine::INTERVIEW_HOURS as u8,
                    _ => engine::POLYGRAPH_HOURS as u8,
                })
            })
            .max()
            .unwrap_or(location.close_hour);
        rows.push(pages::TransferRow {
            when: (appointment.arrive_day, first),
            call_sign: summary.call_sign,
            from: location.pickup_point.clone(),
            to: location.name.clone(),
            arrive: tr.args(
                "planning-arrive-by",
                vec![
                    ("day", pages::day_label(&tr, appointment.arrive_day).into()),
                    ("hour", format!("{first:02}:00").into()),
                ],
            ),
            back: tr.args(
                "planning-back-after",
                vec![
                    ("day", pages::day_label(&tr, appointment.leave_day).into()),
                    ("hour", format!("{last:02}:00").into()),
                ],
            ),
        });
    }
    rows.sort_by(|a, b| {
        a.when
            .cmp(&b.when)
            .then_with(|| a.call_sign.cmp(&b.call_sign))
    });
    render(pages::TransfersPage {
        title: tr.t("planning-transfers-title"),
        rows,
        chrome,
    })
}
