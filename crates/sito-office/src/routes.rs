//! The staff site's route table: each path, its gate and its handler, and the router built from that table alone.
//! It only wires; who may reach a route is `access`, the pages are their own modules.
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;
use crate::access::entry;
pub use crate::access::{Gate, RouteEntry, StaffRoute, route_allowed};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Forms are small: a reason or a note. Anything larger is refused before it is read.
const FORM_LIMIT: usize = 64 * 1024;

/// Every route with its handler. The router is built from this table and nothing else, and the authorisation
/// matrix test walks the same table, so a route added here without an expected answer in the test fails it.
fn route_table() -> Vec<(RouteEntry, axum::routing::MethodRouter<AppState>)> {
    use Gate::{AnyStaff, Enrolment, Public, Staff as S};
    vec![
        (entry("GET", "/", AnyStaff), get(crate::sign_in::home)),
        (
            entry("GET", "/login", Public),
            get(crate::sign_in::login_form),
        ),
        (
            entry("POST", "/login", Public),
            post(crate::sign_in::login_submit),
        ),
        (
            entry("POST", "/logout", AnyStaff),
            post(crate::sign_in::logout),
        ),
        (
            entry("GET", "/lang", Public),
            get(crate::sign_in::switch_language),
        ),
        (
            entry("GET", "/enrol", Enrolment),
            get(crate::enrol::enrol_form),
        ),
        (
            entry("POST", "/enrol", Enrolment),
            post(crate::enrol::enrol_submit),
        ),
        (
            entry("GET", "/queue", S(StaffRoute::Queue)),
            get(crate::case_list::queue),
        ),
        (
            entry("GET", "/cases", S(StaffRoute::Cases)),
            get(crate::case_list::cases),
        ),
        (
            entry("POST", "/cases/bulk", S(StaffRoute::Bulk)),
            post(crate::case_actions::bulk),
        ),
        (
            entry("GET", "/cases/{id}", S(StaffRoute::CaseView)),
            get(crate::case_page::case_view),
        ),
        (
            entry("POST", "/cases/{id}", S(StaffRoute::CaseAction)),
            post(crate::case_actions::case_action),
        ),
        (
            entry("POST", "/cases/{id}/reveal", S(StaffRoute::RevealIdentity)),
            post(crate::case_page::reveal_identity),
        ),
        (
            entry("GET", "/cases/{id}/dossier", S(StaffRoute::CaseView)),
            get(crate::dossier::dossier_page),
        ),
        (
            entry("GET", "/units", S(StaffRoute::Units)),
            get(crate::units::units),
        ),
        (
            entry("GET", "/audit", S(StaffRoute::AuditLog)),
            get(crate::audit_pages::audit_log),
        ),
        (
            entry("GET", "/audit/alerts", S(StaffRoute::Alerts)),
            get(crate::audit_pages::alerts),
        ),
        (
            entry("GET", "/clusters", S(StaffRoute::Clusters)),
            get(crate::clusters::cluster_list),
        ),
        (
            entry("GET", "/cases/{id}/cluster", S(StaffRoute::Clusters)),
            get(crate::clusters::case_cluster),
        ),
        (
            entry("GET", "/capacity", S(StaffRoute::Capacity)),
            get(crate::capacity::page),
        ),
        (
            entry("POST", "/capacity", S(StaffRoute::Capacity)),
            post(crate::capacity::run),
        ),
        (
            entry("GET", "/assisted", S(StaffRoute::AssistedIntake)),
            get(crate::staff_intake::assisted::choose),
        ),
        (
            entry("GET", "/assisted/{category}", S(StaffRoute::AssistedIntake)),
            get(crate::staff_intake::assisted::form),
        ),
        (
            entry(
                "POST",
                "/assisted/{category}",
                S(StaffRoute::AssistedIntake),
            ),
            post(crate::staff_intake::assisted::form_again),
        ),
        (
            entry(
                "POST",
                "/assisted/{category}/review",
                S(StaffRoute::AssistedIntake),
            ),
            post(crate::staff_intake::assisted::review),
        ),
        (
            entry(
                "POST",
                "/assisted/{category}/send",
                S(StaffRoute::AssistedIntake),
            ),
            post(crate::staff_intake::assisted::send).layer(DefaultBodyLimit::max(
                crate::staff_intake::assisted::BODY_LIMIT,
            )),
        ),
        (
            entry("GET", "/cases/{id}/files/{n}", S(StaffRoute::CaseFiles)),
            get(crate::staff_intake::files::download),
        ),
        (
            entry("POST", "/cases/{id}/files/{n}", S(StaffRoute::CaseFiles)),
            post(crate::staff_intake::files::confirm),
        ),
        (
            entry("GET", "/cases/{id}/messages", S(StaffRoute::CaseMessages)),
            get(crate::staff_intake::messages::thread),
        ),
        (
            entry("POST", "/cases/{id}/messages", S(StaffRoute::CaseMessages)),
            post(crate::staff_intake::messages::reply),
        ),
        (
            entry("GET", "/planning", S(StaffRoute::Planning)),
            get(crate::planning::page),
        ),
        (
            entry("POST", "/planning/build", S(StaffRoute::PlanningEdit)),
            post(crate::planning::build),
        ),
        (
            entry("POST", "/planning/pin", S(StaffRoute::PlanningEdit)),
            post(crate::planning::pin),
        ),
        (
            entry("POST", "/planning/commit", S(StaffRoute::PlanningEdit)),
            post(crate::planning::commit),
        ),
        (
            entry("GET", "/planning/setup", S(StaffRoute::Planning)),
            get(crate::planning::setup_page),
        ),
        (
            entry("POST", "/planning/setup", S(StaffRoute::PlanningEdit)),
            post(crate::planning::setup_submit),
        ),
        (
            entry("GET", "/planning/transfers", S(StaffRoute::Transfers)),
            get(crate::planning::transfers),
        ),
        (
            entry("GET", "/static/site.css", Public),
            get(crate::frame::stylesheet),
        ),
        (
            entry("GET", "/static/favicon.svg", Public),
            get(crate::frame::favicon),
        ),
    ]
}

/// The routes of the staff site, for the authorisation matrix.
pub fn routes() -> Vec<RouteEntry> {
    route_table().into_iter().map(|(entry, _)| entry).collect()
}

/// The staff site. Each handler is wrapped in the gate middleware built from its own table entry, so there is one
/// place that decides who reaches a handler and no way to mount one without a gate.
pub fn office_router(state: AppState) -> Router {
    let mut router = Router::new();
    for (entry, handler) in route_table() {
        let gate = crate::gate::GateState {
            state: state.clone(),
            gate: entry.gate,
        };
        router = router.route(
            entry.path,
            handler.route_layer(axum::middleware::from_fn_with_state(
                gate,
                crate::gate::enforce,
            )),
        );
    }
    let router = router
        .fallback(crate::frame::not_found)
        .layer(DefaultBodyLimit::max(FORM_LIMIT));
    sito_http::with_security_headers(router, CSP).with_state(state)
}

/// The staff site's router, its cluster pages given the link store when link analysis runs.
pub fn office_router_with_links(
    state: AppState,
    links: Option<std::sync::Arc<dyn sito_store::links::LinkStore>>,
) -> Router {
    let router = office_router(state);
    match links {
        Some(links) => crate::clusters::with_links(router, links),
        None => router,
    }
}
