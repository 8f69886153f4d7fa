//! A throwaway PostgreSQL server for the tests of one process, shared by the tests of `sito-store`, `sito-intake`
//! and `sito` (a dev-dependency only; nothing ships with it).
//!
//! Without PostgreSQL installed, [`server`] returns `None` after saying so, and the tests skip; under `CI=true` it
//! panics instead, so a CI run without PostgreSQL fails rather than passing silently.
//!
//! `initdb` into a fresh directory under /tmp, then `postgres` listening on a Unix socket in that directory only
//! (`listen_addresses=''`: no TCP port, nothing reachable from the network; the directory is mode 0700, so no other
//! local user can connect either). PostgreSQL refuses to run as root, so as root (CI containers) the server runs as
//! the `postgres` user the Debian package creates, through `setpriv`.
//!
//! The server is started by a small shell watchdog that holds a pipe from this process: when the test process ends
//! (normally, by a panic, or killed), the pipe closes, and the watchdog stops the server and deletes its directory.
// A test harness: a failure to set up the server is the test's failure, so it panics with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
#![forbid(unsafe_code)]
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, Row};

pub struct PgServer {
    /// The directory holding the data directory, the socket and the log.
    root: PathBuf,
    /// Closing it (at process exit) tells the watchdog to stop the server.
    _watchdog_stdin: Mutex<ChildStdin>,
    _watchdog: Mutex<Child>,
}

static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// The process's server, started on first use; `None` (after saying why) when PostgreSQL is not installed and the
/// tests are not running under CI.
pub fn server() -> Option<&'static PgServer> {
    SERVER.get_or_init(|| match PgServer::start() {
        Ok(server) => Some(server),
        Err(why) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("PostgreSQL is required under CI=true and could not be started: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: PostgreSQL tests need a local PostgreSQL ({why}); install Debian's `postgresql` package");
            None
        }
    })
    .as_ref()
}

/// The directory with `initdb`, `postgres` and `pg_isready`: `SITO_PG_BIN`, else the newest
/// /usr/lib/postgresql/N/bin, else wherever `initdb` is on the PATH.
fn binaries() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("SITO_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
        })
        .ok_or_else(|| "no initdb found in /usr/lib/postgresql/*/bin or on the PATH".to_owned())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|error| format!("{what}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl PgServer {
    fn start() -> Result<PgServer, String> {
        let bin = binaries()?;
        let root = tempfile::Builder::new()
            .prefix("sito-pg-")
            .tempdir_in("/tmp")
            .map_err(|error| format!("temporary directory: {error}"))?
            // The watchdog deletes it, after the server has stopped.
            .keep();
        Self::start_in(bin, root.clone()).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&root);
        })
    }

    fn start_in(bin: PathBuf, root: PathBuf) -> Result<PgServer, String> {
        // As root, everything runs as `postgres`; otherwise as ourselves.
        let as_server_user: Vec<String> = if running_as_root() {
            run(
                Command::new("chown").args(["postgres:postgres"]).arg(&root),
                "chown the server directory to the postgres user (does the user exist?)",
            )?;
            [
                "setpriv",
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        };
        let server_command = |program: &str| -> Command {
            let path = bin.join(program);
            match as_server_user.split_first() {
                Some((first, rest)) => {
                    let mut command = Command::new(first);
                    command.args(rest).arg(path);
                    command
                }
                None => Command::new(path),
            }
        };
        run(
            server_command("initdb")
                .arg("-D")
                .arg(root.join("data"))
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "--no-locale",
                    "-E",
                    "UTF8",
                ])
                .arg("--no-instructions"),
            "initdb",
        )?;

        // $0 = the server command words, $1 = the directory.
        let log =
            std::fs::File::create(root.join("watchdog.log")).map_err(|error| error.to_string())?;
        let mut postgres_words: Vec<String> = as_server_user.clone();
        postgres_words.push(bin.join("postgres").display().to_string());
        let script = format!(
            "{} -D \"$1/data\" -k \"$1\" -p 5432 -c listen_addresses= -c fsync=off -c max_connections=200 \
             >\"$1/server.log\" 2>&1 & pid=$!\n\
             read _closed\n\
             kill -INT \"$pid\"; wait \"$pid\"; rm -rf \"$1\"\n",
            postgres_words.join(" ")
        );
        let mut watchdog = Command::new("sh")
            .args(["-c", &script, "sito-pg-watchdog"])
            .arg(&root)
            .stdin(Stdio::piped())
            // Its own process group: whatever the test runner does to the test's group, the watchdog lives on to
            // clean up.
            .process_group(0)
            // Never the test's own output: a test runner waits for those handles to close.
            .stdout(log.try_clone().map_err(|error| error.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|error| format!("start the server: {error}"))?;
        let stdin = watchdog.stdin.take().ok_or("no pipe to the watchdog")?;
        let server = PgServer {
            root,
            _watchdog_stdin: Mutex::new(stdin),
            _watchdog: Mutex::new(watchdog),
        };
        server.wait_until_ready(&bin)?;
        Ok(server)
    }

    fn wait_until_ready(&self, bin: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .arg("-h")
                .arg(&self.root)
                .args(["-p", "5432", "-U", "postgres", "-q"])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
                return Err(format!("the server did not start within 30 s: {log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL of `database` on this server (the socket directory as `host`).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}",
            self.root.display()
        )
    }

    /// A new empty database; its URL.
    pub async fn create_database(&self) -> String {
        let name = format!(
            "sito_test_{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(&self.url("postgres")).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        self.url(&name)
    }

    /// The files of the database at `url` and the write-ahead log, after a checkpoint wrote everything out.
    pub async fn bytes_of(&self, url: &str) -> Vec<u8> {
        let mut connection = PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql("CHECKPOINT")
            .execute(&mut connection)
            .await
            .unwrap();
        let oid: i64 = sqlx::query(
            "SELECT oid::BIGINT AS oid FROM pg_database WHERE datname = current_database()",
        )
        .fetch_one(&mut connection)
        .await
        .unwrap()
        .get("oid");
        let data = self.root.join("data");
        let mut bytes = Vec::new();
        for dir in [data.join("base").join(oid.to_string()), data.join("pg_wal")] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
        }
        bytes
    }
}
