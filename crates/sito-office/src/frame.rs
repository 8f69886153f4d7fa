//! The frame every staff page shares: the page chrome, rendering, the stylesheet and the small form helpers.
//! Pages import it; it imports no page.
use std::collections::HashMap;

use askama::Template;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use sito_core::CaseId;

use crate::access::{StaffRoute, route_allowed};
use crate::auth::{self, Staff};
use crate::error::WebError;
use crate::views::{self, Chrome, NavItem};

pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/site.css"),
    )
}

/// The icon browsers ask for on every page; without it each page load logs a failed request.
pub(crate) use sito_http::favicon;

pub(crate) async fn not_found(headers: HeaderMap) -> Response {
    WebError::NotFound.into_response_in(auth::request_lang(&headers))
}

pub(crate) fn render(page: impl Template) -> Result<Response, WebError> {
    Ok(Html(page.render()?).into_response())
}

pub(crate) fn chrome(staff: &Staff, path: &str, active: &'static str) -> Chrome {
    let mut chrome = Chrome::new(staff.lang, path);
    let tr = &chrome.tr;
    let mut nav = Vec::new();
    if route_allowed(StaffRoute::Queue, staff.role) {
        nav.push(NavItem {
            href: "/queue",
            label: tr.t("nav-queue"),
            active: active == "/queue",
        });
        nav.push(NavItem {
            href: "/cases",
            label: tr.t("nav-cases"),
            active: active == "/cases",
        });
    }
    nav.push(NavItem {
        href: "/units",
        label: tr.t("nav-units"),
        active: active == "/units",
    });
    if route_allowed(StaffRoute::Planning, staff.role) {
        nav.push(NavItem {
            href: "/planning",
            label: tr.t("nav-planning"),
            active: active == "/planning",
        });
    }
    if route_allowed(StaffRoute::Transfers, staff.role) {
        nav.push(NavItem {
            href: "/planning/transfers",
            label: tr.t("nav-transfers"),
            active: active == "/planning/transfers",
        });
    }
    if route_allowed(StaffRoute::Capacity, staff.role) {
        nav.push(NavItem {
            href: "/capacity",
            label: tr.t("nav-capacity"),
            active: active == "/capacity",
        });
    }
    if route_allowed(StaffRoute::AssistedIntake, staff.role) {
        nav.push(NavItem {
            href: "/assisted",
            label: tr.t("nav-assisted"),
            active: active == "/assisted",
        });
    }
    if route_allowed(StaffRoute::Clusters, staff.role) {
        nav.push(NavItem {
            href: "/clusters",
            label: tr.t("nav-clusters"),
            active: active == "/clusters",
        });
    }
    if route_allowed(StaffRoute::AuditLog, staff.role) {
        nav.push(NavItem {
            href: "/audit",
            label: tr.t("nav-audit"),
            active: active == "/audit",
        });
    }
    if route_allowed(StaffRoute::Alerts, staff.role) {
        nav.push(NavItem {
            href: "/audit/alerts",
            label: tr.t("nav-alerts"),
            active: active == "/audit/alerts",
        });
    }
    let signed_in = tr.args(
        "signed-in-as",
        vec![
            ("call_sign", staff.call_sign.as_str().into()),
            ("role", tr.label("role", staff.role.as_str()).into()),
        ],
    );
    chrome.staff = Some(views::StaffChrome { signed_in, nav });
    chrome.csrf = staff.csrf.clone();
    chrome
}

pub(crate) fn form_fields(form: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(form).into_owned().collect()
}

pub(crate) fn parse_case_id(text: &str) -> Result<CaseId, WebError> {
    // An id that is not a UUID can't name a case: answer as for an unknown case.
    text.parse().map_err(|_| WebError::NotFound)
}

/// Staff call signs by id: pages name people by call sign, the store records ids.
pub(crate) async fn staff_call_signs(
    state: &crate::AppState,
) -> Result<std::collections::BTreeMap<sito_core::StaffId, String>, WebError> {
    Ok(state
        .store
        .list_staff()
        .await?
        .into_iter()
        .map(|member| (member.id, member.call_sign))
        .collect())
}
