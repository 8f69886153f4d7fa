//! The auditor's pages: a search of the audit log and the list of alerts. They show who did what to which case
//! and when, never case content (the details hold group names and the reasons staff gave).
use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use sito_store::audit::{AuditFilter, StoredAudit};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::views::{self, Chrome};

pub struct AuditRow {
    pub sequence: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
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
    rows: Vec<AuditRow>,
}

async fn rows(state: &AppState, entries: Vec<StoredAudit>) -> Result<Vec<AuditRow>, WebError> {
    // Actors are staff ids in the log; the auditor reads call signs.
    let names: BTreeMap<String, String> = state
        .store
        .list_staff()
        .await?
        .into_iter()
        .map(|member| (member.id.to_string(), member.call_sign))
        .collect();
    Ok(entries
        .into_iter()
        .map(|stored| {
            let record = stored.entry.record;
            AuditRow {
                sequence: stored.entry.sequence,
                at: views::date_time(record.time_unix_ms / 1000),
                actor: names.get(&record.actor).cloned().unwrap_or(record.actor),
                action: record.action,
                subject: record.subject,
                detail: stored.detail,
            }
        })
        .collect())
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
    let filter = AuditFilter {
        actor,
        action_prefix: pick(&query, "action"),
        subject: pick(&query, "subject"),
        since_ms: None,
        until_ms: None,
        limit: 200,
    };
    let entries = state.store.search_audit(&filter).await?;
    let chrome = chrome(&staff, "/audit", "/audit");
    let title = chrome.tr.t("audit-title");
    render(AuditPage {
        title,
        alerts_only: false,
        actor: pick(&query, "actor").unwrap_or_default(),
        action: filter.action_prefix.clone().unwrap_or_default(),
        subject: filter.subject.clone().unwrap_or_default(),
        rows: rows(&state, entries).await?,
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
    render(AuditPage {
        title,
        alerts_only: true,
        actor: String::new(),
        action: String::new(),
        subject: String::new(),
        rows: rows(&state, entries).await?,
        chrome,
    })
}
