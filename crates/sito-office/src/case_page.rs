//! One case: its page, drawn from the groups the viewer holds a permit for, and the audited identity reveal.
use std::collections::BTreeMap;

use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use sito_core::dossier::event_group;
use sito_core::machine::{Actor, CaseState, Closure, EventKind, PolygraphOutcome};
use sito_core::pipeline::Guard;
use sito_core::policy::{Assignment, permit};
use sito_core::{CaseId, FieldGroup, Phase, Role, Status};

use crate::access::{StaffRoute, route_allowed};
use crate::alerts::IDENTITY_READ;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, form_fields, parse_case_id, render};
use crate::i18n::Tr;
use crate::views::{self, Actions, CheckItem, GroupView, HistoryItem};
use crate::{AppState, now};

pub(crate) async fn case_view(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_case_id(&id)?;
    render_case(&state, &staff, id, None, StatusCode::OK).await
}

/// Shows the applicant's real identity for this one answer, once a reason is given; the read is audited.
pub(crate) async fn reveal_identity(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let id = parse_case_id(&id)?;
    let reason = fields
        .get("reason")
        .map(|reason| reason.trim())
        .unwrap_or_default();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Err(WebError::BadRequest("reason".into()));
    }
    render_case_revealing(&state, &staff, id, None, StatusCode::OK, Some(reason)).await
}

/// The groups that carry an applicant's real identity: shown only after an explicit, reasoned, audited reveal.
pub(crate) const IDENTITY_GROUPS: [FieldGroup; 2] = [FieldGroup::Identity, FieldGroup::Contacts];

pub(crate) async fn render_case(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    render_case_revealing(state, staff, id, notice, status, None).await
}

/// Renders the case page; with a reveal reason, the identity groups the policy grants are shown, and that read is
/// chained into the audit log first (no entry, no identity).
pub(crate) async fn render_case_revealing(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    notice: Option<String>,
    status: StatusCode,
    reveal_reason: Option<&str>,
) -> Result<Response, WebError> {
    let summary = state.store.case_summary(id).await?;
    let events = state.store.case_events(id).await?;
    let case = CaseState::fold(id, &events);
    let stage = state
        .pipeline
        .stage(&case.stage)
        .ok_or_else(|| WebError::Internal("stage not in pipeline".into()))?;
    let assignment = if summary.owner_role == staff.role {
        Assignment::Assigned
    } else {
        Assignment::NotAssigned
    };
    let may_see = |group: FieldGroup, phase: Phase| {
        permit(staff.id, staff.role, id, group, phase, assignment)
    };
    let path = format!("/cases/{id}");
    let chrome = chrome(staff, &path, "/cases");
    let tr = chrome.tr.clone();

    // Content is read only if the policy grants at least one group, and then only the granted groups are shown.
    let permits: Vec<_> = FieldGroup::ALL
        .iter()
        .filter_map(|group| may_see(*group, stage.phase))
        .collect();
    let content = if permits.is_empty() {
        sito_core::CaseContent::default()
    } else {
        sito_core::CaseContent::new(id, state.store.case_content(id).await?)
    };
    let revealed: Vec<FieldGroup> = match reveal_reason {
        Some(_) => permits
            .iter()
            .map(|permit| permit.group())
            .filter(|group| IDENTITY_GROUPS.contains(group))
            .collect(),
        None => Vec::new(),
    };
    if let Some(reason) = reveal_reason {
        if revealed.is_empty() {
            return Err(WebError::Forbidden);
        }
        let groups: Vec<&str> = revealed.iter().map(|group| group.as_str()).collect();
        state
            .store
            .record_audit(&[sito_store::audit::AuditInput {
                at_ms: crate::now_ms(),
                actor: staff.id.to_string(),
                action: IDENTITY_READ.to_owned(),
                subject: id.to_string(),
                detail: format!("groups={}; reason={reason}", groups.join(",")),
            }])
            .await?;
        let assigned = matches!(assignment, Assignment::Assigned);
        crate::alerts::after_identity_read(state, staff, &id.to_string(), assigned).await;
    }
    let groups = permits
        .iter()
        .map(|permit| GroupView {
            id: permit.group().as_str(),
            label: tr.label("group", permit.group().as_str()),
            sealed: IDENTITY_GROUPS.contains(&permit.group())
                && !revealed.contains(&permit.group()),
            fields: content
                .group(permit)
                .filter(|_| {
                    !IDENTITY_GROUPS.contains(&permit.group()) || revealed.contains(&permit.group())
                })
                .map(|group| {
                    group
                        .fields
                        .iter()
                        .map(|field| {
                            (
                                tr.label("field", &field.key),
                                field_text(&field.key, field.value.expose()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let hidden: Vec<String> = FieldGroup::ALL
        .iter()
        .filter(|group| may_see(**group, stage.phase).is_none())
        .map(|group| tr.label("group", group.as_str()))
        .collect();
    let hidden_groups = if hidden.is_empty() {
        String::new()
    } else {
        tr.t1("case-hidden", "groups", hidden.join(", "))
    };

    let staff_names = crate::frame::staff_call_signs(state).await?;
    let mut phase_at_event = Phase::Intake;
    let history = events
        .iter()
        .map(|event| {
            let phase_before = phase_at_event;
            if let EventKind::StageAdvanced { to, .. } | EventKind::Received { stage: to, .. } =
                &event.kind
            {
                phase_at_event = state
                    .pipeline
                    .stage(to)
                    .map(|stage| stage.phase)
                    .unwrap_or(phase_at_event);
            }
            let detail = match event_group(&event.kind, phase_before)
                .map(|group| may_see(group, stage.phase))
            {
                Some(None) => String::new(),
                _ => event_detail(&tr, &event.kind, &staff_names),
            };
            // A case received with an actor was entered by staff (assisted intake); the actor column names them.
            let detail = match &event.kind {
                EventKind::Received { .. } if event.actor.is_some() => {
                    tr.t("history-assisted-intake")
                }
                _ => detail,
            };
            HistoryItem {
                at: views::date_time(event.at),
                label: tr.label("event", event.kind.name()),
                actor: event
                    .actor
                    .and_then(|actor| staff_names.get(&actor).cloned())
                    .unwrap_or_default(),
                detail,
            }
        })
        .rev()
        .collect();

    let active = case.status == Status::Active;
    let owner = active && stage.owner == staff.role;
    let polygraph_phase = matches!(stage.phase, Phase::FirstPolygraph | Phase::SecondPolygraph);
    // What the owner can do now, and in their language why not: disabled actions are shown with the reason.
    let available = if owner {
        sito_core::actions::available(
            &state.pipeline,
            &case,
            Actor {
                id: staff.id,
                role: staff.role,
            },
        )
    } else {
        Vec::new()
    };
    let why = |action: &sito_core::actions::Action| {
        available
            .iter()
            .find(|offer| &offer.action == action)
            .and_then(|offer| offer.disabled.as_ref())
            .map(|refusal| crate::findings::refusal_text(&tr, refusal))
    };
    let checklist = stage
        .checklist
        .iter()
        .map(|check| {
            let done = case.checks_done.contains(check);
            let set_by_planning = state.pipeline.is_booking_check(check);
            let by_hand = owner && !polygraph_phase && !done && !set_by_planning;
            let why_disabled = why(&sito_core::actions::Action::RecordCheck {
                check: check.clone(),
            })
            .filter(|_| by_hand);
            let can_tick = by_hand && why_disabled.is_none();
            CheckItem {
                id: check.clone(),
                label: tr.label("check", check),
                done,
                can_tick,
                set_by_planning,
                why_disabled,
                inputs: if can_tick {
                    crate::findings::inputs(&tr, state.pipeline.findings(check))
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let findings = crate::findings::visible(
        &tr,
        &crate::findings::recorded(&events),
        |group| may_see(group, stage.phase).is_some(),
        &staff_names,
    );
    let mut polygraph_inputs: Vec<_> = stage
        .checklist
        .first()
        .map(|check| crate::findings::inputs(&tr, state.pipeline.findings(check)))
        .unwrap_or_default();
    // The result is the outcome chosen beside the report.
    polygraph_inputs.retain(|input| input.name != "finding.result");
    let round = if stage.phase == Phase::SecondPolygraph {
        1
    } else {
        0
    };
    let actions = Actions {
        can_advance: owner
            && !stage.guards.contains(&Guard::UnitCapacity)
            && state
                .pipeline
                .next_stage(case.category, &stage.id)
                .is_some(),
        can_approve: owner
            && stage.guards.contains(&Guard::TwoApprovals)
            && !case.approvals.contains(&staff.id),
        show_approvals: stage.guards.contains(&Guard::TwoApprovals),
        can_polygraph: owner && polygraph_phase && case.examiners[round].is_none(),
        can_assign: owner && stage.guards.contains(&Guard::UnitCapacity),
        can_reopen: match case.status {
            Status::Rejected | Status::Withdrawn => staff.role == Role::IntakeCoordinator,
            Status::Held | Status::Referred => staff.role == Role::SecurityOfficer,
            Status::Active | Status::Completed => false,
        },
        can_return: active && staff.role == Role::IntakeCoordinator && !case.action_needed,
        can_clear: active && staff.role == Role::IntakeCoordinator && case.action_needed,
        advance_disabled: why(&sito_core::actions::Action::Advance),
        approve_disabled: why(&sito_core::actions::Action::Approve),
        polygraph_disabled: why(&sito_core::actions::Action::RecordExamination),
        assign_disabled: why(&sito_core::actions::Action::AssignUnit),
        polygraph_inputs,
        approve_inputs: crate::findings::inputs(
            &tr,
            state.pipeline.findings(sito_core::machine::APPROVAL_CHECK),
        ),
    };
    let mut closures = Vec::new();
    if active && (owner || staff.role == Role::SecurityOfficer) {
        closures.push(("reject", tr.t("case-reject")));
    }
    if active && staff.role == Role::IntakeCoordinator {
        closures.push(("withdraw", tr.t("case-withdraw")));
    }
    if active && staff.role == Role::SecurityOfficer {
        closures.push(("hold", tr.t("case-hold")));
        closures.push(("refer", tr.t("case-refer")));
    }
    let units = if actions.can_assign {
        state
            .store
            .list_units()
            .await?
            .into_iter()
            .map(|(unit, strength)| {
                (
                    unit.id.to_string(),
                    format!("{} ({strength}/{})", unit.name, unit.target_strength),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let flags = if staff.role == Role::SecurityOfficer {
        case.open_flags.iter().cloned().collect()
    } else {
        Vec::new()
    };
    // The flag history says whether link analysis ever flagged the case, so the page needs no link store.
    let cluster_href = (route_allowed(StaffRoute::Clusters, staff.role)
        && events.iter().any(|event| {
            matches!(&event.kind, EventKind::FlagOpened { flag, .. }
                if flag.starts_with(crate::screening::LINK_FLAG_PREFIX))
        }))
    .then(|| crate::clusters::cluster_href(id));
    let now = now();
    let age_days = case.stage_age_days(now);
    let page = views::CasePage {
        case_id: id.to_string(),
        title: tr.t1("case-title", "call_sign", case.call_sign.as_str()),
        notice,
        status: tr.label("status", case.status.as_str()),
        status_class: views::status_class(case.status),
        category: tr.label("category", case.category.as_str()),
        stage: tr.label("stage", &case.stage),
        owner: tr.label("role", stage.owner.as_str()),
        received: views::date(case.received_at),
        age_days,
        target_days: stage.target_days,
        overdue: active && stage.target_days > 0 && age_days > i64::from(stage.target_days),
        action_needed: case.action_needed,
        version: case.version,
        checklist,
        groups,
        hidden_groups,
        history,
        files: crate::staff_intake::files::links(
            &tr,
            id,
            permits
                .iter()
                .find(|permit| permit.group() == FieldGroup::Documents)
                .and_then(|permit| content.group(permit)),
        ),
        messages_href: may_see(FieldGroup::Contacts, stage.phase)
            .map(|_| format!("/cases/{id}/messages")),
        approvals_label: tr.t1("case-approvals", "count", case.approvals.len()),
        actions,
        outcomes: PolygraphOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), tr.label("outcome", o.as_str())))
            .collect(),
        units,
        flags,
        cluster_href,
        closures,
        findings,
        refusal_reasons: state
            .pipeline
            .refusal_reasons()
            .iter()
            .map(|reason| (reason.clone(), tr.label("option", reason)))
            .collect(),
        chrome,
    };
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) fn event_detail(
    tr: &Tr,
    kind: &EventKind,
    staff_names: &BTreeMap<sito_core::StaffId, String>,
) -> String {
    match kind {
        EventKind::Received { .. } | EventKind::ActionCleared => String::new(),
        EventKind::CheckTicked { check } | EventKind::FindingsRecorded { check, .. } => {
            tr.label("check", check)
        }
        EventKind::VisitCancelled { reason, .. } => reason.clone(),
        EventKind::PolygraphRecorded { round, outcome, .. } => {
            format!("{round}: {}", tr.label("outcome", outcome.as_str()))
        }
        EventKind::Approved { by } => staff_names.get(by).cloned().unwrap_or_default(),
        EventKind::StageAdvanced { from, to, note } => {
            let moved = format!("{} → {}", tr.label("stage", from), tr.label("stage", to));
            if note.is_empty() {
                moved
            } else {
                format!("{moved}: {note}")
            }
        }
        EventKind::UnitAssigned { .. } => String::new(),
        EventKind::Closed { closure, reason } => {
            let status = match closure {
                Closure::Rejected => "rejected",
                Closure::Withdrawn => "withdrawn",
                Closure::Held => "held",
                Closure::Referred => "referred",
            };
            format!("{}: {reason}", tr.label("status", status))
        }
        EventKind::Reopened { reason } | EventKind::ActionNeeded { message: reason } => {
            reason.clone()
        }
        EventKind::FlagOpened { flag, summary } => format!("{flag}: {summary}"),
        EventKind::FlagResolved {
            flag,
            confirmed,
            reason,
        } => {
            let verdict = if *confirmed {
                tr.t("case-confirm")
            } else {
                tr.t("case-dismiss")
            };
            format!("{flag}: {verdict} — {reason}")
        }
    }
}

/// What the case page shows of a field. A stored file shows as its type and size, never as its bytes.
pub(crate) fn field_text(key: &str, value: &str) -> String {
    match key.strip_prefix(crate::pull::DOCUMENT_FIELD_PREFIX) {
        Some(_) => {
            let mut parts = value.splitn(3, ';');
            let media_type = parts.next().unwrap_or_default();
            let state = parts.next().unwrap_or_default();
            let kib = parts
                .next()
                .map(|encoded| encoded.len() * 3 / 4 / 1024 + 1)
                .unwrap_or(0);
            format!("{media_type}, {kib} KiB, {state}")
        }
        None => value.to_owned(),
    }
}
