//! The command line's rows of docs/bad-input.md: broken, hostile and oversized files and flags given to the real
//! `sito` binary. Each must exit 2 (bad input) with one `error:` line naming the file (and the line where there is
//! one), and write nothing where an output was asked for.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: Option<i32>,
    stderr: String,
    stdout: String,
}

fn sito(args: &[&str], dir: &Path) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Exit 2, a message with every one of `words`, no panic and no backtrace.
fn assert_bad_input(run: &Run, words: &[&str], what: &str) {
    assert_eq!(run.code, Some(2), "{what}: {}", run.stderr);
    for word in words {
        assert!(
            run.stderr.contains(word),
            "{what}: {:?} lacks {word:?}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert!(
        run.stderr.len() < 2_000,
        "{what}: one short message: {}",
        run.stderr.len()
    );
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

const WATCHLIST_HEADER: &str = "id,name,aliases,birth_date,birth_place,country\n";
const APPLICANTS: &str = "id,name,birth_date,birth_place\nA1,Иванов Сергей,,\n";

#[test]
fn sito_screen_refuses_broken_watchlists_and_flags_and_writes_no_hits() {
    let dir = tempfile::tempdir().unwrap();
    let applicants = write(dir.path(), "applicants.csv", APPLICANTS.as_bytes());
    let applicants = applicants.to_str().unwrap();
    let deep = format!(
        "{{\"id\":\"W1\",\"schema\":\"Person\",\"properties\":{}}}\n",
        nested("[", "]", 10_000)
    );
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        // A quote left open would swallow the rest of the file into one name (and W2 would never be screened
        // against); a control character has no place in a name either.
        (
            "quote.csv",
            format!("{WATCHLIST_HEADER}W1,\"Ivanov,,,,\nW2,Petrov,,,,\n").into_bytes(),
            vec!["quote.csv:2", "a quote left open?"],
        ),
        (
            "nul.csv",
            format!("{WATCHLIST_HEADER}W1,\"Ivanov\u{0}\",,,,\n").into_bytes(),
            vec!["nul.csv:2", "control character"],
        ),
        (
            "utf8.csv",
            [WATCHLIST_HEADER.as_bytes(), b"W1,Iv\xffnov,,,,\n"].concat(),
            vec!["utf8.csv:2", "not valid UTF-8"],
        ),
        (
            "deep.jsonl",
            deep.into_bytes(),
            vec!["deep.jsonl:1", "invalid JSON"],
        ),
        (
            "huge_date.csv",
            format!("{WATCHLIST_HEADER}W1,Ivanov Ivan,,99999999999-01-01,,\n").into_bytes(),
            vec!["huge_date.csv:2", "malformed date"],
        ),
        (
            "wrong_type.jsonl",
            b"{\"id\":\"W1\",\"schema\":\"Person\",\"properties\":{\"name\":5}}\n".to_vec(),
            vec!["wrong_type.jsonl:1"],
        ),
    ];
    for (name, bytes, words) in &cases {
        let watchlist = write(dir.path(), name, bytes);
        let out = dir.path().join("hits.csv");
        let run = sito(
            &[
                "screen",
                "--watchlist",
                watchlist.to_str().unwrap(),
                "--applicants",
                applicants,
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_bad_input(&run, words, name);
        assert!(!out.exists(), "{name}: no hits file");
    }
    let watchlist = write(
        dir.path(),
        "good.csv",
        format!("{WATCHLIST_HEADER}W1,Ivanov Ivan,,,,\n").as_bytes(),
    );
    let watchlist = watchlist.to_str().unwrap();
    for (threshold, words) in [
        ("NaN", vec!["threshold"]),
        ("1e999", vec!["threshold"]),
        ("-0.5", vec!["threshold"]),
    ] {
        let run = sito(
            &[
                "screen",
                "--watchlist",
                watchlist,
                "--applicants",
                applicants,
                &format!("--threshold={threshold}"),
            ],
            dir.path(),
        );
        assert_bad_input(&run, &words, threshold);
        assert!(run.stdout.is_empty());
    }
    // Flags clap refuses (a number too big for its type, a missing value) also exit 2.
    let run = sito(
        &[
            "screen",
            "--watchlist",
            watchlist,
            "--applicants",
            applicants,
            "--threads",
            "99999999999999999999999",
        ],
        dir.path(),
    );
    assert_bad_input(&run, &["--threads"], "threads");
    let missing = sito(
        &[
            "screen",
            "--watchlist",
            "../../../etc/shadow.csv",
            "--applicants",
            applicants,
        ],
        dir.path(),
    );
    assert_bad_input(
        &missing,
        &["../../../etc/shadow.csv"],
        "a path that is not there",
    );
}

const INSTANCE: &str = r#"{"days": 1, "slots_per_day": 8, "durations": {"interview": 1, "polygraph": 2},
    "min_gap_slots": 1, "locations": [], "staff": [], "candidates": []}"#;

#[test]
fn sito_plan_refuses_broken_instances_naming_file_and_line_and_writes_no_plan() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "deep.json",
            INSTANCE.replace(
                "\"days\": 1",
                &format!("\"days\": {}", nested("[", "]", 20_000)),
            ),
            vec!["deep.json", "line 1", "invalid type"],
        ),
        (
            "huge.json",
            INSTANCE.replace("\"days\": 1", "\"days\": 18446744073709551616"),
            vec!["huge.json", "line 1"],
        ),
        (
            "float.json",
            INSTANCE.replace("\"days\": 1", "\"days\": 1e999"),
            vec!["float.json", "line 1"],
        ),
        (
            "negative.json",
            INSTANCE.replace("\"days\": 1", "\"days\": -1"),
            vec!["negative.json", "line 1"],
        ),
        (
            "wrong_type.json",
            INSTANCE.replace("\"days\": 1", "\"days\": \"one\""),
            vec!["wrong_type.json", "line 1"],
        ),
        (
            "duplicate.json",
            INSTANCE.replace("\"days\": 1", "\"days\": 1, \"days\": 2"),
            vec!["duplicate.json", "duplicate field `days`"],
        ),
        (
            "control.json",
            INSTANCE.replace("\"locations\": []", "\"locations\": [\"a\u{1}b\"]"),
            vec!["control.json", "line 2"],
        ),
    ];
    for (name, text, words) in &cases {
        let instance = write(dir.path(), name, text.as_bytes());
        let out = dir.path().join("plan.json");
        let run = sito(
            &[
                "plan",
                "--instance",
                instance.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_bad_input(&run, words, name);
        assert!(!out.exists(), "{name}: no plan written");
    }
    // An unknown field is skipped, however deep it nests (serde_json skips without recursing): the plan is made.
    let extra = INSTANCE.replace(
        "\"days\": 1",
        &format!("\"days\": 1, \"extra\": {}", nested("[", "]", 20_000)),
    );
    let instance = write(dir.path(), "extra.json", extra.as_bytes());
    let out = dir.path().join("plan.json");
    let run = sito(
        &[
            "plan",
            "--instance",
            instance.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(out.exists());
    let broken = write(dir.path(), "utf8.json", b"{\"days\": 1, \"x\": \"\xff\"}");
    let run = sito(
        &["plan", "--instance", broken.to_str().unwrap()],
        dir.path(),
    );
    assert_bad_input(&run, &["utf8.json"], "broken UTF-8");
    assert!(run.stdout.is_empty());
}

const SCENARIO: &str = "days = 30\nwarmup_days = 5\narrivals_per_day = 4\n\n[[stage]]\nname = \"only\"\n\
                        servers = 2\nservice_hours_mean = 1.0\nhours_per_day = 24\n";

#[test]
fn sito_simulate_refuses_broken_scenarios_and_escapes_names_in_its_chart() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "utf8.toml",
            [SCENARIO.as_bytes(), b"# \xff\n"].concat(),
            vec!["utf8.toml", "cannot read the scenario"],
        ),
        (
            "duplicate.toml",
            SCENARIO
                .replace("days = 30\n", "days = 30\ndays = 31\n")
                .into_bytes(),
            vec!["duplicate.toml:2"],
        ),
        (
            "huge.toml",
            SCENARIO
                .replace("days = 30", "days = 99999999999999999999")
                .into_bytes(),
            vec!["huge.toml:1"],
        ),
        (
            "wrong_type.toml",
            SCENARIO
                .replace("servers = 2", "servers = \"two\"")
                .into_bytes(),
            vec!["wrong_type.toml"],
        ),
        (
            "deep.toml",
            format!("{SCENARIO}x = {}\n", nested("[", "]", 10_000)).into_bytes(),
            vec!["deep.toml"],
        ),
        (
            "control.toml",
            SCENARIO.replace("\"only\"", "\"on\u{1}ly\"").into_bytes(),
            vec!["control.toml:6"],
        ),
        (
            "overflow.toml",
            SCENARIO
                .replace("servers = 2", "servers = 4294967296")
                .into_bytes(),
            vec!["overflow.toml"],
        ),
    ];
    for (name, bytes, words) in &cases {
        let scenario = write(dir.path(), name, bytes);
        let chart = dir.path().join("chart.svg");
        let run = sito(
            &[
                "simulate",
                "--scenario",
                scenario.to_str().unwrap(),
                "--chart",
                chart.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_bad_input(&run, words, name);
        assert!(!chart.exists(), "{name}: no chart");
    }
    // A stage named like markup is drawn as text in the SVG.
    let hostile = SCENARIO.replace("\"only\"", "\"<script>alert(1)</script>\"");
    let scenario = write(dir.path(), "<b>evil.toml", hostile.as_bytes());
    let chart = dir.path().join("chart.svg");
    let run = sito(
        &[
            "simulate",
            "--scenario",
            scenario.to_str().unwrap(),
            "--chart",
            chart.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(!svg.contains("<script") && !svg.contains("<b>"), "{svg}");
    assert!(svg.contains("&lt;b&gt;evil.toml"));
}

#[test]
fn a_broken_pipeline_file_stops_the_office_before_it_opens_anything() {
    let dir = tempfile::tempdir().unwrap();
    // `sito office` looks for the database before it reads the pipeline; an empty file is enough for that.
    std::fs::write(dir.path().join("office.db"), b"").unwrap();
    let base = include_str!("../../../pipelines/legion.toml");
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "utf8.toml",
            [base.as_bytes(), b"\n# \xff\n"].concat(),
            vec!["utf8.toml", "cannot read the pipeline file"],
        ),
        (
            "duplicate.toml",
            base.replacen("version = 1\n", "version = 1\nversion = 2\n", 1)
                .into_bytes(),
            vec!["duplicate.toml:"],
        ),
        (
            "huge.toml",
            base.replacen("version = 1", "version = 99999999999999999999", 1)
                .into_bytes(),
            vec!["huge.toml:"],
        ),
        (
            "wrong_type.toml",
            base.replacen("name = \"legion\"", "name = 7", 1)
                .into_bytes(),
            vec!["wrong_type.toml:"],
        ),
        (
            "deep.toml",
            format!("x = {}\n{base}", nested("[", "]", 10_000)).into_bytes(),
            vec!["deep.toml:"],
        ),
        (
            "control.toml",
            base.replacen("name = \"legion\"", "name = \"le\u{1b}gion\"", 1)
                .into_bytes(),
            vec!["control.toml:"],
        ),
        ("empty.toml", Vec::new(), vec!["empty.toml"]),
    ];
    for (name, bytes, words) in &cases {
        let pipeline = write(dir.path(), name, bytes);
        let run = sito(
            &[
                "office",
                "--data",
                dir.path().to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--pipeline",
                pipeline.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_bad_input(&run, words, name);
        assert!(!run.stderr.contains("listening"), "{name}: nothing served");
    }
    assert_eq!(
        std::fs::read(dir.path().join("office.db")).unwrap(),
        b"",
        "the database was not touched"
    );
}
