//! Plain records the store hands back. They hold no policy: callers go through sito-core's policy before showing
//! anything from a case.
use sito_core::machine::{CaseState, Event};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Role, StaffId, Status, UnitId};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct NewStaff {
    pub id: StaffId,
    pub call_sign: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: i64,
}

#[derive(Clone, Debug)]
pub struct StaffRecord {
    pub id: StaffId,
    pub call_sign: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    /// The enrolled TOTP secret (base32); `None` until enrolment is confirmed with a code.
    pub totp_secret: Option<String>,
    /// A secret offered on the enrolment page, waiting for its first code.
    pub totp_pending: Option<String>,
    /// The last accepted TOTP time step: a code for this step or an earlier one is refused (no replay).
    pub totp_last_step: i64,
    /// Consecutive failed sign-ins since the last success.
    pub failed_logins: u32,
    /// Sign-in is refused until this time (Unix seconds), whatever is presented.
    pub locked_until: i64,
}

/// A login session. Only a hash of the session id is stored, so a copy of the database opens no session.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub id_hash: String,
    pub staff_id: StaffId,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRecord {
    pub id: UnitId,
    pub name: String,
    pub target_strength: u32,
}

/// A case to create: its events so far (at least `Received`), the state they fold to, and its content.
pub struct NewCase {
    pub events: Vec<Event>,
    pub state: CaseState,
    pub owner_role: Role,
    pub content: BTreeMap<FieldGroup, GroupContent>,
}

/// A row of the case list: what lists and queues show without opening the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSummary {
    pub id: CaseId,
    pub category: Category,
    pub call_sign: String,
    pub stage: String,
    pub owner_role: Role,
    pub status: Status,
    pub version: u64,
    pub received_at: i64,
    pub stage_entered_at: i64,
    pub unit: Option<UnitId>,
    pub action_needed: bool,
    pub open_flags: u32,
}

/// Which cases a list shows. Every condition is bound as a parameter; none is ever spliced into SQL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub stage: Option<String>,
    pub category: Option<Category>,
    pub owner_role: Option<Role>,
    pub status: Option<Status>,
    /// A piece of the call sign, matched anywhere in it, ignoring case (`fold_call_sign`). Call signs are what
    /// staff know a case by; no identity field is searchable, by design.
    pub call_sign: Option<String>,
    /// Only cases that entered their current stage at or before this time (Unix seconds): a minimum age in stage.
    pub entered_stage_by: Option<i64>,
    /// Only cases past their stage's own target: each (stage, time) pair admits cases in that stage that entered it
    /// before the time. The pipeline knows the targets, so the caller computes the times; an empty list admits
    /// nothing.
    pub overdue: Option<Vec<(String, i64)>>,
    pub order: CaseOrder,
}

/// The order of a case list. Ties break on arrival order, so pages are stable on either backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// Newest received first: the default of lists.
    #[default]
    NewestReceived,
    /// Longest in the current stage first: the default of queues.
    OldestInStage,
    /// Most recently arrived in the current stage first (e.g. the latest handovers).
    NewestInStage,
    /// By call sign, ignoring case.
    CallSign,
}

/// The form of a call sign searches compare: lower case, and `ё` as `е` (Russian writes them interchangeably).
/// Computed here rather than in SQL so SQLite (whose `lower` knows only ASCII) and PostgreSQL agree.
pub fn fold_call_sign(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

#[derive(Clone, Debug)]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl CasePage {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1)))).max(1) as u32
    }
}

/// What one check (or examination, or approval) found, with who recorded it and when: a dossier line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedFindings {
    pub seq: u64,
    pub at: i64,
    pub actor: Option<StaffId>,
    pub check: String,
    pub group: FieldGroup,
    pub findings: sito_core::findings::Findings,
}
