//! docs/ERRORS.md stays the catalogue of every kind of bad input and fault: at least 80 kinds,
//! every bad-input fixture listed, and every test it names exists.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The catalogue's rows: `| kind | exit | message | backed by |`.
fn rows(doc: &str) -> Vec<Vec<String>> {
    doc.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| kind ") && !l.starts_with("| ---"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_error_catalogue_lists_every_fixture_and_names_real_tests() {
    let doc = std::fs::read_to_string(root().join("docs/ERRORS.md")).unwrap();
    let rows = rows(&doc);
    assert!(
        rows.len() >= 80,
        "only {} kinds in docs/ERRORS.md",
        rows.len()
    );
    for row in &rows {
        assert_eq!(row.len(), 4, "a row needs 4 cells: {row:?}");
        assert!(
            row[1]
                .split(", ")
                .all(|c| ["0", "1", "2", "130", "143"].contains(&c)),
            "exit code of {row:?}"
        );
    }
    for (dir, prefix) in [
        ("tests/fixtures/bad", "bad/"),
        ("tests/fixtures/calibrate/bad", "calibrate/"),
    ] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".toml") {
                let cited = format!("`{prefix}{}`", name.trim_end_matches(".toml"));
                assert!(doc.contains(&cited), "docs/ERRORS.md does not list {cited}");
            }
        }
    }
    // Every `file::test` named exists.
    for row in &rows {
        for cited in row[3].split('`').skip(1).step_by(2) {
            if let Some((file, test)) = cited.split_once("::") {
                // `file::test` for tests/FILE.rs, `src/PATH.rs::test` for a unit test.
                let source = if file.starts_with("src/") {
                    root().join(file)
                } else {
                    root().join("tests").join(format!("{file}.rs"))
                };
                let text = std::fs::read_to_string(&source)
                    .unwrap_or_else(|_| panic!("{cited}: no tests/{file}.rs"));
                assert!(
                    text.contains(&format!("fn {test}(")),
                    "{cited}: no test `{test}` in {}",
                    source.display()
                );
            } else if let Some(fixture) = cited.strip_prefix("bad/") {
                assert!(
                    root()
                        .join(format!("tests/fixtures/bad/{fixture}.toml"))
                        .exists(),
                    "{cited}: no such fixture"
                );
            } else if let Some(fixture) = cited.strip_prefix("calibrate/") {
                assert!(
                    root()
                        .join(format!("tests/fixtures/calibrate/bad/{fixture}.toml"))
                        .exists(),
                    "{cited}: no such fixture"
                );
            }
        }
    }
}
