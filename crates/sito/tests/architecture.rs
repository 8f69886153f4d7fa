//! The shape of the workspace, checked on its sources: no module of a crate reaches, through `crate::` paths, a
//! module that reaches it back (an import circle), and no source file outside tests grows past 900 lines. Both are
//! what let a newcomer read one part without the rest (ARCHITECTURE.md).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 900;

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// `a/b/mod.rs` and `a/b.rs` are module `a::b`; `lib.rs` and `main.rs` the crate root.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without comments, string literals and its `#[cfg(test)] mod tests` (tests may reach
/// anything), so only real paths are read.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut code = String::with_capacity(text.len());
    for line in text.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut in_string = false;
        let mut escaped = false;
        for c in line.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
                continue;
            }
            if c == '"' {
                in_string = true;
            }
            code.push(c);
        }
        code.push('\n');
    }
    code
}

/// Every `crate::a::b::…` path in the code, as its segments.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    code.match_indices("crate::")
        .filter(|(at, _)| {
            // `sito_crate::` or `mycrate::` are other names, not this crate.
            code[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end]
                .split("::")
                .filter(|segment| !segment.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Module → the modules of the same crate it names, leaving out its own ancestors and descendants (a parent
/// declaring its children and a child using its parent's items are one module's parts, not a circle).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .map(|file| (module_of(src, file), file.clone()))
        .collect();
    let related = |a: &str, b: &str| {
        a == b
            || a.is_empty()
            || b.is_empty()
            || a.starts_with(&format!("{b}::"))
            || b.starts_with(&format!("{a}::"))
    };
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let mut reaches = BTreeSet::new();
        for path in crate_paths(&code) {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|candidate| modules.contains_key(candidate));
            if let Some(target) = target
                && !related(module, &target)
            {
                reaches.insert(target);
            }
        }
        graph.insert(module.clone(), reaches);
    }
    graph
}

/// The modules that lie on a circle: those that reach themselves.
fn on_circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = graph[start].iter().collect();
        while let Some(next) = stack.pop() {
            if next == start {
                found.push((start.clone(), graph[start].iter().cloned().collect()));
                break;
            }
            if seen.insert(next) {
                stack.extend(graph.get(next).into_iter().flatten());
            }
        }
    }
    found
}

fn workspace_crates() -> Vec<(String, PathBuf)> {
    let mut crates: Vec<(String, PathBuf)> = std::fs::read_dir(crates_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("src").is_dir())
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                path.join("src"),
            )
        })
        .collect();
    crates.sort();
    crates
}

#[test]
fn no_crate_has_an_import_circle() {
    let crates = workspace_crates();
    assert!(crates.len() >= 10, "found {} crates", crates.len());
    let mut circles = Vec::new();
    for (name, src) in &crates {
        for (module, reaches) in on_circles(&module_graph(src)) {
            circles.push(format!("{name}: {module} -> {reaches:?}"));
        }
    }
    assert!(
        circles.is_empty(),
        "modules on import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_circle_check_sees_a_circle() {
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
        ("d".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    let on: Vec<String> = on_circles(&graph).into_iter().map(|(m, _)| m).collect();
    assert_eq!(on, ["a", "b", "c"]);
    let code =
        code_of("use crate::x::y;\n// crate::z\nlet s = \"crate::w\";\nuse sito_crate::v;\n");
    assert_eq!(
        crate_paths(&code),
        vec![vec!["x".to_owned(), "y".to_owned()]]
    );
}

#[test]
fn no_source_file_outside_tests_is_over_900_lines() {
    let mut long = Vec::new();
    for (_, src) in workspace_crates() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}
