//! The case lists: the work queue and the filtered list of all cases.
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use sito_core::{Category, Role, Status};
use sito_store::{CaseFilter, CasePage as StoredPage, CaseSummary};

use crate::access::{StaffRoute, route_allowed};
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::views::{self, CaseRow, Filters, ListPage};
use crate::{AppState, now};

pub(crate) const PER_PAGE: u32 = 50;

pub(crate) fn parse_page(query: &HashMap<String, String>) -> Result<u32, WebError> {
    match query.get("page").map(String::as_str) {
        None | Some("") => Ok(1),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|page| (1..=1_000_000).contains(page))
            .ok_or_else(|| WebError::BadRequest("page".into())),
    }
}

pub(crate) fn case_row(state: &AppState, tr: &Tr, case: &CaseSummary, now: i64) -> CaseRow {
    let target_days = state
        .pipeline
        .stage(&case.stage)
        .map(|stage| stage.target_days)
        .unwrap_or(0);
    let age_days = (now - case.stage_entered_at).max(0) / 86_400;
    CaseRow {
        id: case.id.to_string(),
        version: case.version,
        call_sign: case.call_sign.clone(),
        category: tr.label("category", case.category.as_str()),
        stage: tr.label("stage", &case.stage),
        owner: tr.label("role", case.owner_role.as_str()),
        status: tr.label("status", case.status.as_str()),
        status_class: views::status_class(case.status),
        received: views::date(case.received_at),
        age_days,
        target_days,
        // Only past the stage's own target from the pipeline: a queue where everything is "overdue" says nothing.
        overdue: case.status == Status::Active
            && state
                .pipeline
                .is_overdue(&case.stage, case.stage_entered_at, now),
        action_needed: case.action_needed,
        open_flags: case.open_flags,
    }
}

pub(crate) fn list_page(
    state: &AppState,
    staff: &Staff,
    path: &str,
    active: &'static str,
    title: String,
    stored: StoredPage,
    page_href: impl Fn(u32) -> String,
) -> ListPage {
    let chrome = chrome(staff, path, active);
    let tr = chrome.tr.clone();
    let now = now();
    let pages = stored.page_count();
    ListPage {
        title,
        intro: None,
        notice: None,
        filters: None,
        total_label: tr.t1("cases-total", "total", stored.total),
        empty_label: tr.t("cases-empty"),
        rows: stored
            .cases
            .iter()
            .map(|case| case_row(state, &tr, case, now))
            .collect(),
        page_label: tr.args(
            "page-of",
            vec![("page", stored.page.into()), ("pages", pages.into())],
        ),
        prev_href: (stored.page > 1).then(|| page_href(stored.page - 1)),
        next_href: (stored.page < pages).then(|| page_href(stored.page + 1)),
        chrome,
    }
}

pub(crate) async fn queue(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let page = parse_page(&query)?;
    let filter = CaseFilter {
        owner_role: Some(staff.role),
        status: Some(Status::Active),
        oldest_in_stage_first: true,
        ..CaseFilter::default()
    };
    let stored = state.store.list_cases(&filter, page, PER_PAGE).await?;
    let tr = crate::i18n::tr(staff.lang);
    let mut view = list_page(
        &state,
        &staff,
        "/queue",
        "/queue",
        tr.t("queue-title"),
        stored,
        |page| format!("/queue?page={page}"),
    );
    view.intro = Some(tr.t("queue-intro"));
    view.empty_label = tr.t("queue-empty");
    render(view)
}

pub(crate) async fn cases(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let page = parse_page(&query)?;
    let pick = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let stage = pick("stage")
        .map(|stage| {
            state
                .pipeline
                .stage(stage)
                .map(|stage| stage.id.clone())
                .ok_or_else(|| WebError::BadRequest("stage".into()))
        })
        .transpose()?;
    let category = pick("category")
        .map(|text| Category::parse(text).ok_or_else(|| WebError::BadRequest("category".into())))
        .transpose()?;
    let owner_role = pick("owner")
        .map(|text| Role::parse(text).ok_or_else(|| WebError::BadRequest("owner".into())))
        .transpose()?;
    let status = pick("status")
        .map(|text| Status::parse(text).ok_or_else(|| WebError::BadRequest("status".into())))
        .transpose()?;
    let filter = CaseFilter {
        stage,
        category,
        owner_role,
        status,
        oldest_in_stage_first: false,
    };
    let stored = state.store.list_cases(&filter, page, PER_PAGE).await?;

    let mut params: Vec<(&str, String)> = Vec::new();
    for name in ["stage", "category", "owner", "status"] {
        if let Some(value) = pick(name) {
            params.push((name, value.to_owned()));
        }
    }
    let href = move |page: u32| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &params {
            serializer.append_pair(name, value);
        }
        serializer.append_pair("page", &page.to_string());
        format!("/cases?{}", serializer.finish())
    };
    let tr = crate::i18n::tr(staff.lang);
    let mut view = list_page(
        &state,
        &staff,
        "/cases",
        "/cases",
        tr.t("cases-title"),
        stored,
        href,
    );
    if let Some(done) = query
        .get("done")
        .and_then(|count| count.parse::<u32>().ok())
    {
        view.notice = Some(tr.t1("bulk-done", "count", done));
    }
    view.filters = Some(filters(&state, &tr, &filter));
    render(view)
}

pub(crate) fn filters(state: &AppState, tr: &Tr, filter: &CaseFilter) -> Filters {
    let option = |value: &str, label: String, selected: bool| views::SelectOption {
        value: value.to_owned(),
        label,
        selected,
    };
    let mut seen = std::collections::BTreeSet::new();
    let stages = state
        .pipeline
        .stages()
        .iter()
        .filter(|stage| seen.insert(stage.id.clone()))
        .map(|stage| {
            option(
                &stage.id,
                tr.label("stage", &stage.id),
                filter.stage.as_deref() == Some(stage.id.as_str()),
            )
        })
        .collect();
    let categories = Category::ALL
        .iter()
        .map(|c| {
            option(
                c.as_str(),
                tr.label("category", c.as_str()),
                filter.category == Some(*c),
            )
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .filter(|role| route_allowed(StaffRoute::CaseView, **role))
        .map(|r| {
            option(
                r.as_str(),
                tr.label("role", r.as_str()),
                filter.owner_role == Some(*r),
            )
        })
        .collect();
    let statuses = [
        Status::Active,
        Status::Rejected,
        Status::Withdrawn,
        Status::Held,
        Status::Referred,
        Status::Completed,
    ]
    .iter()
    .map(|s| {
        option(
            s.as_str(),
            tr.label("status", s.as_str()),
            filter.status == Some(*s),
        )
    })
    .collect();
    Filters {
        selects: vec![
            views::Select {
                name: "stage",
                label: tr.t("col-stage"),
                options: stages,
            },
            views::Select {
                name: "category",
                label: tr.t("col-category"),
                options: categories,
            },
            views::Select {
                name: "owner",
                label: tr.t("col-owner"),
                options: roles,
            },
            views::Select {
                name: "status",
                label: tr.t("col-status"),
                options: statuses,
            },
        ],
    }
}

// ---- Case page ----
