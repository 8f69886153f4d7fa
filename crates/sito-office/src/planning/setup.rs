//! Locations and the staff calendar: the setup page, its forms and their checks, and the audited changes.
use axum::extract::{RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sito_core::planning::{CalendarEntry, LocationKind, PlanningRole, SafeLocation, Weekdays};
use sito_store::StoreError;

use super::{Planning, PlanningExt, check_csrf, field, fields, pages, planning_of};
use crate::AppState;
use crate::access::{StaffRoute, route_allowed};
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;

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
