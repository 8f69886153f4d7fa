//! The fuzz targets' harnesses (`fuzz/fuzz_targets/`) run on stable in every test run. Each seed of the checked-in
//! corpus (`fuzz/seeds/TARGET/`, the same seeds `scripts/fuzz` starts cargo-fuzz from) is tried first. Then come
//! a few thousand mutations of the seeds (bytes flipped, inserted, cut, halves swapped) and arbitrary bytes. A
//! panic anywhere fails the test, and the seeds that are valid inputs must still be accepted, so the corpus keeps
//! meaning something. The long coverage-guided runs stay in `scripts/fuzz` (libFuzzer needs cargo-fuzz).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proptest::prelude::*;

const TARGETS: [&str; 8] = [
    "codename",
    "intake_application",
    "intake_upload",
    "pipeline_toml",
    "plan_instance",
    "sealed_blob",
    "simulate_scenario",
    "watchlist",
];

static KEYRING: LazyLock<sito_keyring::OfficeKeyring> =
    LazyLock::new(|| sito_keyring::OfficeKeyring::generate(0));

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

/// The seeds of one target, by file name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|error| panic!("fuzz/seeds/{target}: {error}"))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.sort();
    seeds
}

/// What each fuzz target does with its input, here returning whether the input was accepted. Every harness must
/// return (never panic) on any input.
fn run(target: &str, bytes: &[u8]) -> bool {
    let text = std::str::from_utf8(bytes);
    match target {
        "codename" => text.is_ok_and(|typed| match sito_crypto::Codename::parse(typed) {
            Ok(codename) => {
                // A parsed codename is canonical: parsing its canonical form gives it back.
                let again = sito_crypto::Codename::parse(codename.expose());
                assert!(again.is_ok_and(|again| again == codename), "{typed:?}");
                true
            }
            Err(_) => false,
        }),
        "intake_application" => sito_intake::application::Application::from_json(bytes).is_ok(),
        "intake_upload" => sito_intake::upload::accept(bytes).is_ok(),
        "pipeline_toml" => {
            text.is_ok_and(|text| sito_core::Pipeline::from_toml("fuzz.toml", text).is_ok())
        }
        "plan_instance" => {
            text.is_ok_and(|text| sito_plan::schedule::Instance::from_json(text).is_ok())
        }
        "sealed_blob" => KEYRING.open(bytes).is_ok(),
        "simulate_scenario" => {
            text.is_ok_and(|text| sito_plan::simulate::Scenario::from_toml_str(text).is_ok())
        }
        "watchlist" => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("watchlist.csv");
            std::fs::write(&path, bytes).unwrap();
            sito_screen::read::read_watchlist(&path).is_ok()
        }
        other => panic!("no harness for {other}"),
    }
}

#[test]
fn every_target_has_seeds_and_the_valid_ones_are_accepted() {
    let targets_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    for entry in std::fs::read_dir(targets_dir).unwrap() {
        let name = entry.unwrap().path();
        let name = name.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            TARGETS.contains(&name.as_str()),
            "fuzz target {name} has no stable run here"
        );
    }
    // The seeds that are real inputs: taken from the contracts and the default pipeline.
    let valid = [
        ("codename", "canonical.txt"),
        ("intake_application", "contract-example.json"),
        ("intake_upload", "tiny.png"),
        ("pipeline_toml", "legion.toml"),
        ("plan_instance", "contract-example.json"),
        ("simulate_scenario", "contract-example.toml"),
        ("watchlist", "contract-example.csv"),
    ];
    for target in TARGETS {
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} is empty");
        for (name, bytes) in &seeds {
            let accepted = run(target, bytes);
            if valid.contains(&(target, name.as_str())) {
                assert!(accepted, "{target}/{name} is a valid input and was refused");
            }
        }
    }
    assert!(
        !run("intake_upload", &seeds("intake_upload")[0].1),
        "a file of no known kind is refused"
    );
    assert!(
        !run("sealed_blob", &seeds("sealed_blob")[0].1),
        "a blob for no key opens nothing"
    );
}

/// One change to a seed, as a mutation-based fuzzer makes them.
#[derive(Clone, Debug)]
enum Edit {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, Vec<u8>),
    Cut(prop::sample::Index, prop::sample::Index),
    SwapHalves(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(at, bits)| Edit::Flip(at, bits)),
        (
            any::<prop::sample::Index>(),
            prop::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    // Bytes parsers care about: quotes, brackets, separators, newlines, UTF-8 lead bytes.
                    prop::sample::select(b"\"'{}[],:;=\n\r\t\\#-0\xd0\xff".to_vec()),
                ],
                1..16
            )
        )
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(from, to)| Edit::Cut(from, to)),
        any::<prop::sample::Index>().prop_map(Edit::SwapHalves),
    ]
}

fn apply(mut bytes: Vec<u8>, edit: &Edit) -> Vec<u8> {
    let len = bytes.len();
    match edit {
        Edit::Flip(at, bits) if len > 0 => bytes[at.index(len)] ^= bits | 1,
        Edit::Insert(at, more) => {
            let at = at.index(len + 1);
            bytes.splice(at..at, more.iter().copied());
        }
        Edit::Cut(from, to) if len > 0 => {
            let (a, b) = (from.index(len), to.index(len));
            bytes.drain(a.min(b)..a.max(b));
        }
        Edit::SwapHalves(at) if len > 1 => bytes.rotate_left(at.index(len)),
        _ => {}
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_seeds_never_panic_a_parser(
        target in prop::sample::select(TARGETS.to_vec()),
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let seeds = seeds(target);
        let bytes = edits
            .iter()
            .fold(seeds[seed.index(seeds.len())].1.clone(), apply);
        run(target, &bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_parser(
        target in prop::sample::select(TARGETS.to_vec()),
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        run(target, &bytes);
    }
}
