//! Test support: one database per test on either backend. SQLite gets a file in a temporary directory; PostgreSQL
//! gets a database on a throwaway server started from Debian's `postgresql` package (initdb into a temporary
//! directory, listening only on a Unix socket in it), one server per test process (`sito-test-postgres`).
//!
//! Without PostgreSQL installed the PostgreSQL tests are skipped with a message, except under `CI=true`, where
//! they fail: CI must prove every backend.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use sito_test_postgres as postgres;
use sqlx::Connection;

pub use sito_store::Backend;

/// A fresh, empty database for one test. Dropping it removes a SQLite file; a PostgreSQL database goes with its
/// server when the test process ends.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    sqlite_dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// `None` when the backend is not installed here and the test may be skipped (never under `CI=true`).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                Some(TestDb {
                    backend,
                    url: format!("sqlite://{}/office.db", dir.path().display()),
                    sqlite_dir: Some(dir),
                })
            }
            Backend::Postgres => Some(TestDb {
                backend,
                url: postgres::server()?.create_database().await,
                sqlite_dir: None,
            }),
        }
    }

    pub async fn open(&self) -> Box<dyn sito_store::Store> {
        sito_store::open(&self.url).await.expect("open store")
    }

    pub async fn screening(&self) -> Box<dyn sito_store::screening::ScreeningStore> {
        sito_store::screening::open(&self.url).await.unwrap()
    }

    pub async fn links(&self) -> Box<dyn sito_store::links::LinkStore> {
        sito_store::links::open(&self.url).await.unwrap()
    }

    pub async fn planning(&self) -> Box<dyn sito_store::planning::PlanningStore> {
        sito_store::planning::open(&self.url).await.unwrap()
    }

    pub async fn received(&self) -> Box<dyn sito_store::intake::ReceivedStore> {
        sito_store::intake::open(&self.url).await.unwrap()
    }

    /// The store as an office instance opens it: with the unlocked keyring (content encrypted, audit keyed).
    pub async fn open_encrypted(
        &self,
        keyring: std::sync::Arc<sito_keyring::OfficeKeyring>,
    ) -> Box<dyn sito_store::Store> {
        sito_store::open_encrypted(&self.url, keyring)
            .await
            .expect("open encrypted store")
    }

    /// Runs SQL straight on the database, as an insider with database access would.
    pub async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        let statement = sqlx::AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await?;
                sqlx::raw_sql(statement).execute(&mut connection).await?;
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url).await?;
                sqlx::raw_sql(statement).execute(&mut connection).await?;
            }
        }
        Ok(())
    }

    /// What an insider runs first to edit the audit log: the append-only triggers out of the way.
    pub async fn disable_audit_triggers(&self) {
        self.disable_append_only_triggers("audit_log", "audit_log_is_append_only")
            .await;
    }

    /// The same for the signed checkpoints, which an insider cutting the tail would delete too.
    pub async fn disable_checkpoint_triggers(&self) {
        self.disable_append_only_triggers("audit_checkpoints", "audit_checkpoints_are_append_only")
            .await;
    }

    async fn disable_append_only_triggers(&self, table: &str, sqlite_trigger: &str) {
        let statements = match self.backend {
            Backend::Sqlite => vec![
                format!("DROP TRIGGER {sqlite_trigger}_update"),
                format!("DROP TRIGGER {sqlite_trigger}_delete"),
            ],
            Backend::Postgres => vec![format!("ALTER TABLE {table} DISABLE TRIGGER USER")],
        };
        for statement in statements {
            self.execute(&statement).await.unwrap();
        }
    }

    /// Every byte the database keeps on disk for this test: the SQLite file with its WAL and shared memory, or
    /// PostgreSQL's files of this database and the server's write-ahead log (after a checkpoint).
    pub async fn bytes_on_disk(&self) -> Vec<u8> {
        match self.backend {
            Backend::Sqlite => {
                let dir = self.sqlite_dir.as_ref().unwrap().path();
                // A dropped store's connections close in the background, and the last one checkpoints and
                // removes the WAL: a file listed may be gone when read. Then its content is in the main file,
                // which may have been read before, so the whole set is read again.
                for _ in 0..100 {
                    if let Some(bytes) = sqlite_files(dir) {
                        return bytes;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                panic!("the database files kept changing while being read");
            }
            Backend::Postgres => postgres::server().unwrap().bytes_of(&self.url).await,
        }
    }
}

/// The bytes of every `office.db*` file, or `None` when one vanished between listing and reading.
fn sqlite_files(dir: &std::path::Path) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("office.db")
        {
            continue;
        }
        match std::fs::read(&path) {
            Ok(content) => bytes.extend(content),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => panic!("reading {}: {error}", path.display()),
        }
    }
    Some(bytes)
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Runs each named `async fn(TestDb)` as two tests, `sqlite::NAME` and `postgres::NAME`: one story, every backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::TestDb::new($crate::support::Backend::Sqlite)
                        .await
                        .expect("SQLite is built in");
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::TestDb::new($crate::support::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$name(db).await;
                }
            )*
        }
    };
}
