//! The planning page's actions: build the week's plan, pin, unpin or move a case (then re-plan), and commit the
//! plan into the cases. What a move may do and what a commit books are `sito_plan::booking`'s rules.
use std::collections::{HashMap, HashSet};

use axum::extract::{RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sito_core::CaseId;
use sito_core::machine::{Actor, CaseState};
use sito_plan::booking::{self, CommitProblem, MoveRefusal};
use sito_store::planning::Appointment;
use sito_store::{Append, StoreError};

use super::plan_page::render_page;
use super::{
    PlanningExt, booked_visits, check_csrf, commit_lock, field, fields,
    forget_unbooked_appointments, pages, pins, planning_of, rebuild, stored_draft, to_json,
    waiting_cases,
};
use crate::auth::Staff;
use crate::error::WebError;
use crate::i18n::Tr;
use crate::{AppState, now};

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
    let week = booking::next_week(now());
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
    let week = booking::next_week(now());
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
            let Some(assignment) = draft
                .as_ref()
                .and_then(|stored| stored.built.visit_of(case))
            else {
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
                .filter(|day| *day < booking::DAYS)
                .ok_or_else(|| WebError::BadRequest("day".into()))?;
            let now = now();
            let locations = planning.store.locations().await?;
            let calendar = planning.store.calendar().await?;
            let waiting = waiting_cases(&state, planning.store.as_ref(), now).await?;
            match booking::move_target(&waiting, &locations, case, &location) {
                Ok(_) => {}
                Err(MoveRefusal::NotWaiting) => return refuse(tr.t("planning-not-waiting")).await,
                Err(MoveRefusal::UnknownLocation) => {
                    return Err(WebError::BadRequest("location".into()));
                }
                Err(MoveRefusal::WrongKind) => return refuse(tr.t("planning-wrong-kind")).await,
            }
            let booked = booked_visits(planning.store.as_ref(), week, &locations).await?;
            let file = booking::instance_file(&locations, &calendar, &waiting, &booked)
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
                booking::move_case(file, &case_text, &location, day, &pins)
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
    let week = booking::next_week(now);
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
    let mut current = Vec::new();
    for case in stored
        .built
        .cases()
        .map_err(|error| WebError::Internal(format!("stored plan: {error}")))?
    {
        // Committed before: a re-submitted form adds nothing.
        if !booked.contains(&case) {
            current.push(CaseState::fold(case, &state.store.case_events(case).await?));
        }
    }
    let bookings = match booking::commit(
        &state.pipeline,
        &stored.built,
        &stored.versions,
        week,
        &current,
        actor,
        now,
    ) {
        Ok(bookings) => bookings,
        Err(problems) => {
            let reasons: Vec<String> = problems
                .iter()
                .map(|problem| commit_problem_text(&tr, problem))
                .collect();
            let message = tr.t1("planning-commit-refused", "reasons", reasons.join("; "));
            return refuse(message, StatusCode::CONFLICT).await;
        }
    };
    let appointments = bookings
        .iter()
        .map(|booking| {
            Ok(Appointment {
                case: booking.case,
                week,
                location: booking.visit.location.clone(),
                arrive_day: booking.visit.arrive_day,
                leave_day: booking.visit.leave_day,
                tasks: to_json(&booking.visit.tasks)?,
                committed_by: staff.id,
                committed_at: now,
            })
        })
        .collect::<Result<Vec<_>, WebError>>()?;
    let batch: Vec<Append<'_>> = bookings
        .iter()
        .map(|booking| Append {
            case: booking.case,
            expected_version: booking.expected_version,
            events: &booking.events,
            state: &booking.next,
            owner_role: booking.owner,
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

/// A case the commit can't book, in the reader's language.
fn commit_problem_text(tr: &Tr, problem: &CommitProblem) -> String {
    match problem {
        CommitProblem::Stale { call_sign } => format!("{call_sign}: {}", tr.t("case-conflict")),
        CommitProblem::NotWaiting { call_sign } => {
            format!("{call_sign}: {}", tr.t("planning-not-waiting"))
        }
        CommitProblem::Refused { call_sign, refusal } => format!("{call_sign}: {refusal}"),
    }
}
