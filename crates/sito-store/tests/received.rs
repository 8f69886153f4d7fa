//! The office's side of the pull on every backend: each submission recorded once, messages filed once, replies
//! kept in the outbox until the intake has them.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use sito_store::intake::{OfficeMessage, ReceivedCase};
use support::TestDb;

crate::on_every_backend!(
    the_office_records_each_submission_once,
    a_reply_waits_in_the_outbox_until_delivered,
);

async fn the_office_records_each_submission_once(db: TestDb) {
    let store = db.received().await;
    let record = ReceivedCase {
        submission_id: "s1".into(),
        case_id: "c1".into(),
        reply_record: "r".into(),
        pushed_status: "received".into(),
    };
    store.record_received(&record).await.unwrap();
    store.record_received(&record).await.unwrap();
    assert_eq!(store.received_cases().await.unwrap(), vec![record.clone()]);
    store.mark_status_pushed("s1", "in_review").await.unwrap();
    assert_eq!(
        store
            .received_case_for("c1")
            .await
            .unwrap()
            .unwrap()
            .pushed_status,
        "in_review"
    );
    let message = OfficeMessage {
        from_office: false,
        sealed: b"m".to_vec(),
        day: "2026-11-23".into(),
    };
    store
        .add_office_message("c1", Some(7), &message)
        .await
        .unwrap();
    store
        .add_office_message("c1", Some(7), &message)
        .await
        .unwrap();
    assert_eq!(store.office_messages("c1").await.unwrap().len(), 1);
}

async fn a_reply_waits_in_the_outbox_until_delivered(db: TestDb) {
    let store = db.received().await;
    let copy = OfficeMessage {
        from_office: true,
        sealed: b"office copy".to_vec(),
        day: "2026-11-23".into(),
    };
    store
        .queue_reply("c1", "s1", &copy, b"to applicant 1")
        .await
        .unwrap();
    store
        .queue_reply("c1", "s1", &copy, b"to applicant 2")
        .await
        .unwrap();
    let thread = store.office_messages("c1").await.unwrap();
    assert_eq!(thread.len(), 2);
    assert!(thread.iter().all(|message| message.from_office));
    let queued = store.queued_replies(10).await.unwrap();
    assert_eq!(
        queued
            .iter()
            .map(|reply| reply.sealed.as_slice())
            .collect::<Vec<_>>(),
        [&b"to applicant 1"[..], &b"to applicant 2"[..]]
    );
    assert_eq!(store.queued_replies(1).await.unwrap().len(), 1);
    store.replies_delivered(&[queued[0].id]).await.unwrap();
    store.replies_delivered(&[queued[0].id]).await.unwrap();
    let left = store.queued_replies(10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].submission_id, "s1");
    // The thread keeps the office's copies whatever happens to the outbox.
    assert_eq!(store.office_messages("c1").await.unwrap().len(), 2);
}

/// The intake runs the office's migration 0003 byte for byte on each backend (sqlx compares checksums), so an
/// intake and an office may share one database whichever migrates it first.
#[test]
fn the_intake_migrations_are_the_offices_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for backend in ["sqlite", "postgres"] {
        let office = root.join(format!("migrations/{backend}/0003_intake.sql"));
        let intake = root.join(format!(
            "../sito-intake/migrations/{backend}/0003_intake.sql"
        ));
        assert_eq!(
            std::fs::read(&office).unwrap(),
            std::fs::read(&intake).unwrap(),
            "{} and {}",
            office.display(),
            intake.display()
        );
    }
}
