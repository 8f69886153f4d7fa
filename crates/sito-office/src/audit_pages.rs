//! The auditor's pages: a search of the audit log and the list of alerts. They show who did what to which case
//! and when, never case content (the details hold group names and the reasons staff gave).
use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use sito_core::CaseId;
use sito_store::StoreError;
use sito_store::audit::{AuditFilter, StoredAudit};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::views::{self, Chrome};

pub struct AuditRow {
    pub sequence: u64,
    pub at: String,
    pub actor: String,
    /// The log of everything this actor did.
    pub actor_href: Option<String>,
    pub action: String,
    pub subject: String,
    /// The log of everything done to this subject (a case or an account), for the auditor cannot open cases.
    pub subject_href: Option<String>,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    title: String,
    alerts_only: bool,
    actor: String,
    action: String,
    subject: String,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
}

/// The actor of entries the system writes itself (screening, alerts, the pull): no person.
const SYSTEM_ACTOR: &str = "00000000-0000-0000-0000-000000000000";

async fn rows(
    state: &AppState,
    tr: &Tr,
    entries: Vec<StoredAudit>,
) -> Result<Vec<AuditRow>, WebError> {
    // Actors are staff ids in the log; the auditor reads call signs.
    let names: BTreeMap<String, String> = crate::frame::staff_call_signs(state)
        .await?
        .into_iter()
        .map(|(id, call_sign)| (id.to_string(), call_sign))
        .collect();
    // Subjects that are cases are shown by their call sign (never anything of the case's content).
    let mut case_call_signs: BTreeMap<String, Option<String>> = BTreeMap::new();
    for stored in &entries {
        let subject = &stored.entry.record.subject;
        if case_call_signs.contains_key(subject) || names.contains_key(subject) {
            continue;
        }
        let call_sign = match subject.parse::<CaseId>() {
            Ok(id) => match state.store.case_summary(id).await {
                Ok(summary) => Some(summary.call_sign),
                Err(StoreError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            Err(_) => None,
        };
        case_call_signs.insert(subject.clone(), call_sign);
    }
    let system = tr.t("audit-system");
    Ok(entries
        .into_iter()
        .map(|stored| {
            let record = stored.entry.record;
            let (actor, actor_href) = if record.actor == SYSTEM_ACTOR {
                (system.clone(), None)
            } else {
                match names.get(&record.actor) {
                    Some(call_sign) => (call_sign.clone(), Some(audit_href("actor", call_sign))),
                    None => (record.actor, None),
                }
            };
            let subject_label = names
                .get(&record.subject)
                .cloned()
                .or_else(|| case_call_signs.get(&record.subject).cloned().flatten())
                .map(|call_sign| format!("{call_sign} · {}", short_id(&record.subject)));
            let subject_href =
                (!record.subject.is_empty()).then(|| audit_href("subject", &record.subject));
            AuditRow {
                sequence: stored.entry.sequence,
                at: views::date_time(record.time_unix_ms / 1000),
                actor,
                actor_href,
                action: record.action,
                subject: subject_label.unwrap_or(record.subject),
                subject_href,
                detail: stored.detail,
            }
        })
        .collect())
}

/// The first block of an id: enough to tell entries apart at a glance, the link carries the whole id.
fn short_id(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

fn audit_href(name: &str, value: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    format!("/audit?{query}")
}

/// A day `YYYY-MM-DD` (UTC) as the Unix milliseconds of its first moment; `None` for an empty field.
fn day_start_ms(tr: &Tr, field: &str, text: Option<&String>) -> Result<Option<i64>, WebError> {
    let Some(text) = text.map(|text| text.trim()).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let date = sito_core::validate::date(text).map_err(|problem| {
        WebError::BadRequest(format!(
            "{}: {}",
            tr.t(field),
            crate::findings::problem_message(tr, &problem)
        ))
    })?;
    let day = time::Date::from_calendar_date(
        i32::from(date.year),
        time::Month::try_from(date.month).map_err(|_| WebError::BadRequest(tr.t(field)))?,
        date.day,
    )
    .map_err(|_| WebError::BadRequest(tr.t(field)))?;
    Ok(Some(day.midnight().assume_utc().unix_timestamp() * 1000))
}

fn pick(query: &HashMap<String, String>, name: &str) -> Option<String> {
    query
        .get(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty() && value.chars().count() <= 100)
}

pub async fn audit_log(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    // The auditor searches by call sign; the log keeps staff ids.
    let actor = match pick(&query, "actor") {
        Some(call_sign) => match state.store.staff_by_call_sign(&call_sign).await {
            Ok(member) => Some(member.id.to_string()),
            Err(sito_store::StoreError::NotFound) => Some(call_sign),
            Err(other) => return Err(other.into()),
        },
        None => None,
    };
    let chrome = chrome(&staff, "/audit", "/audit");
    let tr = chrome.tr.clone();
    let since_ms = day_start_ms(&tr, "audit-from", query.get("from"))?;
    // "to" names the last day shown: the filter ends at the start of the next.
    let until_ms = day_start_ms(&tr, "audit-to", query.get("to"))?.map(|start| start + 86_400_000);
    let filter = AuditFilter {
        actor,
        action_prefix: pick(&query, "action"),
        subject: pick(&query, "subject"),
        since_ms,
        until_ms,
        limit: 200,
    };
    let entries = state.store.search_audit(&filter).await?;
    let title = tr.t("audit-title");
    render(AuditPage {
        title,
        alerts_only: false,
        actor: pick(&query, "actor").unwrap_or_default(),
        action: filter.action_prefix.clone().unwrap_or_default(),
        subject: filter.subject.clone().unwrap_or_default(),
        from: pick(&query, "from").unwrap_or_default(),
        to: pick(&query, "to").unwrap_or_default(),
        rows: rows(&state, &tr, entries).await?,
        chrome,
    })
}

pub async fn alerts(staff: Staff, State(state): State<AppState>) -> Result<Response, WebError> {
    let filter = AuditFilter {
        action_prefix: Some("alert.".into()),
        limit: 500,
        ..AuditFilter::default()
    };
    let mut entries = state.store.search_audit(&filter).await?;
    // The auditor sees every alert; the administrator, who manages accounts, the alerts about accounts. (Filtered
    // here: the store's prefix search drops `_`, so it cannot name this action exactly.)
    if staff.role != sito_core::Role::Auditor {
        entries.retain(|stored| stored.entry.record.action == crate::alerts::SIGN_IN_FAILURES);
    }
    let chrome = chrome(&staff, "/audit/alerts", "/audit/alerts");
    let title = chrome.tr.t("alerts-title");
    let tr = chrome.tr.clone();
    render(AuditPage {
        title,
        alerts_only: true,
        actor: String::new(),
        action: String::new(),
        subject: String::new(),
        from: String::new(),
        to: String::new(),
        rows: rows(&state, &tr, entries).await?,
        chrome,
    })
}
