//! Starts the real `sito demo` binary on free ports and reads what it prints: the two addresses and the accounts.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use sito_core::Role;

pub struct Account {
    pub role: Role,
    pub user: String,
    pub password: String,
    /// The account's TOTP secret (base32), as `sito demo` printed it.
    pub totp_secret: String,
}

impl Account {
    /// The six digits the account's authenticator shows now.
    pub fn code_now(&self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        sito_office::totp::code_at(&self.totp_secret, now).unwrap()
    }
}

pub struct Demo {
    child: Child,
    /// The lines the demo logs after it started listening, for tests that wait for background work.
    log: Mutex<Receiver<String>>,
    pub office: SocketAddr,
    pub intake: SocketAddr,
    pub accounts: Vec<Account>,
    pub dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// Starts a demo with `cases` synthetic applications in a fresh directory.
    pub fn start(cases: usize) -> Demo {
        Demo::launch(&["--cases", &cases.to_string()])
    }

    /// Starts a demo without any application (`--empty`): staff and units only.
    pub fn start_empty() -> Demo {
        Demo::launch(&["--empty"])
    }

    /// Starts an empty demo with further command-line options (e.g. `--public-url`).
    pub fn start_empty_with(options: &[&str]) -> Demo {
        Demo::launch(&[&["--empty"], options].concat())
    }

    /// Starts a demo with these extra arguments (e.g. `--database postgres://…`).
    pub fn launch(seeding: &[&str]) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sito"))
            .args(["demo", "--data"])
            .arg(dir.path().join("data"))
            .args([
                "--office-listen",
                "127.0.0.1:0",
                "--intake-listen",
                "127.0.0.1:0",
            ])
            .args(seeding)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sito demo");
        let mut accounts = Vec::new();
        let mut addresses: HashMap<String, SocketAddr> = HashMap::new();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("staff account: ") {
                let field = |name: &str| {
                    rest.split(' ')
                        .find_map(|part| part.strip_prefix(&format!("{name}=")))
                        .unwrap()
                        .to_owned()
                };
                accounts.push(Account {
                    role: Role::parse(&field("role")).unwrap(),
                    user: field("user"),
                    password: field("password"),
                    totp_secret: field("totp_secret"),
                });
            }
            if let Some(rest) = line.strip_prefix("listening on http://")
                && let Some((address, site)) = rest.split_once(' ')
            {
                addresses.insert(
                    site.trim_matches(['(', ')']).to_owned(),
                    address.parse().unwrap(),
                );
            }
            // The accounts come first, then the office's address, then the intake's.
            if addresses.len() == 2 {
                break;
            }
        }
        // Keep draining stderr so the server never blocks on a full pipe; the lines go to `wait_for_log`.
        let (sender, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                // A test that never waits has dropped nothing: the receiver lives as long as the demo.
                let _ = sender.send(line);
            }
        });
        Demo {
            child,
            log: Mutex::new(log),
            office: addresses["office"],
            intake: addresses["intake"],
            accounts,
            dir,
        }
    }

    /// Waits until the demo logs a line containing `text` (e.g. the background linker's first "link analysis
    /// done"), so a test does not race the office's own background work; panics after `timeout`.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let log = self.log.lock().unwrap();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the demo did not log `{text}` in {timeout:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the demo stopped before logging `{text}`")
                }
            }
        }
    }

    /// The account `sito demo` printed with this call sign.
    pub fn account_named(&self, user: &str) -> &Account {
        self.accounts
            .iter()
            .find(|account| account.user == user)
            .unwrap()
    }

    pub fn account(&self, role: Role) -> &Account {
        self.accounts
            .iter()
            .find(|account| account.role == role)
            .unwrap()
    }
}
