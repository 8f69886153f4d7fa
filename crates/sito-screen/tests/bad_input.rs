//! The readers' rows of docs/bad-input.md that tests/readers.rs does not hold: a quote left open, control
//! characters, deep nesting and wrong types, in both the watchlist and the applicants file. Each error names the
//! file and the line where the damage starts, and no row after it is read as if nothing happened.
#![allow(clippy::expect_used)] // test fixtures: a failed setup should stop the test loudly

use std::path::PathBuf;

use sito_screen::read::{read_applicants_csv, read_watchlist};

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let directory =
        std::env::temp_dir().join(format!("sito-screen-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let path = directory.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

const WATCHLIST_HEADER: &str = "id,name,aliases,birth_date,birth_place,country\n";

#[test]
fn a_quote_left_open_or_a_control_character_is_refused_at_its_line() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "open_quote.csv",
            format!("{WATCHLIST_HEADER}W1,Ivanov Ivan,,,,\nW2,\"Petrov,,,,\nW3,Sidorov,,,,\n"),
            ":3: a field holds a line break or control character (a quote left open?)",
        ),
        (
            "nul.csv",
            format!("{WATCHLIST_HEADER}W1,\"Ivanov\u{0}Ivan\",,,,\n"),
            ":2: a field holds a line break",
        ),
        (
            "escape.csv",
            format!("{WATCHLIST_HEADER}W1,Ivanov\u{1b}[2J,,,,\n"),
            ":2: a field holds a line break",
        ),
        (
            "deep.jsonl",
            format!(
                "{{\"id\":\"W1\",\"schema\":\"Person\",\"properties\":{{\"name\":{}}}}}\n",
                "[".repeat(5_000) + &"]".repeat(5_000)
            ),
            ":1: invalid JSON: recursion limit exceeded",
        ),
        (
            "number_name.jsonl",
            "{\"id\":\"W1\",\"schema\":\"Person\",\"properties\":{\"name\":[5]}}\n".to_owned(),
            ":1: Person entity without a name",
        ),
    ];
    for (name, text, expected) in cases {
        let error = read_watchlist(&write(name, text.as_bytes()))
            .expect_err(name)
            .to_string();
        assert!(error.contains(name), "{name}: {error}");
        assert!(
            error.contains(expected),
            "{name}: {error:?} lacks {expected:?}"
        );
    }
    // A tab inside a name is kept: exports from spreadsheets carry them.
    let (records, _) = read_watchlist(&write(
        "tab.csv",
        format!("{WATCHLIST_HEADER}W1,Ivanov\tIvan,,,,\n").as_bytes(),
    ))
    .expect("a tab is accepted");
    assert_eq!(records.len(), 1);
    // The applicants file is read by the same rules.
    let error = read_applicants_csv(&write(
        "applicants.csv",
        b"id,name,birth_date,birth_place\nA1,\"Orlov,,\nA2,Sokolov,,\n",
    ))
    .expect_err("open quote")
    .to_string();
    assert!(error.contains("applicants.csv:2"), "{error}");
    assert!(error.contains("a quote left open?"), "{error}");
}
