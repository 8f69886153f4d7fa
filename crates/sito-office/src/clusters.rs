//! The security officer's cluster pages: the flagged groups of linked applications, and one group drawn as a graph.
//!
//! What these pages show, and why no more: call signs, stages, and the KINDS of key two applications share
//! (phone, e-mail, ...). Never an identifier's value, whoever asks: the linker holds only blind indexes, in memory,
//! and stores case ids and kinds, so the value is not even at hand here. An officer who must compare the numbers
//! opens the member cases and uses the identity reveal there, which asks a reason and is audited. Keeping
//! values off a page that gathers several applicants at once means one glance (or one screenshot) never exposes a
//! whole group's contacts.
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Router};
use sito_core::{CaseId, Status};
use sito_screen::links::{Group, KeyKind, Link, render_group_svg_linked};
use sito_store::links::{GroupDetail, LinkStore};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::views::{self, Chrome};

/// The office's link store, handed to the cluster pages as a request extension (see [`with_links`]).
#[derive(Clone)]
pub struct LinkAccess(pub Arc<dyn LinkStore>);

/// Gives the cluster pages the office's link store. Without it they say that link analysis is not running.
pub fn with_links(router: Router, links: Arc<dyn LinkStore>) -> Router {
    router.layer(Extension(LinkAccess(links)))
}

/// The path of a case's group page.
pub fn cluster_href(case: CaseId) -> String {
    format!("/cases/{case}/cluster")
}

pub struct MemberLink {
    pub href: String,
    pub call_sign: String,
}

pub struct GroupRow {
    pub href: String,
    pub id: String,
    pub size: usize,
    pub kinds: String,
    pub members: Vec<MemberLink>,
    pub open_flags: u32,
}

pub struct SignalRow {
    pub kind: String,
    pub holders: String,
}

#[derive(Template)]
#[template(path = "clusters/list.html")]
struct ClusterList {
    chrome: Chrome,
    title: String,
    /// `None` when link analysis is not running in this office.
    computed: Option<String>,
    groups: Vec<GroupRow>,
    unflagged: String,
    /// The largest groups linked by one kind of key only (at most `LIST_LIMIT`).
    unflagged_groups: Vec<GroupRow>,
    signals: Vec<SignalRow>,
}

/// Groups per list: enough for any office's flagged groups; unflagged pairs can be many, the largest come first.
const LIST_LIMIT: u32 = 200;

pub struct MemberRow {
    pub href: String,
    pub call_sign: String,
    pub stage: String,
    pub status: String,
    pub status_class: &'static str,
    pub open_flags: u32,
    pub this_case: bool,
}

pub struct LinkRow {
    pub a: String,
    pub b: String,
    pub kinds: String,
}

#[derive(Template)]
#[template(path = "clusters/group.html")]
struct ClusterPage {
    chrome: Chrome,
    title: String,
    case_href: String,
    /// Why there is no graph: analysis not running, or the case shares no key. `None` when there is a group.
    empty: Option<String>,
    flagged: bool,
    verdict: String,
    /// Our own renderer's output: every label in it is escaped.
    svg: String,
    members: Vec<MemberRow>,
    links: Vec<LinkRow>,
}

fn kind_label(tr: &Tr, kind: &str) -> String {
    tr.label("link-kind", kind)
}

fn kinds_label(tr: &Tr, kinds: &[String]) -> String {
    kinds
        .iter()
        .map(|kind| kind_label(tr, kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The flagged groups, the count of groups linked by one kind of key only, and the keys too common to link by.
pub(crate) async fn cluster_list(
    staff: Staff,
    links: Option<Extension<LinkAccess>>,
) -> Result<Response, WebError> {
    let chrome = chrome(&staff, "/clusters", "/clusters");
    let tr = chrome.tr.clone();
    let mut page = ClusterList {
        title: tr.t("clusters-title"),
        computed: None,
        groups: Vec::new(),
        unflagged: String::new(),
        unflagged_groups: Vec::new(),
        signals: Vec::new(),
        chrome,
    };
    let Some(Extension(LinkAccess(links))) = links else {
        return render(page);
    };
    let Some(info) = links.analysis().await? else {
        page.computed = Some(tr.t("clusters-not-yet"));
        return render(page);
    };
    page.computed = Some(tr.args(
        "clusters-computed",
        vec![
            ("when", views::date_time(info.computed_at).into()),
            ("count", info.applications.into()),
        ],
    ));
    page.groups = links
        .groups(true, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|detail| group_row(&tr, detail))
        .collect();
    page.unflagged_groups = links
        .groups(false, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|detail| group_row(&tr, detail))
        .collect();
    let (groups, members) = links.unflagged_counts().await?;
    page.unflagged = tr.args(
        "clusters-unflagged",
        vec![("groups", groups.into()), ("count", members.into())],
    );
    page.signals = links
        .signals()
        .await?
        .into_iter()
        .map(|signal| SignalRow {
            kind: kind_label(&tr, &signal.kind),
            holders: tr.t1("clusters-holders", "count", signal.holders),
        })
        .collect();
    render(page)
}

fn group_row(tr: &Tr, detail: GroupDetail) -> GroupRow {
    GroupRow {
        href: detail
            .members
            .first()
            .map(|member| cluster_href(member.case))
            .unwrap_or_default(),
        size: detail.members.len(),
        kinds: kinds_label(tr, &detail.group.kinds()),
        open_flags: detail.members.iter().map(|member| member.open_flags).sum(),
        members: detail
            .members
            .iter()
            .map(|member| MemberLink {
                href: format!("/cases/{}", member.case),
                call_sign: member.call_sign.clone(),
            })
            .collect(),
        id: detail.group.id,
    }
}

/// The group of one case, drawn as a graph: nodes are call signs (each a link to its case), lines are labelled
/// with the kinds of key the two applications share.
pub(crate) async fn case_cluster(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    links: Option<Extension<LinkAccess>>,
) -> Result<Response, WebError> {
    // An id that is not a UUID can't name a case: answer as for an unknown case.
    let id: CaseId = id.parse().map_err(|_| WebError::NotFound)?;
    let summary = state.store.case_summary(id).await?;
    let path = cluster_href(id);
    let chrome = chrome(&staff, &path, "/clusters");
    let tr = chrome.tr.clone();
    let mut page = ClusterPage {
        title: tr.t1("cluster-title", "call_sign", summary.call_sign.as_str()),
        case_href: format!("/cases/{id}"),
        empty: None,
        flagged: false,
        verdict: String::new(),
        svg: String::new(),
        members: Vec::new(),
        links: Vec::new(),
        chrome,
    };
    let Some(Extension(LinkAccess(links))) = links else {
        page.empty = Some(tr.t("clusters-not-running"));
        return render(page);
    };
    let Some(detail) = links.group_of(id).await? else {
        page.empty = Some(tr.t("cluster-none"));
        return render(page);
    };
    page.flagged = detail.group.flagged;
    page.verdict = tr.t(if detail.group.flagged {
        "cluster-flagged"
    } else {
        "cluster-not-flagged"
    });
    page.svg = group_svg(&tr, &detail);
    let call_sign = |position: usize| {
        detail
            .members
            .get(position)
            .map(|member| member.call_sign.clone())
            .unwrap_or_default()
    };
    page.links = detail
        .group
        .links
        .iter()
        .map(|link| LinkRow {
            a: call_sign(link.a),
            b: call_sign(link.b),
            kinds: kinds_label(&tr, &link.kinds),
        })
        .collect();
    page.members = detail
        .members
        .iter()
        .map(|member| {
            let status = Status::parse(&member.status);
            MemberRow {
                href: format!("/cases/{}", member.case),
                call_sign: member.call_sign.clone(),
                stage: tr.label("stage", &member.stage),
                status: tr.label("status", &member.status),
                status_class: status.map(views::status_class).unwrap_or(""),
                open_flags: member.open_flags,
                this_case: member.case == id,
            }
        })
        .collect();
    render(page)
}

/// Draws the stored group with the engine's renderer. Kinds the engine does not know (a newer office wrote them)
/// are left off the lines rather than guessed.
fn group_svg(tr: &Tr, detail: &GroupDetail) -> String {
    let kinds = [
        KeyKind::Phone,
        KeyKind::Email,
        KeyKind::Handle,
        KeyKind::Document,
        KeyKind::Address,
        KeyKind::Referrer,
    ];
    let group = Group {
        members: (0..detail.members.len()).collect(),
        links: detail
            .group
            .links
            .iter()
            .map(|link| Link {
                a: link.a,
                b: link.b,
                kinds: link
                    .kinds
                    .iter()
                    .filter_map(|name| kinds.iter().copied().find(|kind| kind.label() == name))
                    .collect(),
            })
            .collect(),
        flagged: detail.group.flagged,
    };
    render_group_svg_linked(
        &group,
        &|position| {
            detail
                .members
                .get(position)
                .map(|member| member.call_sign.clone())
                .unwrap_or_default()
        },
        &|position| {
            detail
                .members
                .get(position)
                .map(|member| format!("/cases/{}", member.case))
        },
        &|kind| kind_label(tr, kind.label()),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let path = format!("{}/locales/{lang}/clusters.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        text.lines()
            .filter(|line| !line.starts_with([' ', '#', '}', '\t', '[', '*']))
            .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim().to_owned()))
            .filter(|key| !key.is_empty())
            .collect()
    }

    #[test]
    fn every_language_has_every_cluster_key() {
        let english = keys("en");
        assert!(english.len() > 15, "parsed {} keys", english.len());
        for lang in ["ru", "uk"] {
            assert_eq!(keys(lang), english, "{lang}");
        }
    }

    #[test]
    fn every_cluster_string_resolves_with_its_arguments() {
        for lang in crate::i18n::Lang::ALL {
            let tr = crate::i18n::tr(lang);
            for key in keys("en") {
                let text = tr.args(
                    &key,
                    vec![
                        ("count", 3u64.into()),
                        ("groups", 1u64.into()),
                        ("when", "2026-11-23 08:00".into()),
                        ("call_sign", "Сокол".into()),
                    ],
                );
                assert!(
                    text != key && !text.contains('{'),
                    "{key} in {}: {text}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn every_key_kind_has_a_label_in_every_language() {
        for lang in crate::i18n::Lang::ALL {
            let tr = crate::i18n::tr(lang);
            for kind in [
                "phone", "email", "handle", "document", "address", "referrer",
            ] {
                let key = format!("link-kind-{kind}");
                assert_ne!(tr.t(&key), key, "{key} in {}", lang.code());
            }
        }
    }
}
