//! The public intake faces the adversary, so a flaw in an office page must not ship inside it: this test fails
//! when `sito-intake` depends, directly or through anything, on office code, the office store, the engines, or a
//! crate that can open an office key.
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

const FORBIDDEN: &[&str] = &[
    "sito-office",
    "sito-store",
    "sito-screen",
    "sito-plan",
    "sito-keyring",
    "sito",
];

#[test]
fn the_intake_links_no_office_crate() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Resolved for the host only: offline, cargo can't read manifests of other platforms' crates it never
    // fetched, and the crates this test forbids are ours, the same on every platform.
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", host.trim()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| Some((package["id"].as_str()?, package["name"].as_str()?)))
        .collect();
    // Normal (non-dev) edges only: what the intake binary links.
    let edges: BTreeMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .filter_map(|node| {
            let deps = node["deps"]
                .as_array()?
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"].as_array().is_some_and(|kinds| {
                        kinds
                            .iter()
                            .any(|kind| kind["kind"].is_null() || kind["kind"] == "build")
                    })
                })
                .filter_map(|dep| dep["pkg"].as_str())
                .collect();
            Some((node["id"].as_str()?, deps))
        })
        .collect();
    let intake = names
        .iter()
        .find(|(_, name)| **name == "sito-intake")
        .map(|(id, _)| *id)
        .expect("sito-intake is a workspace member");
    let mut seen = BTreeSet::new();
    let mut stack = vec![intake];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(edges.get(id).into_iter().flatten().copied());
        }
    }
    let reached: BTreeSet<&str> = seen
        .iter()
        .filter_map(|id| names.get(id).copied())
        .collect();
    assert!(
        reached.contains("sito-crypto"),
        "the walk found the intake's own dependencies: {reached:?}"
    );
    let leaks: Vec<&&str> = FORBIDDEN
        .iter()
        .filter(|name| reached.contains(*name))
        .collect();
    assert!(leaks.is_empty(), "sito-intake depends on {leaks:?}");
}
