//! The public intake faces the adversary, so a flaw in an office page must not ship inside it: this test fails
//! when `sito-intake` depends, directly or through anything, on office code, the office store, the engines, or a
//! crate that can open an office key.
#![allow(clippy::expect_used)] // test helpers may panic: a panic is a test failure
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
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

/// What `cargo metadata` says the intake links: every package reached over normal and build edges, by name, with
/// the directory of its manifest.
struct IntakeClosure {
    reached: BTreeMap<String, PathBuf>,
    workspace: BTreeMap<String, PathBuf>,
}

/// The platform this test builds for, as `rustc -vV` names it.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

fn intake_closure() -> IntakeClosure {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Filtered to the host: the intake is built and run here, and unfiltered metadata needs the sources of
    // every other platform's crates (e.g. Windows-only ones), which an offline machine does not have.
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host_triple()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let packages: BTreeMap<&str, (&str, PathBuf)> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| {
            let directory = Path::new(package["manifest_path"].as_str()?).parent()?;
            Some((
                package["id"].as_str()?,
                (package["name"].as_str()?, directory.to_path_buf()),
            ))
        })
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
    let intake = packages
        .iter()
        .find(|(_, (name, _))| *name == "sito-intake")
        .map(|(id, _)| *id)
        .expect("sito-intake is a workspace member");
    let mut seen = BTreeSet::new();
    let mut stack = vec![intake];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(edges.get(id).into_iter().flatten().copied());
        }
    }
    let named = |id: &&str| {
        packages
            .get(id)
            .map(|(name, directory)| (name.to_string(), directory.clone()))
    };
    let workspace = metadata["workspace_members"]
        .as_array()
        .expect("workspace members")
        .iter()
        .filter_map(|member| named(&member.as_str()?))
        .collect();
    IntakeClosure {
        reached: seen.iter().filter_map(named).collect(),
        workspace,
    }
}

#[test]
fn the_intake_links_no_office_crate() {
    let closure = intake_closure();
    assert!(
        closure.reached.contains_key("sito-crypto"),
        "the walk found the intake's own dependencies: {:?}",
        closure.reached.keys()
    );
    let leaks: Vec<&&str> = FORBIDDEN
        .iter()
        .filter(|name| closure.reached.contains_key(**name))
        .collect();
    assert!(leaks.is_empty(), "sito-intake depends on {leaks:?}");
}

/// The keyring file starts with this line; code that reads the file must name it.
const KEYRING_FILE_MAGIC: &str = "sito-keyring-v1";

fn sources_naming(directory: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![directory.join("src")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            let entries = std::fs::read_dir(&path).expect("source directory is readable");
            stack.extend(entries.filter_map(|entry| Some(entry.ok()?.path())));
        } else if path.extension().is_some_and(|extension| extension == "rs")
            && std::fs::read_to_string(&path).is_ok_and(|text| text.contains(needle))
        {
            found.push(path);
        }
    }
    found
}

/// A crate name in FORBIDDEN says nothing if the keyring code moves back into a crate the intake links (say
/// sito-crypto). So: no workspace crate the intake links contains the code that reads the keyring file, and
/// sito-keyring, which the intake does not link, does.
#[test]
fn no_crate_the_intake_links_can_read_the_office_keyring() {
    let closure = intake_closure();
    let keyring = closure
        .workspace
        .get("sito-keyring")
        .expect("sito-keyring is a workspace member");
    assert!(
        !sources_naming(keyring, KEYRING_FILE_MAGIC).is_empty(),
        "sito-keyring no longer names the keyring file header {KEYRING_FILE_MAGIC:?}: update this test"
    );
    let readers: Vec<PathBuf> = closure
        .reached
        .iter()
        .filter(|(name, _)| closure.workspace.contains_key(*name))
        .flat_map(|(_, directory)| sources_naming(directory, KEYRING_FILE_MAGIC))
        .collect();
    assert!(
        readers.is_empty(),
        "code the intake links reads the office keyring file: {readers:?}"
    );
}
