//! The board's dossier page: the case's record stage by stage as `sito_core::dossier` assembles it for this
//! reader, with who recorded each thing and when, the approvals with their reasons and the closure. `?print=1`
//! gives the same content without the site's navigation, for paper.
use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use sito_core::dossier::{self, Dossier};
use sito_core::machine::{CaseState, Closure};
use sito_core::policy::{Assignment, permit};
use sito_core::{FieldGroup, StaffId};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::findings::{RecordedView, labelled, reason_text};
use crate::frame::{chrome, parse_case_id, render};
use crate::i18n::{ArgValue, Tr};
use crate::views::{self, Chrome};

pub struct CheckView {
    pub label: String,
    pub done: bool,
    /// "recorded by … on …", when the reader may know who ticked it.
    pub recorded: Option<String>,
    pub findings: Vec<RecordedView>,
}

pub struct StageView {
    pub id: String,
    pub label: String,
    pub current: bool,
    pub checks: Vec<CheckView>,
    pub examinations: Vec<String>,
}

pub struct ApprovalView {
    pub text: String,
    pub reasons: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    chrome: Chrome,
    print: bool,
    title: String,
    case_id: String,
    status: String,
    status_class: &'static str,
    category: String,
    stage: String,
    received: String,
    hidden_groups: String,
    stages: Vec<StageView>,
    show_approvals: bool,
    approvals: Vec<ApprovalView>,
    closure: Option<(String, String)>,
}

pub(crate) async fn dossier_page(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_case_id(&id)?;
    let print = match query.get("print").map(String::as_str) {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(WebError::BadRequest("print".into())),
    };
    let summary = state.store.case_summary(id).await?;
    let events = state.store.case_events(id).await?;
    let case = CaseState::fold(id, &events);
    let stage = state
        .pipeline
        .stage(&case.stage)
        .ok_or_else(|| WebError::Internal("stage not in pipeline".into()))?;
    // The same need-to-know answer as the case page: the reader's role, this case, its current phase.
    let assignment = if summary.owner_role == staff.role {
        Assignment::Assigned
    } else {
        Assignment::NotAssigned
    };
    let may_see = |group: FieldGroup| {
        permit(staff.id, staff.role, id, group, stage.phase, assignment).is_some()
    };
    let assembled = dossier::assemble(&state.pipeline, &case, &events, may_see);

    let path = format!("/cases/{id}/dossier");
    let chrome = chrome(&staff, &path, "/cases");
    let tr = chrome.tr.clone();
    let names = crate::frame::staff_call_signs(&state).await?;
    let hidden: Vec<String> = FieldGroup::ALL
        .iter()
        .filter(|group| !may_see(**group))
        .map(|group| tr.label("group", group.as_str()))
        .collect();
    let page = DossierPage {
        print,
        title: tr.t1("dossier-title", "call_sign", case.call_sign.as_str()),
        case_id: id.to_string(),
        status: tr.label("status", case.status.as_str()),
        status_class: views::status_class(case.status),
        category: tr.label("category", case.category.as_str()),
        stage: tr.label("stage", &case.stage),
        received: views::date(case.received_at),
        hidden_groups: if hidden.is_empty() {
            String::new()
        } else {
            tr.t1("dossier-hidden", "groups", hidden.join(", "))
        },
        show_approvals: !assembled.approvals.is_empty()
            || state.pipeline.stages().iter().any(|candidate| {
                candidate
                    .guards
                    .contains(&sito_core::pipeline::Guard::TwoApprovals)
                    && assembled
                        .stages
                        .iter()
                        .any(|reached| reached.stage == candidate.id)
            }) && may_see(FieldGroup::Decision),
        stages: stage_views(&tr, &assembled, &names),
        approvals: assembled
            .approvals
            .iter()
            .map(|approval| ApprovalView {
                text: recorded_line(
                    &tr,
                    "dossier-approval",
                    Some(approval.by),
                    approval.at,
                    &names,
                ),
                reasons: labelled(&tr, &approval.reasons),
            })
            .collect(),
        closure: assembled.closure.as_ref().map(|closure| {
            let status = match closure.closure {
                Closure::Rejected => "rejected",
                Closure::Withdrawn => "withdrawn",
                Closure::Held => "held",
                Closure::Referred => "referred",
            };
            (
                format!(
                    "{}: {}",
                    tr.label("status", status),
                    reason_text(&tr, state.pipeline.refusal_reasons(), &closure.reason)
                ),
                recorded_line(
                    &tr,
                    "case-recorded-by",
                    closure.recorded.actor,
                    closure.recorded.at,
                    &names,
                ),
            )
        }),
        chrome,
    };
    render(page)
}

fn stage_views(tr: &Tr, assembled: &Dossier, names: &BTreeMap<StaffId, String>) -> Vec<StageView> {
    assembled
        .stages
        .iter()
        .map(|stage| StageView {
            id: stage.stage.clone(),
            label: tr.label("stage", &stage.stage),
            current: stage.current,
            checks: stage
                .checks
                .iter()
                .map(|check| CheckView {
                    label: tr.label("check", &check.check),
                    done: check.done,
                    recorded: check.ticked.as_ref().map(|ticked| {
                        recorded_line(tr, "case-recorded-by", ticked.actor, ticked.at, names)
                    }),
                    findings: check
                        .findings
                        .iter()
                        .map(|finding| RecordedView {
                            check: tr.label("group", finding.group.as_str()),
                            actor: name_of(finding.recorded.actor, names),
                            at: views::date_time(finding.recorded.at),
                            fields: labelled(tr, &finding.findings),
                        })
                        .collect(),
                })
                .collect(),
            examinations: stage
                .examinations
                .iter()
                .map(|examination| {
                    tr.args(
                        "dossier-examination",
                        vec![
                            ("round", ArgValue::from(u64::from(examination.round))),
                            (
                                "outcome",
                                ArgValue::from(tr.label("outcome", examination.outcome.as_str())),
                            ),
                            (
                                "actor",
                                ArgValue::from(name_of(Some(examination.examiner), names)),
                            ),
                            ("at", ArgValue::from(views::date_time(examination.at))),
                        ],
                    )
                })
                .collect(),
        })
        .collect()
}

fn name_of(actor: Option<StaffId>, names: &BTreeMap<StaffId, String>) -> String {
    actor
        .and_then(|actor| names.get(&actor).cloned())
        .unwrap_or_default()
}

fn recorded_line(
    tr: &Tr,
    key: &str,
    actor: Option<StaffId>,
    at: i64,
    names: &BTreeMap<StaffId, String>,
) -> String {
    tr.args(
        key,
        vec![
            ("actor", ArgValue::from(name_of(actor, names))),
            ("at", ArgValue::from(views::date_time(at))),
        ],
    )
}
