//! Planning in the staff site (issue 6): next week's visits to safe locations built by the scheduler from the cases
//! waiting at a meeting stage, the staff calendar and the locations; calendars per staff member and per location;
//! pins and moves by hand with re-planning around them; committing the plan into the cases; and the logistics
//! officer's list of transfers.
//!
//! The rules live in `sito_plan::booking` (which cases wait, the week's instance, what a plan proposes, what a
//! commit books, what a crashed commit left to clear); these handlers read the stores, call it, write and render:
//! this file the shared loading and the build, `plan_page.rs` the plan, `actions.rs` build, pin, move and commit,
//! `setup.rs` locations and the calendar, `transfers.rs` the transfers list, `pages.rs` the views.
//!
//! Who may do what is `access::route_allowed` (`Planning`, `PlanningEdit`, `Transfers`). Committing ticks the
//! stage's booking check on each case through the state machine and `Store::append` (audited, all or nothing,
//! only on cases still at the version the plan was built on); the appointment rows are then kept once per case,
//! so a re-submitted commit adds nothing.
//!
//! The planning store reaches the handlers as a request extension (`attach`), so the office's `AppState` stays as
//! it is for the other pages.
mod actions;
mod pages;
mod plan_page;
mod setup;
mod transfers;

pub use actions::{build, commit, pin};
pub use plan_page::page;
pub use setup::{setup_page, setup_submit};
pub use transfers::transfers;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use serde::Serialize;
use sito_core::CaseId;
use sito_core::Status;
use sito_core::machine::CaseState;
use sito_core::planning::SafeLocation;
use sito_plan::booking::{self, Built, TaskRecord, Visit, Waiting};
use sito_plan::schedule::Assignment;
use sito_store::CaseFilter;
use sito_store::planning::{Appointment, Draft, PlanningStore};
use tokio::sync::Semaphore;

use crate::auth::Staff;
use crate::error::WebError;
use crate::{AppState, now};

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
    let mut waiting = Vec::new();
    for stage in booking::meeting_stages(&state.pipeline) {
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
                if let Some(case) = booking::waiting(&state.pipeline, &case, now) {
                    waiting.push(case);
                }
            }
            if page >= listed.page_count() {
                break;
            }
            page += 1;
        }
    }
    booking::sort_waiting(&mut waiting);
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

/// A stored appointment's tasks.
fn tasks_of(appointment: &Appointment) -> Result<Vec<TaskRecord>, serde_json::Error> {
    serde_json::from_str(&appointment.tasks)
}

/// A stored appointment as the engine's visit, with these tasks.
fn visit_with(appointment: &Appointment, tasks: Vec<TaskRecord>) -> Visit {
    Visit {
        case: appointment.case,
        week: appointment.week,
        location: appointment.location.clone(),
        arrive_day: appointment.arrive_day,
        leave_day: appointment.leave_day,
        tasks,
    }
}

/// The visits already committed for the week, as the engine's assignments, so a new plan keeps their people,
/// rooms and hours taken (`booking::booked_visit` says which can be kept).
async fn booked_visits(
    store: &dyn PlanningStore,
    week: i64,
    locations: &[SafeLocation],
) -> Result<Vec<Assignment>, WebError> {
    let Some((first_hour, _)) = booking::day_hours(locations) else {
        return Ok(Vec::new());
    };
    let mut visits = Vec::new();
    for appointment in store
        .appointments_between(week, week + i64::from(booking::DAYS) - 1)
        .await?
    {
        // Only this week's visits at known locations are read; another week's are none of this plan's business.
        if appointment.week != week
            || !locations
                .iter()
                .any(|location| location.id == appointment.location)
        {
            continue;
        }
        let tasks = tasks_of(&appointment)
            .map_err(|error| WebError::Internal(format!("stored appointment: {error}")))?;
        let visit = visit_with(&appointment, tasks);
        visits.extend(booking::booked_visit(&visit, week, first_hour, locations));
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
    let mut with_visits = Vec::new();
    for case in planning.store.cases_with_appointments().await? {
        with_visits.push(CaseState::fold(case, &state.store.case_events(case).await?));
    }
    let stale = booking::unbooked(&state.pipeline, &with_visits);
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
    let (instance, first_hour) = booking::instance(&locations, &calendar, &waiting, &booked)
        .map_err(|error| WebError::BadRequest(error.to_string()))?;
    let _permit = planning
        .solving
        .acquire()
        .await
        .map_err(|_| WebError::Internal("planning is shutting down".into()))?;
    let limit = planning.time_limit;
    let built = tokio::task::spawn_blocking(move || {
        booking::build(&instance, first_hour, &pins, &booked, limit)
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
