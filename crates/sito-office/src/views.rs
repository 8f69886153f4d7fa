//! Template structs: what each page shows, already translated and filtered by the policy. Templates hold layout
//! only; every string they print comes from here or from the Fluent files.
use askama::Template;

use crate::i18n::{Lang, Tr};

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub active: bool,
}

pub struct StaffChrome {
    pub signed_in: String,
    pub nav: Vec<NavItem>,
}

pub struct LanguageChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page around the content shows.
pub struct Chrome {
    pub tr: Tr,
    pub staff: Option<StaffChrome>,
    pub csrf: String,
    /// The current path, URL-encoded, so the language switch returns here.
    pub back: String,
    pub languages: Vec<LanguageChoice>,
}

impl Chrome {
    pub fn new(lang: Lang, back_path: &str) -> Self {
        let languages = [(Lang::Ru, "RU"), (Lang::Uk, "UK"), (Lang::En, "EN")]
            .into_iter()
            .map(|(choice, label)| LanguageChoice {
                code: choice.code(),
                label,
                current: choice == lang,
            })
            .collect();
        let back = form_urlencoded::byte_serialize(back_path.as_bytes()).collect();
        Self {
            tr: crate::i18n::tr(lang),
            staff: None,
            csrf: String::new(),
            back,
            languages,
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    /// Why the last attempt failed (wrong credentials, or the account is locked for a while).
    pub failure: Option<String>,
    pub call_sign: String,
    pub hint: String,
}

pub struct CaseRow {
    pub id: String,
    pub version: u64,
    pub call_sign: String,
    pub category: String,
    pub stage: String,
    pub owner: String,
    pub status: String,
    pub status_class: &'static str,
    pub received: String,
    pub age_days: i64,
    pub target_days: u32,
    pub overdue: bool,
    pub action_needed: bool,
    pub open_flags: u32,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Select {
    pub name: &'static str,
    pub label: String,
    pub options: Vec<SelectOption>,
}

pub struct Filters {
    /// The list the form filters (`/queue` or `/cases`).
    pub action: &'static str,
    pub selects: Vec<Select>,
    /// The call-sign search as typed.
    pub search: String,
    pub search_max: usize,
    pub min_age: String,
    pub max_age: u32,
    pub overdue: bool,
    pub sorts: Vec<SelectOption>,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub title: String,
    pub intro: Option<String>,
    pub notice: Option<String>,
    pub filters: Option<Filters>,
    /// The unit commander's recruits handed over (on their queue).
    pub handover: Option<Handover>,
    pub total_label: String,
    pub empty_label: String,
    pub rows: Vec<CaseRow>,
    pub page_label: String,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

pub struct CheckItem {
    pub id: String,
    pub label: String,
    pub done: bool,
    pub can_tick: bool,
    /// A booking check: set by the planning commit, never offered by hand.
    pub set_by_planning: bool,
    /// Why the owner can't record it now, in their language.
    pub why_disabled: Option<String>,
    /// The findings form the check's declaration generates.
    pub inputs: Vec<FindingInput>,
}

pub struct GroupView {
    pub id: &'static str,
    pub label: String,
    /// Identity held back until the reader states a reason (the reveal form is shown instead).
    pub sealed: bool,
    pub fields: Vec<(String, String)>,
}

pub struct HistoryItem {
    pub at: String,
    pub label: String,
    pub actor: String,
    pub detail: String,
}

#[derive(Default)]
pub struct Actions {
    pub can_advance: bool,
    pub can_approve: bool,
    pub show_approvals: bool,
    pub can_polygraph: bool,
    pub can_assign: bool,
    pub can_reopen: bool,
    pub can_return: bool,
    pub can_clear: bool,
    /// For each action the owner is offered: why it can't run now (the button is shown disabled).
    pub advance_disabled: Option<String>,
    pub approve_disabled: Option<String>,
    pub polygraph_disabled: Option<String>,
    pub assign_disabled: Option<String>,
    /// The examination report's fields (the result is the outcome chosen beside them).
    pub polygraph_inputs: Vec<FindingInput>,
    /// The approval's reasons.
    pub approve_inputs: Vec<FindingInput>,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    /// Forms post to the case's own path (the page is also the answer to a reveal, served from another path).
    pub case_id: String,
    pub title: String,
    pub notice: Option<String>,
    pub status: String,
    pub status_class: &'static str,
    pub category: String,
    pub stage: String,
    pub owner: String,
    pub received: String,
    pub age_days: i64,
    pub target_days: u32,
    pub overdue: bool,
    pub action_needed: bool,
    pub version: u64,
    pub checklist: Vec<CheckItem>,
    pub groups: Vec<GroupView>,
    pub hidden_groups: String,
    pub history: Vec<HistoryItem>,
    /// The case's stored files, for viewers holding the Documents permit (`staff_intake::files`).
    pub files: Vec<FileLink>,
    /// The applicant's message thread, for viewers holding the Contacts permit (`staff_intake::messages`).
    pub messages_href: Option<String>,
    pub actions: Actions,
    pub approvals_label: String,
    pub outcomes: Vec<(&'static str, String)>,
    pub units: Vec<(String, String)>,
    pub flags: Vec<String>,
    /// The case's linked group page, for those who may see it, once link analysis flagged the case.
    pub cluster_href: Option<String>,
    pub closures: Vec<(&'static str, String)>,
    /// Recorded findings of the groups the reader may see.
    pub findings: Vec<RecordedGroup>,
    /// The pipeline's refusal reasons (id, label) for the reject form.
    pub refusal_reasons: Vec<(String, String)>,
}

pub struct UnitRow {
    pub name: String,
    pub strength: u32,
    pub target: u32,
    pub high: u32,
    pub free: u32,
}

#[derive(Template)]
#[template(path = "units.html")]
pub struct UnitsPage {
    pub chrome: Chrome,
    pub units: Vec<UnitRow>,
}

/// `YYYY-MM-DD` of a Unix time, in UTC.
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|moment| {
            let date = moment.date();
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        })
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` of a Unix time, in UTC.
pub fn date_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|moment| format!("{} {:02}:{:02}", date(unix), moment.hour(), moment.minute()))
        .unwrap_or_default()
}

pub fn status_class(status: sito_core::Status) -> &'static str {
    status.as_str()
}

/// One generated form field: posted as `finding.KEY`, which `command_from_form` hands to the machine.
pub struct FindingInput {
    pub name: String,
    pub label: String,
    /// `text`, `choice`, `number`, `date` or `attachment` (the template picks the control).
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<(String, String)>,
    pub max_length: usize,
    pub min: i64,
    pub max: i64,
}

/// A finding as a reader sees it: which check, who recorded it and when, and the labelled values.
pub struct RecordedView {
    pub check: String,
    pub actor: String,
    pub at: String,
    pub fields: Vec<(String, String)>,
}

/// Recorded findings of one field group.
pub struct RecordedGroup {
    pub id: &'static str,
    pub label: String,
    pub items: Vec<RecordedView>,
}

pub struct HandoverRow {
    pub id: String,
    pub call_sign: String,
    pub unit: String,
    pub assigned: String,
    /// The training group's fields, if the policy grants them.
    pub training: Vec<(String, String)>,
    /// Recorded findings of the groups the policy grants (the training group's, for a commander).
    pub findings: Vec<RecordedGroup>,
}

pub struct Handover {
    pub total_label: String,
    pub rows: Vec<HandoverRow>,
}

/// The case's files listed for the case page: one link each, quarantined ones marked.
pub struct FileLink {
    pub href: String,
    pub label: String,
    pub quarantined: bool,
}
