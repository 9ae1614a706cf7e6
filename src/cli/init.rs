//! `arrears init [NAME]`: a commented starter scenario (`NAME.toml`) and a loan-tape template
//! (`NAME-tape.csv`) for a new user, never written over an existing file.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::CliError;

const SCENARIO: &str = include_str!("starter/scenario.toml");
const TAPE: &str = include_str!("starter/tape.csv");

/// The files `init` writes for `name` in `dir`: the scenario, then the tape template.
pub fn files(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.toml")),
        dir.join(format!("{name}-tape.csv")),
    )
}

/// Writes the starter files and returns their paths.
pub fn init(dir: &Path, name: &str) -> Result<Vec<PathBuf>, CliError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(CliError::Usage {
            message: format!("`{name}` is not a valid scenario name"),
            hint: "use lowercase letters, digits and `_`, starting with a letter, at most 64 (e.g. `arrears init card_book`)".into(),
        });
    }
    let (scenario, tape) = files(dir, name);
    for path in [&scenario, &tape] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(CliError::Usage {
                message: format!("`{}` exists already", path.display()),
                hint: "`arrears init` never writes over a file: give another name (`arrears init NAME`) or `--dir DIR`".into(),
            });
        }
    }
    let file_name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let text = SCENARIO
        .replace("{{NAME}}", name)
        .replace("{{FILE}}", &scenario.display().to_string())
        .replace("{{TAPE}}", &file_name(&tape));
    write_new(&scenario, &text)?;
    if let Err(e) = write_new(&tape, TAPE) {
        // Both or neither: the scenario names the tape.
        let _ = std::fs::remove_file(&scenario);
        return Err(e);
    }
    Ok(vec![scenario, tape])
}

/// Creates `path` (failing if anything is there, even a dangling link) and writes `text`.
fn write_new(path: &Path, text: &str) -> Result<(), CliError> {
    let failed = |e: std::io::Error| CliError::Usage {
        message: format!("cannot write `{}`: {e}", path.display()),
        hint: "give a folder you can write to with `--dir DIR`".into(),
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(failed)?;
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
    {
        let _ = std::fs::remove_file(path);
        return Err(failed(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_validates_with_its_synthetic_book_and_with_its_tape() {
        let dir = tempfile::tempdir().unwrap();
        let written = init(dir.path(), "card_book").unwrap();
        assert_eq!(written.len(), 2);
        let text = std::fs::read_to_string(&written[0]).unwrap();
        let scenario = crate::scenario::parse(&text, &written[0]).unwrap();
        assert_eq!(scenario.simulation.name, "card_book");
        // Done as the comment says: the tape lines switched on, the segments' book tables
        // deleted; the scenario then reads the template.
        let mut with_tape = String::new();
        let mut in_book_table = false;
        for line in text.lines() {
            if line.starts_with('[') {
                in_book_table = line.starts_with("[segments.") && line.ends_with(".book]");
            }
            if in_book_table || line.starts_with("source = \"synthetic\"") {
                continue;
            }
            let line = line
                .strip_prefix("# source = ")
                .map(|rest| format!("source = {rest}"))
                .or_else(|| {
                    line.strip_prefix("# path = ")
                        .map(|rest| format!("path = {rest}"))
                })
                .unwrap_or_else(|| line.to_string());
            with_tape.push_str(&line);
            with_tape.push('\n');
        }
        let scenario = crate::scenario::parse(&with_tape, &written[0]).unwrap();
        let book = crate::book::load(&scenario).unwrap();
        assert_eq!(book.loans(), 8);
    }

    #[test]
    fn existing_files_and_bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine-tape.csv"), "keep me").unwrap();
        assert!(init(dir.path(), "mine").is_err());
        assert!(!dir.path().join("mine.toml").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("mine-tape.csv")).unwrap(),
            "keep me"
        );
        for bad in ["", "Book", "1st", "a-b", "../x"] {
            assert!(init(dir.path(), bad).is_err(), "{bad}");
        }
    }
}
