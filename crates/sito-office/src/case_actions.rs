//! The actions taken on a case's page and in bulk: a form becomes a core command, the store appends its event.
use std::collections::HashMap;

use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sito_core::machine::{Actor, CaseState, Closure, Command, EventKind, PolygraphOutcome};
use sito_core::{CaseId, UnitId};
use sito_store::{Append, StoreError};

use crate::auth::Staff;
use crate::case_page::render_case;
use crate::error::WebError;
use crate::frame::{form_fields, parse_case_id};
use crate::{AppState, now};

/// Reads a form's command. Everything a client can send maps to a command or a `BadRequest` naming the field.
pub(crate) async fn command_from_form(
    state: &AppState,
    fields: &HashMap<String, String>,
) -> Result<(Command, Option<(UnitId, u32)>), WebError> {
    let text = |name: &str| {
        fields
            .get(name)
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    };
    let limited = |name: &'static str| {
        let value = text(name);
        if value.chars().count() > 2000 {
            Err(WebError::BadRequest(name.into()))
        } else {
            Ok(value)
        }
    };
    let action = text("action");
    // Findings arrive as `finding.KEY` fields; the machine validates them against the pipeline's declaration.
    let findings: sito_core::findings::Findings = fields
        .iter()
        .filter_map(|(name, value)| {
            Some((name.strip_prefix("finding.")?.to_owned(), value.clone()))
        })
        .collect();
    let command = match action.as_str() {
        "tick" => Command::RecordCheck {
            check: text("check"),
            findings,
        },
        "advance" => Command::Advance {
            note: limited("note")?,
        },
        "approve" => Command::ApproveWithReasons { findings },
        "polygraph" => Command::RecordExamination {
            outcome: PolygraphOutcome::parse(&text("outcome"))
                .ok_or_else(|| WebError::BadRequest("outcome".into()))?,
            findings,
        },
        "assign" => {
            let unit: UnitId = text("unit")
                .parse()
                .map_err(|_| WebError::BadRequest("unit".into()))?;
            let (record, strength) = match state.store.unit(unit).await {
                Ok(found) => found,
                Err(StoreError::NotFound) => return Err(WebError::BadRequest("unit".into())),
                Err(other) => return Err(other.into()),
            };
            let command = Command::AssignUnit {
                unit,
                assigned: strength,
                target: record.target_strength,
            };
            return Ok((command, Some((unit, record.target_strength))));
        }
        "reject" | "withdraw" | "hold" | "refer" => {
            let closure = match action.as_str() {
                "reject" => Closure::Rejected,
                "withdraw" => Closure::Withdrawn,
                "hold" => Closure::Held,
                _ => Closure::Referred,
            };
            let mut reason = limited("reason")?;
            // A refusal names its reason from the pipeline's list (an id, translated where shown), then the text.
            let code = text("reason_code");
            if closure == Closure::Rejected && !code.is_empty() {
                if !state.pipeline.refusal_reasons().contains(&code) {
                    return Err(WebError::BadRequest("reason_code".into()));
                }
                reason = crate::findings::coded_reason(&code, &reason);
            }
            Command::Close { closure, reason }
        }
        "reopen" => Command::Reopen {
            reason: limited("reason")?,
        },
        "return" => Command::ReturnToApplicant {
            message: limited("reason")?,
        },
        "clear" => Command::ClearActionNeeded,
        "resolve" => Command::ResolveFlag {
            flag: text("flag"),
            confirmed: match text("confirmed").as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(WebError::BadRequest("confirmed".into())),
            },
            reason: limited("reason")?,
        },
        _ => return Err(WebError::BadRequest("action".into())),
    };
    Ok((command, None))
}

pub(crate) fn parse_version(text: Option<&String>) -> Result<u64, WebError> {
    text.and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| WebError::BadRequest("version".into()))
}

pub(crate) async fn case_action(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let id = parse_case_id(&id)?;
    let version = parse_version(fields.get("version"))?;
    let (command, unit_limit) = command_from_form(&state, &fields).await?;
    let tr = crate::i18n::tr(staff.lang);
    let case = CaseState::fold(id, &state.store.case_events(id).await?);
    if case.version != version {
        return render_case(
            &state,
            &staff,
            id,
            Some(tr.t("case-conflict")),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let actor = Actor {
        id: staff.id,
        role: staff.role,
    };
    let kinds = match case.decide(&state.pipeline, actor, &command) {
        Ok(kinds) => kinds,
        Err(refusal) => {
            let notice = tr.t1(
                "case-refused",
                "reason",
                crate::findings::refusal_text(&tr, &refusal),
            );
            return render_case(
                &state,
                &staff,
                id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (events, next) = apply(&case, kinds, actor, now());
    let owner_role = state
        .pipeline
        .stage(&next.stage)
        .map(|stage| stage.owner)
        .unwrap_or(staff.role);
    let append = Append {
        case: id,
        expected_version: version,
        events: &events,
        state: &next,
        owner_role,
        unit_limit,
    };
    match state.store.append(&[append]).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(StoreError::Conflict) => {
            render_case(
                &state,
                &staff,
                id,
                Some(tr.t("case-conflict")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(StoreError::UnitFull) => {
            let notice = tr.t1(
                "case-refused",
                "reason",
                sito_core::Refusal::UnitFull(unit_limit.map(|(_, t)| t).unwrap_or(0)).to_string(),
            );
            render_case(
                &state,
                &staff,
                id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn apply(
    case: &CaseState,
    kinds: Vec<EventKind>,
    actor: Actor,
    at: i64,
) -> (Vec<sito_core::Event>, CaseState) {
    let events = case.stamp(kinds, Some(actor.id), at);
    let mut next = case.clone();
    for event in &events {
        next.apply(event);
    }
    (events, next)
}

// ---- Bulk actions: all or nothing ----

pub(crate) async fn bulk(
    staff: Staff,
    State(state): State<AppState>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&form).into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
    };
    staff.check_csrf(field("csrf").as_deref())?;
    let reason = field("reason").unwrap_or_default();
    if reason.chars().count() > 2000 {
        return Err(WebError::BadRequest("reason".into()));
    }
    let command = match field("action").as_deref() {
        Some("advance") => Command::Advance { note: reason },
        Some("reject") => Command::Close {
            closure: Closure::Rejected,
            reason,
        },
        Some("message") => Command::ReturnToApplicant { message: reason },
        _ => return Err(WebError::BadRequest("action".into())),
    };
    let tr = crate::i18n::tr(staff.lang);
    let mut selected = Vec::new();
    for (_, value) in pairs.iter().filter(|(key, _)| key == "case") {
        let (id, version) = value
            .split_once(':')
            .ok_or_else(|| WebError::BadRequest("case".into()))?;
        let id: CaseId = id
            .parse()
            .map_err(|_| WebError::BadRequest("case".into()))?;
        let version: u64 = version
            .parse()
            .map_err(|_| WebError::BadRequest("case".into()))?;
        selected.push((id, version));
    }
    if selected.is_empty() || selected.len() > 500 {
        return Err(WebError::BadRequest(tr.t("bulk-none")));
    }
    let actor = Actor {
        id: staff.id,
        role: staff.role,
    };
    let now = now();
    let mut decided = Vec::with_capacity(selected.len());
    let mut refusals = Vec::new();
    for (id, version) in &selected {
        let case = CaseState::fold(*id, &state.store.case_events(*id).await?);
        if case.version != *version {
            refusals.push(format!("{}: {}", case.call_sign, tr.t("case-conflict")));
            continue;
        }
        match case.decide(&state.pipeline, actor, &command) {
            Ok(kinds) => {
                let (events, next) = apply(&case, kinds, actor, now);
                let owner = state
                    .pipeline
                    .stage(&next.stage)
                    .map(|stage| stage.owner)
                    .unwrap_or(staff.role);
                decided.push((*id, *version, events, next, owner));
            }
            Err(refusal) => refusals.push(format!("{}: {refusal}", case.call_sign)),
        }
    }
    if !refusals.is_empty() {
        // Nothing is applied unless everything can be.
        return Err(WebError::BadRequest(refusals.join("; ")));
    }
    let batch: Vec<Append<'_>> = decided
        .iter()
        .map(|(id, version, events, next, owner)| Append {
            case: *id,
            expected_version: *version,
            events,
            state: next,
            owner_role: *owner,
            unit_limit: None,
        })
        .collect();
    match state.store.append(&batch).await {
        Ok(()) => {
            crate::alerts::after_bulk(&state, &staff, batch.len()).await;
            Ok(Redirect::to(&format!("/cases?done={}", batch.len())).into_response())
        }
        Err(StoreError::Conflict) => Err(WebError::BadRequest(tr.t("case-conflict"))),
        Err(other) => Err(other.into()),
    }
}

// ---- Units ----
