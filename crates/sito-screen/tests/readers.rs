//! Malformed inputs per the contract: each error names the file, the line and the problem; FollowTheMoney
//! entities of other schemata are skipped and counted.

#![allow(clippy::expect_used)] // test fixtures: a failed setup should stop the test loudly

use std::path::PathBuf;

use sito_screen::read::{ReadError, read_applicants_csv, read_watchlist};

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let directory =
        std::env::temp_dir().join(format!("sito-screen-readers-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let path = directory.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

const WATCHLIST_HEADER: &str = "id,name,aliases,birth_date,birth_place,country\n";

#[test]
fn valid_csv_reads_with_aliases_and_partial_dates() {
    let path = write(
        "ok.csv",
        format!("{WATCHLIST_HEADER}W1,\"KOSLOW, GERMAN\",Kozlov German;Козлов Герман,1980-05,Tver,ru\nW2,Иванов Иван,,,,\n").as_bytes(),
    );
    let (records, skipped) = read_watchlist(&path).expect("reads");
    assert_eq!(skipped.other_schema, 0);
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].names,
        ["KOSLOW, GERMAN", "Kozlov German", "Козлов Герман"]
    );
    assert_eq!(records[0].birth_dates[0].to_string(), "1980-05");
    assert!(records[1].birth_dates.is_empty() && records[1].birth_place.is_none());
}

#[test]
fn malformed_inputs_name_file_line_and_problem() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("missing_column.csv", b"id,name,birth_date,birth_place,country\nW1,X,,,\n".to_vec(), ":1: missing column \"aliases\""),
        ("bad_date.csv", format!("{WATCHLIST_HEADER}W1,Ivanov Ivan,,1980-13-01,,\n").into_bytes(), ":2: malformed date"),
        ("bad_date2.csv", format!("{WATCHLIST_HEADER}W1,A B,,,,\nW2,Ivanov Ivan,,12.05.1980,,\n").into_bytes(), ":3: malformed date"),
        (
            "bad_utf8.csv",
            [WATCHLIST_HEADER.as_bytes(), b"W1,Ivanov Ivan,,,,\nW2,Iv\xffnov,,,,\n"].concat(),
            ":3: not valid UTF-8",
        ),
        ("empty_name.csv", format!("{WATCHLIST_HEADER}W1,,,,,\n").into_bytes(), ":2: entry without a name"),
        ("empty_id.csv", format!("{WATCHLIST_HEADER},Ivanov,,,,\n").into_bytes(), ":2: empty id"),
        ("bad.jsonl", b"{\"id\":\"W1\",\"schema\":\"Person\",\"properties\":{\"name\":[\"A B\"]}}\n{not json\n".to_vec(), ":2: invalid JSON"),
        ("bad_date.jsonl", b"{\"id\":\"W1\",\"schema\":\"Person\",\"properties\":{\"name\":[\"A B\"],\"birthDate\":[\"19x0\"]}}\n".to_vec(), ":1: malformed date"),
        ("no_schema.json", b"{\"id\":\"W1\"}\n".to_vec(), ":1: entity without a schema"),
        ("watchlist.txt", b"x".to_vec(), "unsupported watchlist format"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(name, &bytes);
        let error = read_watchlist(&path).expect_err(name).to_string();
        assert!(error.contains(name), "{name}: {error}");
        assert!(
            error.contains(expected),
            "{name}: {error:?} lacks {expected:?}"
        );
    }
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    let error =
        read_watchlist(std::path::Path::new("/nonexistent/watchlist.csv")).expect_err("missing");
    assert!(matches!(error, ReadError::Io { .. }));
    assert!(error.to_string().contains("/nonexistent/watchlist.csv"));
}

#[test]
fn applicants_need_their_columns_and_valid_dates() {
    let path = write("applicants_missing.csv", b"id,name,birth_date\nA1,X Y,\n");
    assert!(
        read_applicants_csv(&path)
            .expect_err("missing")
            .to_string()
            .contains("missing column \"birth_place\"")
    );
    let path = write(
        "applicants_bad.csv",
        b"id,name,birth_date,birth_place\nA1,X Y,1980-02-30,\n",
    );
    assert!(
        read_applicants_csv(&path)
            .expect_err("bad date")
            .to_string()
            .contains(":2: malformed date")
    );
    let path = write(
        "applicants_ok.csv",
        b"id,name,birth_date,birth_place,extra\nA1,X Y,1980,Tver,1\n",
    );
    let applicants = read_applicants_csv(&path).expect("reads");
    assert_eq!(applicants[0].birth_place.as_deref(), Some("Tver"));
}

#[test]
fn followthemoney_reads_persons_and_counts_the_rest() {
    let lines = [
        r#"{"id":"W1","schema":"Person","properties":{"name":["Иванов Иван"],"alias":["Ivanov Ivan"],"birthDate":["1980-05-05"],"birthPlace":["Tver"],"country":["ru"]}}"#,
        r#"{"id":"S1","schema":"Sanction","properties":{"entity":["W1"]}}"#,
        r#"{"id":"O1","schema":"Organization","properties":{"name":["Acme"]}}"#,
        "",
        r#"{"id":"W2","schema":"Person","properties":{"name":["Petrov Petr"],"birthDate":["1970-01-01T00:00:00"]}}"#,
    ];
    let path = write("ftm.jsonl", lines.join("\n").as_bytes());
    let (records, skipped) = read_watchlist(&path).expect("reads");
    assert_eq!(skipped.other_schema, 2);
    assert_eq!(
        records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["W1", "W2"]
    );
    assert_eq!(records[0].names, ["Иванов Иван", "Ivanov Ivan"]);
    assert_eq!(records[1].birth_dates[0].to_string(), "1970-01-01");
}

#[test]
fn the_projects_followthemoney_sample_reads_with_nationality_and_progress() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ftm-sample.jsonl");
    let reported = std::cell::Cell::new((0u64, 0u64));
    let progress = |read: u64, total: u64| reported.set((read, total));
    let (records, skipped) =
        sito_screen::read::read_watchlist_with_progress(&path, &progress).expect("reads");
    assert_eq!(skipped.other_schema, 2, "the Sanction and the Organization");
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "sito-sample-0001",
            "sito-sample-0002",
            "sito-sample-0003",
            "sito-sample-0006"
        ]
    );
    assert_eq!(records[0].names.len(), 3, "name and both aliases");
    assert_eq!(
        records[0].country.as_deref(),
        Some("ru"),
        "from nationality"
    );
    assert_eq!(records[1].birth_dates[0].to_string(), "1985-07");
    assert_eq!(records[2].birth_dates[0].to_string(), "1990-01-02");
    assert!(records[3].birth_dates.is_empty());
    let size = std::fs::metadata(&path).expect("size").len();
    assert_eq!(
        reported.get(),
        (size, size),
        "progress reaches the end of the file"
    );
}
