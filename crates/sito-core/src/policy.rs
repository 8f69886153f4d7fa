//! Need to know: one function decides whether a role may see a field group of a case at a stage, and case content
//! is reachable only through a `Permit` that function hands out.
//!
//! Architecture invariant: `Permit` has private fields and no public constructor; `CaseContent::group` demands one
//! for the same case and group. A handler that forgets the policy check cannot read a field: it does not compile.
use std::collections::BTreeMap;

use zeroize::Zeroize;

use crate::ids::{CaseId, StaffId};
use crate::model::{FieldGroup, Phase, Role};
use crate::sensitive::Sensitive;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Allow,
    Deny,
}

/// Whether the actor is assigned to the case (today: it sits in a stage their role owns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    Assigned,
    NotAssigned,
}

/// The access policy: role × field group × phase of the case's stage × assignment → allow or deny.
/// DESIGN.md section 1 is the source of each rule.
pub fn decide(role: Role, group: FieldGroup, phase: Phase, assignment: Assignment) -> Access {
    use FieldGroup as G;
    use Role as R;
    let assigned = assignment == Assignment::Assigned;
    let allow = match role {
        // Full case view; every read of identity is audited by the caller.
        R::SecurityOfficer => true,
        // Triage and correspondence: never screening, psychologist or polygraph findings.
        R::IntakeCoordinator => matches!(
            group,
            G::Identity
                | G::Contacts
                | G::Location
                | G::MilitaryBackground
                | G::Motivation
                | G::Documents
                | G::Decision
        ),
        // Arranges the meeting and transfer: contacts, location and logistics, only while the case is at the meeting
        // and they are working it; a name for the transfer only then too. Never content, screening or findings.
        R::LogisticsOfficer => match group {
            G::Logistics => true,
            G::Identity | G::Contacts | G::Location => phase == Phase::Meeting && assigned,
            _ => false,
        },
        // Never contacts, real name or screening.
        R::Psychologist => {
            matches!(group, G::MilitaryBackground | G::Motivation | G::Psychology)
                && phase.rank() >= Phase::Meeting.rank()
        }
        // Never contacts; the polygraph group is hidden while the second examination is pending, so the second
        // examiner cannot see the first result before recording their own.
        R::PolygraphExaminer => match group {
            G::MilitaryBackground | G::Motivation => phase.rank() >= Phase::Interview.rank(),
            G::Polygraph => {
                phase != Phase::SecondPolygraph && phase.rank() >= Phase::FirstPolygraph.rank()
            }
            _ => false,
        },
        // Summary view for the decision: everything but identity and contacts.
        R::BoardMember => !matches!(group, G::Identity | G::Contacts | G::Location),
        // Never real names, contacts or vetting findings.
        R::TrainingOfficer => {
            matches!(group, G::MilitaryBackground | G::Training)
                && phase.rank() >= Phase::Training.rank()
        }
        // The handover: once the recruit is assigned to their unit (the call sign is on the case itself), the
        // training record and report date, nothing else.
        R::UnitCommander => group == G::Training && phase == Phase::Assigned && assigned,
        // Audit log and alerts, users and keys: never case content.
        R::Auditor | R::Administrator => false,
    };
    if allow { Access::Allow } else { Access::Deny }
}

/// Whether the policy grants `group` to `role` in any phase of a case. Route gates use it so that a route serving
/// one group admits exactly the roles the policy may ever grant it; the handler then asks about the case at hand.
pub fn may_ever_see(role: Role, group: FieldGroup) -> bool {
    Phase::ALL
        .iter()
        .any(|phase| decide(role, group, *phase, Assignment::Assigned) == Access::Allow)
}

/// Proof that the policy allowed an actor to see one field group of one case.
#[derive(Debug)]
pub struct Permit {
    case: CaseId,
    group: FieldGroup,
    actor: StaffId,
}

impl Permit {
    pub fn case(&self) -> CaseId {
        self.case
    }
    pub fn group(&self) -> FieldGroup {
        self.group
    }
    pub fn actor(&self) -> StaffId {
        self.actor
    }
}

/// The one way to a `Permit`: ask the policy.
pub fn permit(
    actor: StaffId,
    role: Role,
    case: CaseId,
    group: FieldGroup,
    phase: Phase,
    assignment: Assignment,
) -> Option<Permit> {
    match decide(role, group, phase, assignment) {
        Access::Allow => Some(Permit { case, group, actor }),
        Access::Deny => None,
    }
}

/// One labelled field of a group (e.g. "full_name" in identity). Values are sensitive by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub value: Sensitive<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupContent {
    pub fields: Vec<Field>,
}

impl GroupContent {
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.fields.push(Field {
            key: key.to_owned(),
            value: Sensitive::new(value.into()),
        });
    }
}

impl Zeroize for GroupContent {
    fn zeroize(&mut self) {
        // Each value zeroises itself on drop; clearing drops them now.
        self.fields.clear();
    }
}

/// A case's content, split by field group. Readable only with permits.
#[derive(Debug, Default)]
pub struct CaseContent {
    case: Option<CaseId>,
    groups: BTreeMap<FieldGroup, GroupContent>,
}

impl CaseContent {
    pub fn new(case: CaseId, groups: BTreeMap<FieldGroup, GroupContent>) -> Self {
        Self {
            case: Some(case),
            groups,
        }
    }

    /// The group the permit names, if the permit is for this case.
    pub fn group(&self, permit: &Permit) -> Option<&GroupContent> {
        if self.case != Some(permit.case) {
            return None;
        }
        self.groups.get(&permit.group)
    }

    /// Consumes the content into its groups for storage; only adapters that persist content call this.
    pub fn into_groups(self) -> BTreeMap<FieldGroup, GroupContent> {
        self.groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn phase_of_each() -> impl Iterator<Item = Phase> {
        Phase::ALL.iter().copied()
    }

    /// DESIGN.md section 1, "what they must never see", at every phase and assignment.
    #[test]
    fn no_role_ever_sees_what_design_forbids() {
        use FieldGroup as G;
        let forbidden: &[(Role, &[FieldGroup])] = &[
            (
                Role::IntakeCoordinator,
                &[G::Screening, G::Psychology, G::Polygraph],
            ),
            (
                Role::LogisticsOfficer,
                &[
                    G::Motivation,
                    G::MilitaryBackground,
                    G::Documents,
                    G::Screening,
                    G::Psychology,
                    G::Polygraph,
                    G::Decision,
                ],
            ),
            (
                Role::Psychologist,
                &[G::Contacts, G::Identity, G::Screening],
            ),
            (Role::PolygraphExaminer, &[G::Contacts, G::Identity]),
            (
                Role::TrainingOfficer,
                &[
                    G::Identity,
                    G::Contacts,
                    G::Screening,
                    G::Psychology,
                    G::Polygraph,
                ],
            ),
            (
                Role::UnitCommander,
                &[
                    G::Identity,
                    G::Contacts,
                    G::Screening,
                    G::Psychology,
                    G::Polygraph,
                ],
            ),
            (Role::Auditor, G::ALL),
            (Role::Administrator, G::ALL),
        ];
        for (role, groups) in forbidden {
            for group in *groups {
                for phase in phase_of_each() {
                    for assignment in [Assignment::Assigned, Assignment::NotAssigned] {
                        assert_eq!(
                            decide(*role, *group, phase, assignment),
                            Access::Deny,
                            "{role} {group} {phase}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_unit_commander_sees_only_the_training_record_of_a_recruit_handed_over() {
        for group in FieldGroup::ALL {
            for phase in phase_of_each() {
                for assignment in [Assignment::Assigned, Assignment::NotAssigned] {
                    let expected = *group == FieldGroup::Training
                        && phase == Phase::Assigned
                        && assignment == Assignment::Assigned;
                    assert_eq!(
                        decide(Role::UnitCommander, *group, phase, assignment) == Access::Allow,
                        expected,
                        "{group} {phase} {assignment:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn second_examiner_cannot_see_the_first_result() {
        let at_second = decide(
            Role::PolygraphExaminer,
            FieldGroup::Polygraph,
            Phase::SecondPolygraph,
            Assignment::Assigned,
        );
        assert_eq!(at_second, Access::Deny);
        let at_first = decide(
            Role::PolygraphExaminer,
            FieldGroup::Polygraph,
            Phase::FirstPolygraph,
            Assignment::Assigned,
        );
        assert_eq!(at_first, Access::Allow);
    }

    #[test]
    fn logistics_sees_contacts_only_while_arranging_the_meeting() {
        let during = decide(
            Role::LogisticsOfficer,
            FieldGroup::Contacts,
            Phase::Meeting,
            Assignment::Assigned,
        );
        let before = decide(
            Role::LogisticsOfficer,
            FieldGroup::Contacts,
            Phase::Vetting,
            Assignment::Assigned,
        );
        let elsewhere = decide(
            Role::LogisticsOfficer,
            FieldGroup::Contacts,
            Phase::Meeting,
            Assignment::NotAssigned,
        );
        assert_eq!(
            (during, before, elsewhere),
            (Access::Allow, Access::Deny, Access::Deny)
        );
    }

    #[test]
    fn content_is_reachable_only_with_a_permit_for_that_case() {
        let case = CaseId::from_uuid(Uuid::from_u128(1));
        let other = CaseId::from_uuid(Uuid::from_u128(2));
        let actor = StaffId::from_uuid(Uuid::from_u128(3));
        let mut identity = GroupContent::default();
        identity.push("full_name", "Андронников Максимилиан Сергеевич");
        let content = CaseContent::new(case, BTreeMap::from([(FieldGroup::Identity, identity)]));

        let for_case = permit(
            actor,
            Role::SecurityOfficer,
            case,
            FieldGroup::Identity,
            Phase::Vetting,
            Assignment::Assigned,
        )
        .expect("security officer may read identity");
        assert!(content.group(&for_case).is_some());
        let for_other = permit(
            actor,
            Role::SecurityOfficer,
            other,
            FieldGroup::Identity,
            Phase::Vetting,
            Assignment::Assigned,
        )
        .expect("permit");
        assert!(
            content.group(&for_other).is_none(),
            "a permit for another case opens nothing"
        );
        assert!(
            permit(
                actor,
                Role::Psychologist,
                case,
                FieldGroup::Identity,
                Phase::Interview,
                Assignment::Assigned
            )
            .is_none()
        );
    }
}
