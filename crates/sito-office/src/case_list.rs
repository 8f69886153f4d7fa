//! The case lists: the work queue and the filtered list of all cases.
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use sito_core::{Category, Role, Status};
use sito_store::{CaseFilter, CaseOrder, CasePage as StoredPage, CaseSummary};

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
        handover: None,
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

/// How a list may be sorted, by its query-string value.
const SORTS: [(&str, CaseOrder); 3] = [
    ("oldest", CaseOrder::OldestInStage),
    ("newest", CaseOrder::NewestReceived),
    ("call_sign", CaseOrder::CallSign),
];

/// The longest search accepted: call signs are short, and a longer text is a mistake or a probe.
const MAX_SEARCH_CHARS: usize = 64;

/// The longest age in stage one can ask for (ten years): anything beyond is a typing error.
const MAX_AGE_DAYS: u32 = 3_650;

/// What a list's query string asks for, each value checked. A value that does not parse is refused with a 400
/// that says which box was wrong, in the reader's language, rather than being ignored (a list that silently drops
/// a filter looks like an empty result).
struct ListQuery {
    stage: Option<String>,
    category: Option<Category>,
    owner_role: Option<Role>,
    status: Option<Status>,
    search: Option<String>,
    min_age: Option<u32>,
    overdue: bool,
    sort: CaseOrder,
    page: u32,
}

impl ListQuery {
    fn parse(
        state: &AppState,
        tr: &Tr,
        query: &HashMap<String, String>,
        default_sort: CaseOrder,
    ) -> Result<ListQuery, WebError> {
        let pick = |name: &str| {
            query
                .get(name)
                .map(|value| value.trim())
                .filter(|value| !value.is_empty())
        };
        let bad = |key: &str| WebError::BadRequest(tr.t(key));
        let page = parse_page(query).map_err(|_| bad("queue-bad-page"))?;
        let stage = pick("stage")
            .map(|stage| {
                state
                    .pipeline
                    .stage(stage)
                    .map(|stage| stage.id.clone())
                    .ok_or_else(|| bad("queue-bad-stage"))
            })
            .transpose()?;
        let category = pick("category")
            .map(|text| Category::parse(text).ok_or_else(|| bad("queue-bad-category")))
            .transpose()?;
        let owner_role = pick("owner")
            .map(|text| Role::parse(text).ok_or_else(|| bad("queue-bad-owner")))
            .transpose()?;
        let status = pick("status")
            .map(|text| Status::parse(text).ok_or_else(|| bad("queue-bad-status")))
            .transpose()?;
        let search = pick("q")
            .map(|text| {
                if text.chars().count() > MAX_SEARCH_CHARS || text.chars().any(char::is_control) {
                    Err(bad("queue-bad-search"))
                } else {
                    Ok(text.to_owned())
                }
            })
            .transpose()?;
        let min_age = pick("min_age")
            .map(|text| {
                text.parse::<u32>()
                    .ok()
                    .filter(|days| *days <= MAX_AGE_DAYS)
                    .ok_or_else(|| bad("queue-bad-min-age"))
            })
            .transpose()?;
        let overdue = match pick("overdue") {
            None => false,
            Some("1" | "on") => true,
            Some(_) => return Err(bad("queue-bad-overdue")),
        };
        let sort = match pick("sort") {
            None => default_sort,
            Some(text) => SORTS
                .iter()
                .find(|(name, _)| *name == text)
                .map(|(_, order)| *order)
                .ok_or_else(|| bad("queue-bad-sort"))?,
        };
        Ok(ListQuery {
            stage,
            category,
            owner_role,
            status,
            search,
            min_age,
            overdue,
            sort,
            page,
        })
    }

    /// The store's filter. "Overdue" is the pipeline's per-stage target, the same rule each row's badge uses
    /// (`Pipeline::is_overdue`): only active cases, each stage with its own cut-off.
    fn filter(&self, state: &AppState, now: i64) -> CaseFilter {
        let overdue = self.overdue.then(|| {
            if self.status.is_some_and(|status| status != Status::Active) {
                return Vec::new();
            }
            let mut seen = std::collections::BTreeSet::new();
            state
                .pipeline
                .stages()
                .iter()
                .filter(|stage| stage.target_days > 0 && seen.insert(stage.id.clone()))
                .map(|stage| {
                    (
                        stage.id.clone(),
                        now - i64::from(stage.target_days) * 86_400,
                    )
                })
                .collect()
        });
        CaseFilter {
            stage: self.stage.clone(),
            category: self.category,
            owner_role: self.owner_role,
            status: self.status.or(self.overdue.then_some(Status::Active)),
            call_sign: self.search.clone(),
            entered_stage_by: self.min_age.map(|days| now - i64::from(days) * 86_400),
            overdue,
            order: self.sort,
        }
    }

    /// The query string of this list at another page: every filter given survives paging.
    fn href(&self, path: &str, page: u32) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        let mut pair = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                serializer.append_pair(name, value);
            }
        };
        pair("stage", self.stage.as_deref());
        pair("category", self.category.map(|c| c.as_str()));
        pair("owner", self.owner_role.map(|r| r.as_str()));
        pair("status", self.status.map(|s| s.as_str()));
        pair("q", self.search.as_deref());
        let min_age = self.min_age.map(|days| days.to_string());
        pair("min_age", min_age.as_deref());
        pair("overdue", self.overdue.then_some("1"));
        pair("sort", sort_name(self.sort));
        serializer.append_pair("page", &page.to_string());
        format!("{path}?{}", serializer.finish())
    }
}

fn sort_name(order: CaseOrder) -> Option<&'static str> {
    SORTS
        .iter()
        .find(|(_, known)| *known == order)
        .map(|(name, _)| *name)
}

pub(crate) async fn queue(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // Errors are answered in the reader's language (a bad filter value above all), not the site's default.
    let lang = staff.lang;
    queue_page(staff, state, query)
        .await
        .unwrap_or_else(|error| error.into_response_in(lang))
}

async fn queue_page(
    staff: Staff,
    state: AppState,
    query: HashMap<String, String>,
) -> Result<Response, WebError> {
    let tr = crate::i18n::tr(staff.lang);
    let mut asked = ListQuery::parse(&state, &tr, &query, CaseOrder::OldestInStage)?;
    // The queue is what waits for the reader's role: owner and status are fixed.
    asked.owner_role = None;
    asked.status = None;
    let now = now();
    let filter = CaseFilter {
        owner_role: Some(staff.role),
        status: Some(Status::Active),
        ..asked.filter(&state, now)
    };
    let stored = state
        .store
        .list_cases(&filter, asked.page, PER_PAGE)
        .await?;
    let mut view = list_page(
        &state,
        &staff,
        "/queue",
        "/queue",
        tr.t("queue-title"),
        stored,
        |page| asked.href("/queue", page),
    );
    view.intro = Some(tr.t("queue-lead"));
    view.empty_label = tr.t("queue-empty");
    view.filters = Some(filters(&state, &tr, &asked, "/queue", Some(staff.role)));
    if staff.role == Role::UnitCommander {
        view.handover = Some(
            crate::handover::handed_over(&state, &staff, &tr, asked.search.clone(), asked.category)
                .await?,
        );
    }
    render(view)
}

pub(crate) async fn cases(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // Errors are answered in the reader's language (a bad filter value above all), not the site's default.
    let lang = staff.lang;
    cases_page(staff, state, query)
        .await
        .unwrap_or_else(|error| error.into_response_in(lang))
}

async fn cases_page(
    staff: Staff,
    state: AppState,
    query: HashMap<String, String>,
) -> Result<Response, WebError> {
    let tr = crate::i18n::tr(staff.lang);
    let asked = ListQuery::parse(&state, &tr, &query, CaseOrder::NewestReceived)?;
    let filter = asked.filter(&state, now());
    let stored = state
        .store
        .list_cases(&filter, asked.page, PER_PAGE)
        .await?;
    let mut view = list_page(
        &state,
        &staff,
        "/cases",
        "/cases",
        tr.t("cases-title"),
        stored,
        |page| asked.href("/cases", page),
    );
    if let Some(done) = query
        .get("done")
        .and_then(|count| count.parse::<u32>().ok())
    {
        view.notice = Some(tr.t1("bulk-done", "count", done));
    }
    view.filters = Some(filters(&state, &tr, &asked, "/cases", None));
    render(view)
}

/// The filter form. A queue (`queue_of`) offers only the stages its role owns and no owner or status choice.
fn filters(
    state: &AppState,
    tr: &Tr,
    asked: &ListQuery,
    action: &'static str,
    queue_of: Option<Role>,
) -> Filters {
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
        .filter(|stage| queue_of.is_none_or(|role| stage.owner == role))
        .filter(|stage| seen.insert(stage.id.clone()))
        .map(|stage| {
            option(
                &stage.id,
                tr.label("stage", &stage.id),
                asked.stage.as_deref() == Some(stage.id.as_str()),
            )
        })
        .collect();
    let categories = Category::ALL
        .iter()
        .map(|c| {
            option(
                c.as_str(),
                tr.label("category", c.as_str()),
                asked.category == Some(*c),
            )
        })
        .collect();
    let mut selects = vec![
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
    ];
    if queue_of.is_none() {
        let roles = Role::ALL
            .iter()
            .filter(|role| route_allowed(StaffRoute::CaseView, **role))
            .map(|r| {
                option(
                    r.as_str(),
                    tr.label("role", r.as_str()),
                    asked.owner_role == Some(*r),
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
                asked.status == Some(*s),
            )
        })
        .collect();
        selects.push(views::Select {
            name: "owner",
            label: tr.t("col-owner"),
            options: roles,
        });
        selects.push(views::Select {
            name: "status",
            label: tr.t("col-status"),
            options: statuses,
        });
    }
    let sorts = SORTS
        .iter()
        .map(|(name, order)| option(name, tr.label("queue-sort", name), asked.sort == *order))
        .collect();
    Filters {
        action,
        selects,
        search: asked.search.clone().unwrap_or_default(),
        search_max: MAX_SEARCH_CHARS,
        min_age: asked
            .min_age
            .map(|days| days.to_string())
            .unwrap_or_default(),
        max_age: MAX_AGE_DAYS,
        overdue: asked.overdue,
        sorts,
    }
}
