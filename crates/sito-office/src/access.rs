//! Who may reach which staff route: the one table of roles, and the gates the route table attaches.

use sito_core::{FieldGroup, Role};

/// Every staff route, for the authorisation table and its test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRoute {
    Queue,
    Cases,
    CaseView,
    CaseAction,
    RevealIdentity,
    Bulk,
    Units,
    AuditLog,
    Alerts,
    AssistedIntake,
    CaseFiles,
    CaseMessages,
    Capacity,
    Clusters,
    Planning,
    PlanningEdit,
    Transfers,
}

impl StaffRoute {
    pub const ALL: [StaffRoute; 17] = [
        StaffRoute::AuditLog,
        StaffRoute::Alerts,
        StaffRoute::Queue,
        StaffRoute::Cases,
        StaffRoute::CaseView,
        StaffRoute::CaseAction,
        StaffRoute::RevealIdentity,
        StaffRoute::Bulk,
        StaffRoute::Units,
        StaffRoute::AssistedIntake,
        StaffRoute::CaseFiles,
        StaffRoute::CaseMessages,
        StaffRoute::Capacity,
        StaffRoute::Clusters,
        StaffRoute::Planning,
        StaffRoute::PlanningEdit,
        StaffRoute::Transfers,
    ];
}

/// Which roles may use which route. Case routes are for the roles that work cases; what they then see of a case
/// is the policy's business. Auditors and administrators never reach case content.
pub fn route_allowed(route: StaffRoute, role: Role) -> bool {
    let works_cases = !matches!(role, Role::Auditor | Role::Administrator);
    match route {
        StaffRoute::Queue
        | StaffRoute::Cases
        | StaffRoute::CaseView
        | StaffRoute::CaseAction
        | StaffRoute::RevealIdentity
        | StaffRoute::Bulk => works_cases,
        StaffRoute::Units => true,
        // Entering applications on someone's behalf is the intake coordinator's work alone.
        StaffRoute::AssistedIntake => role == Role::IntakeCoordinator,
        // Files and the applicant's thread: the roles the policy may ever grant the Documents (files) or Contacts
        // (thread) group; the handler asks the policy again for the case at hand.
        StaffRoute::CaseFiles => sito_core::policy::may_ever_see(role, FieldGroup::Documents),
        StaffRoute::CaseMessages => sito_core::policy::may_ever_see(role, FieldGroup::Contacts),
        // The audit log names cases and staff but holds no case content.
        StaffRoute::AuditLog => role == Role::Auditor,
        // The administrator sees the alerts about accounts (bursts of failed sign-ins) only; the page leaves the
        // others out for that role.
        StaffRoute::Alerts => matches!(role, Role::Auditor | Role::Administrator),
        // Capacity planning decides staffing: the board (the office's leadership, which already has the summary
        // view) and the administrator (who manages staff accounts and the pipeline). The page holds aggregate figures
        // only, no case content, but the intake's volume and the office's throughput are operationally sensitive,
        // so not every role sees them.
        StaffRoute::Capacity => matches!(role, Role::BoardMember | Role::Administrator),
        // Linked groups are counter-intelligence work, which DESIGN.md gives the security officer alone (the role
        // that reviews watchlist hits and links and resolves their flags). The pages hold call signs and key kinds,
        // but who is suspected with whom is itself sensitive, so no other role sees them.
        StaffRoute::Clusters => role == Role::SecurityOfficer,
        // Planning visits: the pipeline gives the meeting stage (safe location, date, transfer) to the logistics
        // officer, and committing a plan ticks that stage's booking check, so the logistics officer plans and
        // keeps the locations and the staff calendar. The plan shows call signs, times and staff, never case
        // content. The security officer (full case view, runs the vetting) and the psychologists and polygraph
        // examiners (whose days it fills) may read it; nobody else needs it.
        StaffRoute::Planning => matches!(
            role,
            Role::LogisticsOfficer
                | Role::SecurityOfficer
                | Role::Psychologist
                | Role::PolygraphExaminer
        ),
        StaffRoute::PlanningEdit => role == Role::LogisticsOfficer,
        // The transfers to arrange: the logistics officer's work, and the security officer's full view.
        StaffRoute::Transfers => matches!(role, Role::LogisticsOfficer | Role::SecurityOfficer),
    }
}

/// Who may reach a route, before its handler looks at anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Anyone, signed in or not (sign-in itself, the language switch, the stylesheet).
    Public,
    /// A half-open session: password verified, second factor not yet enrolled.
    Enrolment,
    /// Any fully signed-in staff member, whatever the role.
    AnyStaff,
    /// Fully signed-in staff whose role `route_allowed` admits.
    Staff(StaffRoute),
}

/// One route of the staff site: the method, the path pattern and its gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub method: &'static str,
    pub path: &'static str,
    pub gate: Gate,
}

pub(crate) const fn entry(method: &'static str, path: &'static str, gate: Gate) -> RouteEntry {
    RouteEntry { method, path, gate }
}
