//! Starts the real `sito demo` binary on free ports and reads what it prints: the two addresses and the accounts.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

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
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Demo {
            child,
            office: addresses["office"],
            intake: addresses["intake"],
            accounts,
            dir,
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
