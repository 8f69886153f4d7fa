//! The staff side of intake (issue 3): assisted intake (a coordinator enters an application taken on paper or by
//! phone), a case's stored files as guarded downloads, and the applicant's message thread with the office's replies.
//!
//! Architecture invariant: none of these pages reaches case content except through `sito_core::policy::permit`
//! (Documents for files, Contacts for the thread), and every download, thread read, reply and assisted entry is
//! chained into the audit log before the answer leaves.
pub(crate) mod assisted;
pub(crate) mod files;
pub(crate) mod messages;

use std::sync::Arc;

use axum::{Extension, Router};
use sito_core::policy::{Assignment, Permit, permit};
use sito_core::{CaseId, FieldGroup};

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::pull::OfficePuller;

/// The staff site's link to the intake: the office side of the pull, holding the keyring that opens what applicants
/// sealed and the channel that files assisted applications and sends replies. Absent when the office runs without
/// an intake (`sito office` without `--intake-url`); the pages then say so instead of failing.
#[derive(Clone)]
pub struct IntakeLink(Arc<OfficePuller>);

/// Gives the staff site's handlers the link to the intake, when the office pulls from one.
pub fn with_intake_link(router: Router, puller: Option<OfficePuller>) -> Router {
    match puller {
        Some(puller) => router.layer(Extension(IntakeLink(Arc::new(puller)))),
        None => router,
    }
}

pub(crate) type MaybeLink = Option<Extension<IntakeLink>>;

pub(crate) fn puller(link: &MaybeLink) -> Option<&OfficePuller> {
    link.as_ref()
        .map(|Extension(IntakeLink(puller))| puller.as_ref())
}

/// The policy's permit for one group of a case as it stands now, or 403.
pub(crate) async fn case_permit(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    group: FieldGroup,
) -> Result<Permit, WebError> {
    let summary = state.store.case_summary(id).await?;
    let phase = state
        .pipeline
        .stage(&summary.stage)
        .map(|stage| stage.phase)
        .ok_or_else(|| WebError::Internal("stage not in pipeline".into()))?;
    let assignment = if summary.owner_role == staff.role {
        Assignment::Assigned
    } else {
        Assignment::NotAssigned
    };
    permit(staff.id, staff.role, id, group, phase, assignment).ok_or(WebError::Forbidden)
}

/// An id that is not a UUID can't name a case: answered as for an unknown case.
pub(crate) fn parse_case_id(text: &str) -> Result<CaseId, WebError> {
    text.parse().map_err(|_| WebError::NotFound)
}

pub(crate) fn form_fields(form: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(form).into_owned().collect()
}

/// Chains one entry into the audit log; the caller's answer waits for it (no entry, no action).
pub(crate) async fn audit(
    state: &AppState,
    staff: &Staff,
    action: &str,
    subject: &str,
    detail: String,
) -> Result<(), WebError> {
    state
        .store
        .record_audit(&[sito_store::audit::AuditInput {
            at_ms: crate::now_ms(),
            actor: staff.id.to_string(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail,
        }])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sito_core::Role;

    fn keys(lang: &str) -> Vec<String> {
        let path = format!(
            "{}/locales/{lang}/staff-intake.ftl",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut keys: Vec<String> = text
            .lines()
            .filter(|line| !line.starts_with([' ', '#', '*', '[', '}']) && line.contains(" ="))
            .map(|line| line.split(" =").next().unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_filed_line_counts_documents_in_each_language() {
        use crate::i18n::Lang;
        let line =
            |lang, count: usize| crate::i18n::tr(lang).t1("si-done-received", "documents", count);
        assert!(line(Lang::En, 0).contains("no documents"));
        assert!(line(Lang::En, 1).contains("one document"));
        assert!(line(Lang::En, 3).contains("3 documents"));
        assert!(line(Lang::Ru, 0).contains("без документов"));
        assert!(line(Lang::Ru, 2).contains("2 документами"));
        assert!(line(Lang::Uk, 1).contains("1 документом"));
    }

    /// Every key in every language, and every `si-` key the code and the templates ask for is defined.
    #[test]
    fn every_string_exists_in_every_language() {
        let english = keys("en");
        assert!(english.len() > 40);
        for lang in ["ru", "uk"] {
            assert_eq!(keys(lang), english, "{lang}");
        }
        let root = env!("CARGO_MANIFEST_DIR");
        let mut sources = Vec::new();
        for dir in ["src/staff_intake", "templates/staff_intake"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                sources.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
            }
        }
        sources.push(std::fs::read_to_string(format!("{root}/templates/case.html")).unwrap());
        for source in &sources {
            for (at, _) in source.match_indices("\"si-") {
                // A translation call's argument, not a CSS class: `t("si-…")`, `args(\n "si-…"`.
                if !source[..at].trim_end().ends_with('(') {
                    continue;
                }
                let key: String = source[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                // `si-language` is a prefix for `Tr::label`.
                if key != "si-language" && !key.ends_with('-') {
                    assert!(english.contains(&key), "{key} is used but not defined");
                }
            }
        }
    }

    #[test]
    fn route_gates_follow_the_policy() {
        let documents: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|role| sito_core::policy::may_ever_see(*role, FieldGroup::Documents))
            .collect();
        assert_eq!(
            documents,
            [
                Role::IntakeCoordinator,
                Role::SecurityOfficer,
                Role::BoardMember
            ]
        );
        let contacts: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|role| sito_core::policy::may_ever_see(*role, FieldGroup::Contacts))
            .collect();
        assert_eq!(
            contacts,
            [
                Role::IntakeCoordinator,
                Role::SecurityOfficer,
                Role::LogisticsOfficer
            ]
        );
    }

    /// The pull's path names a coordinator only when the office's own audit log says one entered the case: a
    /// sealed payload claiming assisted intake (anyone with the office's public keys can make one) names nobody.
    /// A reply written while the intake is unreachable waits in the outbox, and the thread shows it.
    #[tokio::test]
    async fn assisted_attribution_comes_from_the_audit_log_and_replies_wait_for_the_intake() {
        use crate::pull::{ASSISTED_INTAKE_ACTION, Delivery, PullClient};
        use sito_intake::Application;
        use sito_store::intake::{ReceivedStore, SqliteReceivedStore};

        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/office.db", dir.path().display());
        let keyring = Arc::new(sito_keyring::OfficeKeyring::generate(0));
        let store: Arc<dyn sito_store::Store> = Arc::from(
            sito_store::open_encrypted(&url, Arc::clone(&keyring))
                .await
                .unwrap(),
        );
        let received = Arc::new(SqliteReceivedStore::open(&url).await.unwrap());
        let puller = OfficePuller {
            store: Arc::clone(&store),
            received: received.clone(),
            keyring: Arc::clone(&keyring),
            pipeline: Arc::new(sito_core::Pipeline::default_legion().unwrap()),
            // Nothing listens on the discard port: the intake is unreachable.
            client: PullClient::new("127.0.0.1:9", zeroize::Zeroizing::new("secret".into())),
        };
        let mut application = Application::from_json(
            br#"{"language":"ru","category":"prisoner_of_war","call_sign":"Kamen","full_name":"Test Prisoner"}"#,
        )
        .unwrap();
        application.assisted = true;
        let sealed = keyring
            .current_recipients()
            .seal(&serde_json::to_vec(&application).unwrap())
            .unwrap()
            .into_bytes();
        let reply_record = sito_crypto::ReplyRecipient::create(
            &sito_crypto::Codename::generate(),
            sito_crypto::KdfParams::INSECURE_FAST,
        )
        .unwrap()
        .to_record();
        let new_id = || CaseId::from_uuid(uuid::Uuid::now_v7());

        let forged = new_id();
        assert!(
            puller
                .open_submission(&forged.to_string(), &sealed, &reply_record)
                .await
                .unwrap()
        );
        assert_eq!(store.case_events(forged).await.unwrap()[0].actor, None);

        let coordinator = sito_core::StaffId::from_uuid(uuid::Uuid::now_v7());
        let entered = new_id();
        store
            .record_audit(&[sito_store::audit::AuditInput {
                at_ms: crate::now_ms(),
                actor: coordinator.to_string(),
                action: ASSISTED_INTAKE_ACTION.into(),
                subject: entered.to_string(),
                detail: String::new(),
            }])
            .await
            .unwrap();
        assert!(
            puller
                .open_submission(&entered.to_string(), &sealed, &reply_record)
                .await
                .unwrap()
        );
        // A second arrival (the pull meeting the queued copy) changes nothing.
        assert!(
            !puller
                .open_submission(&entered.to_string(), &sealed, &reply_record)
                .await
                .unwrap()
        );
        let events = store.case_events(entered).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].actor, Some(coordinator));

        let delivery = puller
            .reply(&entered.to_string(), "We will meet at the camp.")
            .await
            .unwrap();
        assert_eq!(delivery, Delivery::Queued);
        assert_eq!(received.queued_replies(10).await.unwrap().len(), 1);
        let thread = puller.thread(entered).await.unwrap();
        assert_eq!(thread.len(), 1);
        assert!(thread[0].0, "from the office");
        assert_eq!(thread[0].1.text, "We will meet at the camp.");
    }
}
