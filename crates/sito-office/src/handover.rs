//! The handover to the unit: the recruits assigned to units, on the unit commander's queue, with only what the
//! need-to-know policy lets a commander see of each (the call sign is on the case itself; the training record and
//! its findings come through `policy::permit`, never around it).
use std::collections::BTreeMap;

use sito_core::policy::{Assignment, permit};
use sito_core::{FieldGroup, Role, Status};
use sito_store::{CaseFilter, CaseOrder, CaseSummary};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::i18n::Tr;
use crate::views;

pub use crate::views::{Handover, HandoverRow};

/// How many handovers the queue lists, newest first: the commander's recent arrivals, not an archive.
const SHOWN: u32 = 50;

/// The recruits handed over, as `staff` may see them. The queue's search and track filters narrow it too.
pub(crate) async fn handed_over(
    state: &AppState,
    staff: &Staff,
    tr: &Tr,
    search: Option<String>,
    category: Option<sito_core::Category>,
) -> Result<Handover, WebError> {
    // Completed means the case reached the final stage with a unit (the fold derives it), which the commander owns.
    let filter = CaseFilter {
        owner_role: Some(Role::UnitCommander),
        status: Some(Status::Completed),
        call_sign: search,
        category,
        order: CaseOrder::NewestInStage,
        ..CaseFilter::default()
    };
    let stored = state.store.list_cases(&filter, 1, SHOWN).await?;
    let units: BTreeMap<_, _> = state
        .store
        .list_units()
        .await?
        .into_iter()
        .map(|(unit, _)| (unit.id, unit.name))
        .collect();
    let staff_names = crate::frame::staff_call_signs(state).await?;
    let mut rows = Vec::with_capacity(stored.cases.len());
    for case in &stored.cases {
        rows.push(row(state, staff, tr, case, &units, &staff_names).await?);
    }
    Ok(Handover {
        total_label: tr.t1("cases-total", "total", stored.total),
        rows,
    })
}

async fn row(
    state: &AppState,
    staff: &Staff,
    tr: &Tr,
    case: &CaseSummary,
    units: &BTreeMap<sito_core::UnitId, String>,
    staff_names: &BTreeMap<sito_core::StaffId, String>,
) -> Result<HandoverRow, WebError> {
    let phase = state
        .pipeline
        .stage(&case.stage)
        .map(|stage| stage.phase)
        .ok_or_else(|| WebError::Internal("stage not in pipeline".into()))?;
    // The same rule as the case page: a case is the reader's when it sits in a stage their role owns.
    let assignment = if case.owner_role == staff.role {
        Assignment::Assigned
    } else {
        Assignment::NotAssigned
    };
    let may_see =
        |group: FieldGroup| permit(staff.id, staff.role, case.id, group, phase, assignment);
    let mut training = Vec::new();
    let mut findings = Vec::new();
    if let Some(granted) = may_see(FieldGroup::Training) {
        let content =
            sito_core::CaseContent::new(case.id, state.store.case_content(case.id).await?);
        if let Some(group) = content.group(&granted) {
            training = group
                .fields
                .iter()
                .map(|field| (tr.label("field", &field.key), field.value.expose().clone()))
                .collect();
        }
        let events = state.store.case_events(case.id).await?;
        findings = crate::findings::visible(
            tr,
            &crate::findings::recorded(&events),
            |group| group == FieldGroup::Training && may_see(group).is_some(),
            staff_names,
        );
    }
    Ok(HandoverRow {
        id: case.id.to_string(),
        call_sign: case.call_sign.clone(),
        unit: case
            .unit
            .and_then(|unit| units.get(&unit).cloned())
            .unwrap_or_default(),
        assigned: views::date(case.stage_entered_at),
        training,
        findings,
    })
}
