//! Issue 11 item 4 and issue 15's audit tail: each way an attacker with write access to the office database
//! (but not the keyring) could rewrite the audit log, done with raw SQL on the SQLite file after dropping the
//! append-only triggers, is caught by the real `sito audit verify`, which names the kind and the sequence and
//! exits 1. The log is 12 keyed entries with checkpoints at 8 and 12, signed by `sito audit checkpoint` into
//! the database and DIR/audit-checkpoints.log.
#![allow(clippy::expect_used, clippy::unwrap_used)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use sito_crypto::audit::{AuditEntry, AuditRecord};
use sito_crypto::{KdfParams, Passphrase};
use sito_keyring::OfficeKeyring;
use sito_store::audit::AuditInput;
use sqlx::{Connection, SqliteConnection};

const PASSPHRASE: &str = "correct horse battery staple";

struct Office {
    _dir: tempfile::TempDir,
    data: PathBuf,
    url: String,
}

impl Office {
    fn passphrase_file(&self) -> PathBuf {
        self.data.join("passphrase.txt")
    }

    /// Runs the binary on this office, with the right passphrase unless `args` names one.
    fn sito(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sito"));
        command.args(args).arg("--data").arg(&self.data);
        if !args.contains(&"--passphrase-file") {
            command.arg("--passphrase-file").arg(self.passphrase_file());
        }
        command
            .env_remove("SITO_OFFICE_PASSPHRASE")
            .output()
            .unwrap()
    }

    fn checkpoint(&self) {
        let signed = self.sito(&["audit", "checkpoint"]);
        assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
    }

    async fn store(&self, keyring: &Arc<OfficeKeyring>) -> Box<dyn sito_store::Store> {
        sito_store::open_encrypted(&self.url, Arc::clone(keyring))
            .await
            .unwrap()
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn input(n: u64) -> AuditInput {
    AuditInput {
        at_ms: 1_800_000_000_000 + n as i64,
        actor: format!("officer-{}", n % 3),
        action: "identity.read".into(),
        subject: format!("case-{n}"),
        detail: format!("field group {n}"),
    }
}

async fn office() -> Office {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("keys")).unwrap();
    let office = Office {
        url: format!("sqlite://{}/office.db", data.display()),
        data,
        _dir: dir,
    };
    std::fs::write(office.passphrase_file(), PASSPHRASE).unwrap();
    let keyring = Arc::new(OfficeKeyring::generate(0));
    keyring
        .save_new(
            &office.data.join("keys/office.keyring"),
            &Passphrase::new(PASSPHRASE).unwrap(),
            KdfParams::INSECURE_FAST,
        )
        .unwrap();
    let store = office.store(&keyring).await;
    store
        .record_audit(&(1..=8).map(input).collect::<Vec<_>>())
        .await
        .unwrap();
    office.checkpoint();
    store
        .record_audit(&(9..=12).map(input).collect::<Vec<_>>())
        .await
        .unwrap();
    office.checkpoint();
    office
}

/// A plain SHA-256 entry correctly linked after `previous`: the best an attacker without the key can make.
fn forged_after(previous: &AuditEntry, n: u64) -> String {
    let input = input(n);
    let record = AuditRecord::new(
        input.at_ms,
        input.actor.as_str(),
        input.action.as_str(),
        input.subject.as_str(),
        input.detail.as_bytes(),
    );
    let sequence = previous.sequence + 1;
    let hash = AuditEntry::compute_unkeyed_hash(sequence, &record, &previous.hash);
    format!(
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail, previous_hash, hash) \
         VALUES ({sequence}, {}, '{}', '{}', '{}', '{}', '{}', '{hash}')",
        input.at_ms, input.actor, input.action, input.subject, input.detail, previous.hash
    )
}

#[derive(Clone, Copy, Debug)]
enum Tampering {
    Edit,
    Delete,
    Reorder,
    Insert,
    TruncateTail,
    ForgedTail,
    DeletedCheckpoints,
}

impl Tampering {
    /// The SQL the attacker runs, given the entries as stored.
    fn statements(self, entries: &[AuditEntry]) -> Vec<String> {
        let fixed = |statements: &[&str]| statements.iter().map(|s| (*s).to_owned()).collect();
        match self {
            Self::Edit => fixed(&["UPDATE audit_log SET subject = 'case-999' WHERE seq = 4"]),
            Self::Delete => fixed(&["DELETE FROM audit_log WHERE seq = 3"]),
            Self::Reorder => fixed(&[
                "UPDATE audit_log SET seq = -1 WHERE seq = 6",
                "UPDATE audit_log SET seq = 6 WHERE seq = 7",
                "UPDATE audit_log SET seq = 7 WHERE seq = -1",
            ]),
            // Make room at 5 and put a well-linked plain-hash entry there.
            Self::Insert => vec![
                "UPDATE audit_log SET seq = -seq WHERE seq >= 5".into(),
                "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0".into(),
                forged_after(&entries[3], 50),
            ],
            Self::TruncateTail => fixed(&["DELETE FROM audit_log WHERE seq >= 11"]),
            Self::ForgedTail => vec![forged_after(&entries[11], 13)],
            Self::DeletedCheckpoints => fixed(&[
                "DROP TRIGGER audit_checkpoints_are_append_only_delete",
                "DELETE FROM audit_checkpoints WHERE seq >= 12",
                "DELETE FROM audit_log WHERE seq >= 10",
            ]),
        }
    }

    /// What `sito audit verify` must say.
    fn finding(self) -> &'static str {
        match self {
            Self::Edit => "entry 4 is not authentic",
            Self::Delete => "has sequence 4, expected 3",
            Self::Reorder => "entry 6 is not authentic",
            Self::Insert => "entry 5 carries a plain SHA-256 hash",
            Self::TruncateTail => {
                "the log ends at entry 10, but a signed checkpoint covers entry 12"
            }
            Self::ForgedTail => {
                "entry 13 carries a plain SHA-256 hash, but the log is keyed from entry 1"
            }
            Self::DeletedCheckpoints => {
                "the log ends at entry 9, but the checkpoints file holds a signed checkpoint at entry 12"
            }
        }
    }
}

async fn tamper(office: &Office, tampering: Tampering) {
    let keyring = Arc::new(
        OfficeKeyring::load(
            &office.data.join("keys/office.keyring"),
            &Passphrase::new(PASSPHRASE).unwrap(),
        )
        .unwrap(),
    );
    let entries = office.store(&keyring).await.audit_chain().await.unwrap();
    assert_eq!(entries.len(), 12);
    let mut connection = SqliteConnection::connect(&office.url).await.unwrap();
    let statements = [
        "DROP TRIGGER audit_log_is_append_only_update".to_owned(),
        "DROP TRIGGER audit_log_is_append_only_delete".to_owned(),
    ]
    .into_iter()
    .chain(tampering.statements(&entries));
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut connection)
            .await
            .unwrap();
    }
    connection.close().await.unwrap();
}

async fn is_caught(tampering: Tampering) {
    let office = office().await;
    let before = office.sito(&["audit", "verify"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before));
    tamper(&office, tampering).await;
    let after = office.sito(&["audit", "verify"]);
    let said = text(&after);
    assert_eq!(after.status.code(), Some(1), "{tampering:?}: {said}");
    assert!(said.contains("verification FAILED"), "{said}");
    assert!(said.contains(tampering.finding()), "{tampering:?}: {said}");
}

#[tokio::test]
async fn an_edited_entry_is_caught() {
    is_caught(Tampering::Edit).await;
}

#[tokio::test]
async fn a_deleted_entry_is_caught() {
    is_caught(Tampering::Delete).await;
}

#[tokio::test]
async fn reordered_entries_are_caught() {
    is_caught(Tampering::Reorder).await;
}

#[tokio::test]
async fn an_inserted_entry_is_caught() {
    is_caught(Tampering::Insert).await;
}

#[tokio::test]
async fn a_truncated_tail_is_caught() {
    is_caught(Tampering::TruncateTail).await;
}

#[tokio::test]
async fn a_tail_forged_with_plain_sha256_is_caught() {
    is_caught(Tampering::ForgedTail).await;
}

#[tokio::test]
async fn checkpoints_deleted_with_the_tail_are_caught_against_the_file() {
    is_caught(Tampering::DeletedCheckpoints).await;
    // The file is what catches it: the same tampering with an empty checkpoints file passes.
    let office = office().await;
    tamper(&office, Tampering::DeletedCheckpoints).await;
    let empty = office.data.join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let blind = office.sito(&["audit", "verify", "--checkpoints", path(&empty)]);
    assert_eq!(blind.status.code(), Some(0), "{}", text(&blind));
}

#[tokio::test]
async fn an_intact_log_reports_its_checkpoints_and_bad_input_exits_2() {
    let office = office().await;
    let file = office.data.join(sito_store::audit::CHECKPOINT_FILE);
    let lines = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
    let verified = office.sito(&["audit", "verify", "--checkpoints", path(&file)]);
    let said = text(&verified);
    assert_eq!(verified.status.code(), Some(0), "{said}");
    assert!(
        said.contains("audit log intact: 12 entries, all keyed; latest signed checkpoint at 12"),
        "{said}"
    );
    assert!(said.contains("2 checkpoints in"), "{said}");
    let copy = office.data.join("remote-copy.log");
    let signed = office.sito(&["audit", "checkpoint", "--checkpoint-copy", path(&copy)]);
    assert!(
        text(&signed).contains("nothing new to sign"),
        "{}",
        text(&signed)
    );

    let garbled = office.data.join("garbled.log");
    std::fs::write(&garbled, format!("{lines}not a checkpoint\n")).unwrap();
    let wrong_passphrase = office.data.join("wrong.txt");
    std::fs::write(&wrong_passphrase, "not the passphrase").unwrap();
    let bad: [(Vec<&str>, &str); 3] = [
        (
            vec![
                "audit",
                "verify",
                "--checkpoints",
                "/nonexistent/checkpoints.log",
            ],
            "cannot read the checkpoints file",
        ),
        (
            vec!["audit", "verify", "--checkpoints", path(&garbled)],
            "line 3",
        ),
        (
            vec![
                "audit",
                "verify",
                "--passphrase-file",
                path(&wrong_passphrase),
            ],
            "keyring",
        ),
    ];
    for (args, message) in bad {
        let output = office.sito(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(message),
            "{args:?}: {}",
            text(&output)
        );
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}
