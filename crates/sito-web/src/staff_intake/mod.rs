//! The staff side of intake (issue 3): assisted intake (a coordinator enters an application taken on paper or by
//! phone), a case's stored files as guarded downloads, and the applicant's message thread with the office's replies.
//!
//! Architecture invariant: none of these pages reaches case content except through `sito_core::policy::permit`
//! (Documents for files, Contacts for the thread), and every download, thread read, reply and assisted entry is
//! chained into the audit log before the answer leaves.
pub(crate) mod assisted;
pub(crate) mod files;
pub(crate) mod messages;

use std::sync::Arc;

use axum::{Extension, Router};
use sito_core::policy::{Access, Assignment, Permit, decide, permit};
use sito_core::{CaseId, FieldGroup, Phase, Role};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::intake::pull::OfficePuller;

/// The staff site's link to the intake: the office side of the pull, holding the keyring that opens what applicants
/// sealed and the channel that files assisted applications and sends replies. Absent when the office runs without
/// an intake (`sito office` without `--intake-url`); the pages then say so instead of failing.
#[derive(Clone)]
pub struct IntakeLink(Arc<OfficePuller>);

/// Gives the staff site's handlers the link to the intake, when the office pulls from one.
pub fn with_intake_link(router: Router, puller: Option<OfficePuller>) -> Router {
    match puller {
        Some(puller) => router.layer(Extension(IntakeLink(Arc::new(puller)))),
        None => router,
    }
}

pub(crate) type MaybeLink = Option<Extension<IntakeLink>>;

pub(crate) fn puller(link: &MaybeLink) -> Option<&OfficePuller> {
    link.as_ref()
        .map(|Extension(IntakeLink(puller))| puller.as_ref())
}

/// Whether the policy grants `group` to `role` in any phase of a case. Route gates use it so that a route admits
/// exactly the roles the policy may ever grant; the handler then asks the policy about the case at hand.
pub(crate) fn may_ever_see(role: Role, group: FieldGroup) -> bool {
    Phase::ALL
        .iter()
        .any(|phase| decide(role, group, *phase, Assignment::Assigned) == Access::Allow)
}

/// The policy's permit for one group of a case as it stands now, or 403.
pub(crate) async fn case_permit(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    group: FieldGroup,
) -> Result<Permit, WebError> {
    let summary = state.store.case_summary(id).await?;
    let phase = state
        .pipeline
        .stage(&summary.stage)
        .map(|stage| stage.phase)
        .ok_or_else(|| WebError::Internal("stage not in pipeline".into()))?;
    let assignment = if summary.owner_role == staff.role {
        Assignment::Assigned
    } else {
        Assignment::NotAssigned
    };
    permit(staff.id, staff.role, id, group, phase, assignment).ok_or(WebError::Forbidden)
}

/// An id that is not a UUID can't name a case: answered as for an unknown case.
pub(crate) fn parse_case_id(text: &str) -> Result<CaseId, WebError> {
    text.parse().map_err(|_| WebError::NotFound)
}

pub(crate) fn form_fields(form: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(form).into_owned().collect()
}

/// Chains one entry into the audit log; the caller's answer waits for it (no entry, no action).
pub(crate) async fn audit(
    state: &AppState,
    staff: &Staff,
    action: &str,
    subject: &str,
    detail: String,
) -> Result<(), WebError> {
    state
        .store
        .record_audit(&[sito_store::audit::AuditInput {
            at_ms: crate::now_ms(),
            actor: staff.id.to_string(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail,
        }])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_gates_follow_the_policy() {
        let documents: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|role| may_ever_see(*role, FieldGroup::Documents))
            .collect();
        assert_eq!(
            documents,
            [
                Role::IntakeCoordinator,
                Role::SecurityOfficer,
                Role::BoardMember
            ]
        );
        let contacts: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|role| may_ever_see(*role, FieldGroup::Contacts))
            .collect();
        assert_eq!(
            contacts,
            [
                Role::IntakeCoordinator,
                Role::SecurityOfficer,
                Role::LogisticsOfficer
            ]
        );
    }
}
