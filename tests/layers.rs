//! Layers only look down: no module imports one that ARCHITECTURE.md places above it.
//!
//! The crate's top-level modules are declared here in layer order, bottom up (the same order
//! as ARCHITECTURE.md's code map and `src/lib.rs`). Every `crate::X` path in `src/**/*.rs`
//! (in a `use` or inline, `use crate::{X, ...}` groups included) must name a module at or below
//! the file's own layer. Inside `metrics`, the same rule holds for its files: the toolbox
//! (figures, estimates, paired statistics) below the studies (recovery, vintage, risk,
//! disposition), and the run summary, which orchestrates them, on top.
//!
//! Comment lines are skipped (an intra-doc link is not an import); `super::` paths are not
//! followed, so reach a module of another layer through `crate::`.

use std::path::{Path, PathBuf};

/// The crate's modules, bottom up; a module may import those before it.
const LAYERS: &[&str] = &[
    "serde_nan",
    "input",
    "rng",
    "model",
    "scenario",
    "book",
    "engine",
    "metrics",
    "strategy",
    "calibrate",
    "results",
    "report",
    "cli",
];

/// The files of `metrics`, bottom up (one entry a layer; files in one layer may not use each
/// other).
const METRICS_LAYERS: &[&[&str]] = &[
    &["figures", "estimate"],
    &["paired"],
    &["recovery", "vintage", "risk", "disposition"],
    &["summary"],
    &["sweep", "solve"],
];

fn src_dir() -> PathBuf {
    // Read at run time so the built test can be pointed at another checkout.
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    Path::new(&root).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first path segment under `root` (`src/metrics/risk.rs` -> `metrics`, `src/cli.rs` ->
/// `cli`); `None` for the crate root files.
fn top_module(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).expect("a file under src");
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every module named right after `prefix` on each code line, with its 1-based line number:
/// `prefix` then an identifier, or a `{ ... }` group (possibly over several lines) whose
/// top-level items each start with one.
fn imports_after(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let code: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect();
    let joined = code.join("\n");
    let line_of = |at: usize| joined[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = joined[from..].find(prefix) {
        let at = from + found;
        from = at + prefix.len();
        // `prefix` must start a path, not continue one (`my_crate::`, `a::crate::`).
        if joined[..at]
            .chars()
            .next_back()
            .is_some_and(|c| is_ident(c) || c == ':')
        {
            continue;
        }
        let rest = &joined[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            let base = from + 1;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && is_ident(c) => {
                        let name: String =
                            group[i..].chars().take_while(|&c| is_ident(c)).collect();
                        out.push((line_of(base + i), name));
                        item_start = false;
                    }
                    c if c.is_whitespace() => {}
                    _ => item_start = false,
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                out.push((line_of(at), name));
            }
        }
    }
    out
}

fn rank(layers: &[&[&str]], name: &str) -> Option<usize> {
    layers.iter().position(|layer| layer.contains(&name))
}

/// Every import of a module above the importing file's, as `file:line: ...`.
fn upward_imports(root: &Path) -> Vec<String> {
    let top: Vec<&[&str]> = LAYERS.iter().map(std::slice::from_ref).collect();
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let Some(module) = top_module(root, file) else {
            continue;
        };
        let shown = file
            .strip_prefix(root.parent().unwrap_or(root))
            .unwrap_or(file);
        let Some(own) = rank(&top, &module) else {
            problems.push(format!(
                "{}: module `{module}` is not in the declared order; add it to LAYERS in tests/layers.rs and to ARCHITECTURE.md",
                shown.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (line, used) in imports_after(&text, "crate::") {
            if let Some(theirs) = rank(&top, &used)
                && theirs > own
            {
                problems.push(format!(
                    "{}:{line}: `{module}` imports `crate::{used}`, which sits above it",
                    shown.display()
                ));
            }
        }
        // Inside metrics: its files in their own order, reached as `super::X` or
        // `crate::metrics::X`.
        if module == "metrics" {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let Some(own) = rank(METRICS_LAYERS, stem) else {
                if stem != "mod" {
                    problems.push(format!(
                        "{}: `metrics::{stem}` is not in the declared order; add it to METRICS_LAYERS in tests/layers.rs",
                        shown.display()
                    ));
                }
                continue;
            };
            let used = imports_after(&text, "super::")
                .into_iter()
                .chain(imports_after(&text, "crate::metrics::"));
            for (line, used) in used {
                if let Some(theirs) = rank(METRICS_LAYERS, &used)
                    && theirs >= own
                    && used != stem
                {
                    problems.push(format!(
                        "{}:{line}: `metrics::{stem}` imports `metrics::{used}`, which sits at or above it",
                        shown.display()
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn layers_only_look_down() {
    let problems = upward_imports(&src_dir());
    assert!(
        problems.is_empty(),
        "{} upward import(s); the order is {} (bottom up):\n{}",
        problems.len(),
        LAYERS.join(" < "),
        problems.join("\n")
    );
}

#[test]
fn imports_are_found_in_paths_and_groups() {
    let text = "use crate::model::Model;\n// crate::cli is a comment\nuse crate::{\n    book::LoanBook,\n    engine::{self, run},\n};\nlet x = crate::report::write(a::crate::b);\n";
    assert_eq!(
        imports_after(text, "crate::"),
        [
            (1, "model".to_string()),
            (4, "book".to_string()),
            (5, "engine".to_string()),
            (7, "report".to_string()),
        ]
    );
}
