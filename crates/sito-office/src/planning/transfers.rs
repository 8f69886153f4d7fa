//! The logistics officer's list of transfers to arrange.
use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use sito_core::machine::CaseState;
use sito_core::planning::SafeLocation;
use sito_core::policy::{Assignment as Assigned, permit};
use sito_core::{FieldGroup, Phase};
use sito_plan::booking;

use super::{PlanningExt, pages, planning_of, tasks_of, visit_with};
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::{AppState, now};

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
        if !booking::wants_transfer(location, appointment.arrive_day, today) {
            continue;
        }
        // A visit a crashed commit wrote but never booked is no transfer (the next build or commit forgets it;
        // this page only reads, so it checks just the rows it shows).
        let current = CaseState::fold(
            appointment.case,
            &state.store.case_events(appointment.case).await?,
        );
        if booking::booking_of(&state.pipeline, &current).is_some() {
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
        // This page only reads: a visit whose tasks can't be read still shows, with the location's hours.
        let visit = visit_with(&appointment, tasks_of(&appointment).unwrap_or_default());
        let (first, last) = booking::transfer_hours(&visit, location);
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
