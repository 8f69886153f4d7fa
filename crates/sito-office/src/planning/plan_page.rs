//! The planning page: next week's plan, the cases left out, the committed visits and one calendar.
use std::collections::{HashMap, HashSet};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sito_plan::booking::{self, TaskRecord};
use sito_plan::schedule::TaskKind;

use super::{Planning, PlanningExt, pages, pins, planning_of, stored_draft, waiting_cases};
use crate::access::{StaffRoute, route_allowed};
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::{AppState, now};

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

pub(super) async fn render_page(
    state: &AppState,
    planning: &Planning,
    staff: &Staff,
    query: &HashMap<String, String>,
    notice: Option<pages::Notice>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let now = now();
    let week = booking::next_week(now);
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
        .appointments_between(week, week + i64::from(booking::DAYS) - 1)
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
            let (objective, bound) = (stored.built.new_objective(), stored.built.new_bound());
            let gap = stored.built.gap_percent();
            let new_visits = stored.built.new_visits();
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
            let proposed = stored.built.proposed(&waiting_ids);
            (Some(summary), proposed)
        }
        None => (None, Vec::new()),
    };
    let first_hour = draft
        .as_ref()
        .map(|stored| stored.built.first_hour)
        .or_else(|| booking::day_hours(&locations).map(|(open, _)| open))
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
                booking::task_records(assignment, week, first_hour),
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
            let length = booking::task_hours(task.kind);
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
            &booking::task_records(assignment, week, first_hour),
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
    let last_hour = booking::day_hours(&locations)
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
        move_days: (0..booking::DAYS)
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
