//! Invariant 8 end to end: flood the intake of a real `sito demo`, `kill -9` it mid-flood, restart, let the
//! office pull, and check that every submission answered `201` became exactly one case and still opens its status.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod http;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{listening_addresses, post_json, try_send};
use sito_intake::store::{IntakeStore, SqliteIntakeStore};
use sito_store::intake::{ReceivedStore, SqliteReceivedStore};

const WRITERS: usize = 4;

struct Demo {
    child: Child,
    intake: SocketAddr,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path) -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(["demo", "--empty", "--data"])
        .arg(data)
        .args([
            "--office-listen",
            "127.0.0.1:0",
            "--intake-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sito demo");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addresses = listening_addresses(&mut lines, &["office", "intake"]);
    std::thread::spawn(move || for _ in lines {});
    Demo {
        child,
        intake: addresses[1],
    }
}

fn application(call_sign: &str) -> String {
    serde_json::json!({
        "language": "en", "category": "political_emigre", "call_sign": call_sign,
        "full_name": "Test Applicant", "birth_date": "1990-01-01", "birth_place": "Tver",
        "contacts": [ { "kind": "signal", "value": "+7 900 000-00-00" } ],
        "statement": "crash test"
    })
    .to_string()
}

#[test]
fn every_acknowledged_submission_survives_kill_9_and_becomes_one_case() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut demo = start(&data);
    let acknowledged: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let acknowledged = Arc::clone(&acknowledged);
            let address = demo.intake;
            std::thread::spawn(move || {
                for n in 0.. {
                    let call_sign = format!("crash-{writer}-{n}");
                    let Ok(response) = try_send(
                        address,
                        "/api/v1/applications",
                        "application/json",
                        application(&call_sign).as_bytes(),
                    ) else {
                        return;
                    };
                    if response.status == 201 {
                        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
                        acknowledged
                            .lock()
                            .unwrap()
                            .insert(call_sign, body["codename"].as_str().unwrap().to_owned());
                    } else {
                        assert_eq!(response.status, 429, "{}", response.body);
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 24 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no destructor, no flush, no graceful shutdown.
    demo.child.kill().unwrap();
    demo.child.wait().unwrap();
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 24,
        "the flood got only {} answers",
        acknowledged.len()
    );

    let demo = start(&data);
    let url = format!("sqlite://{}", data.join("office.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (intake, received, office) = runtime.block_on(async {
        (
            SqliteIntakeStore::open(&url).await.unwrap(),
            SqliteReceivedStore::open(&url).await.unwrap(),
            sito_store::open(&url).await.unwrap(),
        )
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while runtime.block_on(intake.pending_count()).unwrap() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        runtime.block_on(intake.pending_count()).unwrap(),
        0,
        "the office did not pull everything"
    );

    let page = runtime
        .block_on(office.list_cases(&Default::default(), 1, 1000))
        .unwrap();
    let mut per_call_sign: BTreeMap<String, usize> = BTreeMap::new();
    for case in &page.cases {
        *per_call_sign.entry(case.call_sign.clone()).or_default() += 1;
    }
    for call_sign in acknowledged.keys() {
        assert_eq!(
            per_call_sign.get(call_sign),
            Some(&1),
            "{call_sign} must be exactly one case"
        );
    }
    assert!(
        per_call_sign.values().all(|count| *count == 1),
        "a submission became two cases"
    );
    // Requests in flight at the kill may have committed without their answer; at most one per writer.
    assert!(
        page.cases.len() <= acknowledged.len() + WRITERS,
        "{} cases for {} answers",
        page.cases.len(),
        acknowledged.len()
    );
    assert_eq!(
        runtime.block_on(received.received_cases()).unwrap().len(),
        page.cases.len()
    );

    for codename in acknowledged.values().take(5) {
        let response = post_json(
            demo.intake,
            "/api/v1/status",
            &serde_json::json!({ "codename": codename }).to_string(),
        );
        assert_eq!(response.status, 200, "{}", response.body);
    }
}
