//! `--set KEY=VALUE`: a key of the scenario changed by its dotted path before the scenario is
//! checked, so an override is validated exactly like the file.
//!
//! The override is spliced into the scenario's text: the key's value is replaced where it
//! stands (every other byte of the file unchanged), or, for a key the file does not have, a
//! line `key = value` is added at the top of its table. A part of the path walks into a table
//! by key and into an array of tables (`[[actions]]`, `[[stress.scenarios]]`) by its elements'
//! `name` or by index: `actions.calls.cost_per_account=2`. Diagnostics of the changed text are
//! mapped back onto the file's own text, and one that falls on an override names it.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::Diagnostic;

/// One `KEY=VALUE` of `--set`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The dotted path, e.g. `debt_sale.price`.
    pub key: String,
    /// The value as TOML (`0.05`, `"forward"`, `[1, 2]`); a bare word is taken as a string.
    pub value: String,
    /// What set it, as messages name it: `--set`, or `sweep` for a point of a sweep.
    pub origin: &'static str,
}

impl Override {
    /// Parses `KEY=VALUE`.
    pub fn parse(arg: &str) -> Result<Override, String> {
        let (key, value) = arg.split_once('=').ok_or_else(|| {
            format!("`--set {arg}` is not KEY=VALUE (e.g. `--set debt_sale.price=0.05`)")
        })?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
            return Err(format!(
                "`--set {arg}`: `{key}` is not a dotted key (e.g. `debt_sale.price`)"
            ));
        }
        Ok(Override {
            key: key.to_string(),
            value: value.trim().to_string(),
            origin: "--set",
        })
    }

    /// How messages name it.
    pub fn label(&self) -> String {
        format!("{} {}={}", self.origin, self.key, self.value)
    }

    /// The value as TOML text: as given when it is a TOML value, else a quoted string.
    fn literal(&self) -> String {
        let probe = format!("v = {}", self.value);
        if !self.value.is_empty() && probe.parse::<toml::Table>().is_ok() {
            self.value.clone()
        } else {
            toml::Value::String(self.value.clone()).to_string()
        }
    }
}

/// One splice of the text: `old` bytes of the original became `new_len` bytes.
#[derive(Debug, Clone)]
struct Splice {
    old: Range<usize>,
    new_len: usize,
    label: String,
}

/// A scenario's text with overrides applied, and how to map the changed text's positions back
/// onto the original.
#[derive(Debug, Clone)]
pub struct Applied {
    pub text: String,
    splices: Vec<Splice>,
}

impl Applied {
    /// `diagnostic` of the changed text, placed on the original text; named after the override
    /// it falls on, if any.
    pub fn map_back(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        let Some(span) = diagnostic.span.clone() else {
            return diagnostic;
        };
        let (start, hit) = self.to_original(span.start);
        let (end, _) = self.to_original(span.end.max(span.start));
        diagnostic.span = Some(start..end.max(start));
        if let Some(label) = hit {
            diagnostic.message = format!("{} (set by `{label}`)", diagnostic.message);
        }
        diagnostic
    }

    /// The original offset of `offset` in the changed text, and the override it falls in.
    fn to_original(&self, offset: usize) -> (usize, Option<String>) {
        // Splices are kept in the order of their original positions, none overlapping.
        let mut shift: isize = 0;
        for s in &self.splices {
            let new_start = (s.old.start as isize + shift) as usize;
            let new_end = new_start + s.new_len;
            if offset < new_start {
                break;
            }
            if offset < new_end || (s.new_len == 0 && offset == new_start) {
                return (s.old.start, Some(s.label.clone()));
            }
            shift += s.new_len as isize - s.old.len() as isize;
        }
        ((offset as isize - shift).max(0) as usize, None)
    }
}

/// Applies `overrides` in order to `text`. An error is a diagnostic on the original text (no
/// such table or element); a file that is not TOML is left to the normal checks.
pub fn apply(text: &str, overrides: &[Override]) -> Result<Applied, Vec<Diagnostic>> {
    let mut applied = Applied {
        text: text.to_string(),
        splices: Vec::new(),
    };
    let mut problems = Vec::new();
    for o in overrides {
        let Ok(root) = DeTable::parse(&applied.text) else {
            return Ok(applied);
        };
        match locate(root.get_ref(), &applied.text, o) {
            Ok((range, insertion)) => {
                let literal = o.literal();
                let new = if insertion {
                    let key = o.key.rsplit('.').next().unwrap_or(&o.key);
                    format!("{} = {literal}\n", quote_key(key))
                } else {
                    literal
                };
                // The changed text's range, in original coordinates for the record.
                let (old_start, _) = applied.to_original(range.start);
                let (old_end, _) = applied.to_original(range.end);
                applied.text.replace_range(range.clone(), &new);
                let splice = Splice {
                    old: old_start..old_end.max(old_start),
                    new_len: new.len(),
                    label: o.label(),
                };
                let at = applied
                    .splices
                    .iter()
                    .position(|s| s.old.start > splice.old.start)
                    .unwrap_or(applied.splices.len());
                applied.splices.insert(at, splice);
            }
            Err(message) => problems.push(
                Diagnostic::new(format!("`{}`: {message}", o.label()), None).hint(
                    "--set takes a key by its dotted path as in the file (`debt_sale.price`, `segments.subprime.book.loans`, `actions.calls.cost_per_account`)",
                ),
            ),
        }
    }
    if problems.is_empty() {
        Ok(applied)
    } else {
        Err(problems)
    }
}

fn quote_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}

/// Where the override goes in `text`: the value's range to replace, or (`true`) the empty
/// range at which to insert a new line.
fn locate(root: &DeTable<'_>, text: &str, o: &Override) -> Result<(Range<usize>, bool), String> {
    let parts: Vec<&str> = o.key.split('.').map(str::trim).collect();
    let mut table = root;
    let mut walked: Vec<&str> = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() {
        let part = parts[i];
        let Some(value) = table.get(part) else {
            return Err(format!(
                "there is no `{}` in the scenario{}",
                join(&walked, part),
                keys_of(table)
            ));
        };
        walked.push(part);
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            DeValue::Array(items) => {
                i += 1;
                let pick = parts[i];
                let tables: Vec<&DeTable<'_>> = items
                    .iter()
                    .filter_map(|item| match item.get_ref() {
                        DeValue::Table(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                let by_name = tables.iter().find(|t| {
                    t.get("name")
                        .is_some_and(|n| matches!(n.get_ref(), DeValue::String(s) if s == pick))
                });
                let chosen = by_name.copied().or_else(|| {
                    pick.parse::<usize>()
                        .ok()
                        .filter(|&k| k < items.len())
                        .and_then(|k| tables.get(k).copied())
                });
                let Some(chosen) = chosen else {
                    let names: Vec<String> = tables
                        .iter()
                        .filter_map(|t| match t.get("name").map(|n| n.get_ref()) {
                            Some(DeValue::String(s)) => Some(format!("`{s}`")),
                            _ => None,
                        })
                        .collect();
                    return Err(format!(
                        "no element `{pick}` in `{}` ({})",
                        walked.join("."),
                        if names.is_empty() {
                            format!("it has {} elements, by index from 0", items.len())
                        } else {
                            format!("its names: {}", names.join(", "))
                        }
                    ));
                };
                walked.push(pick);
                table = chosen;
            }
            _ => {
                return Err(format!("`{}` is a value, not a table", walked.join(".")));
            }
        }
        i += 1;
    }
    if i >= parts.len() {
        return Err("the key ends in an element of an array; name a key inside it".into());
    }
    let last = parts[i];
    if let Some(value) = table.get(last) {
        return Ok((value.span(), false));
    }
    // A new key: a line of its own before the table's first key, when that key starts a line
    // of a standard table (not an inline table, not a dotted key).
    let first = table.iter().map(|(k, _)| k.span().start).min();
    if let Some(start) = first {
        let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
        if text[line_start..start].trim().is_empty() {
            return Ok((line_start..line_start, true));
        }
    }
    Err(format!(
        "the scenario has no `{}`, and it cannot be added here (its table is written inline or empty): add the key to the file",
        join(&walked, last)
    ))
}

fn join(walked: &[&str], part: &str) -> String {
    let mut all = walked.to_vec();
    all.push(part);
    all.join(".")
}

fn keys_of(table: &DeTable<'_>) -> String {
    let keys: Vec<String> = table
        .iter()
        .map(|(k, _)| format!("`{}`", k.get_ref()))
        .collect();
    if keys.is_empty() {
        String::new()
    } else {
        format!(" (there: {})", keys.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "version = 1\n[simulation]\nname = \"a\" # the name\npaths = 100\n\n[debt_sale]\nprice = 0.04\n\n[[actions]]\nname = \"calls\"\ncost_per_account = 1.5\n\n[[actions]]\nname = \"sms\"\ncost_per_account = 0.3\n";

    fn set(pairs: &[&str]) -> Result<Applied, Vec<Diagnostic>> {
        let overrides: Vec<Override> = pairs.iter().map(|p| Override::parse(p).unwrap()).collect();
        apply(TEXT, &overrides)
    }

    #[test]
    fn values_are_replaced_in_place_and_the_rest_kept_byte_for_byte() {
        let a = set(&[
            "debt_sale.price=0.05",
            "actions.sms.cost_per_account=2",
            "simulation.name=b",
        ])
        .unwrap();
        assert_eq!(
            a.text,
            TEXT.replace("price = 0.04", "price = 0.05")
                .replace("cost_per_account = 0.3", "cost_per_account = 2")
                .replace("name = \"a\"", "name = \"b\"")
        );
        let by_index = set(&["actions.1.cost_per_account=2"]).unwrap();
        assert!(by_index.text.contains("cost_per_account = 2\n"));
        assert!(by_index.text.contains("cost_per_account = 1.5\n"));
    }

    #[test]
    fn a_missing_key_is_added_to_its_table_and_maps_back() {
        let a = set(&["simulation.threads=2"]).unwrap();
        assert!(
            a.text.contains("[simulation]\nthreads = 2\nname = \"a\""),
            "{}",
            a.text
        );
        // A problem on the line after the insertion is placed on the original line.
        let paths_at = a.text.find("paths").unwrap();
        let d = a.map_back(Diagnostic::new("bad", Some(paths_at..paths_at + 5)));
        assert_eq!(&TEXT[d.span.clone().unwrap()], "paths");
        assert_eq!(d.message, "bad");
        // A problem in the inserted line names the override.
        let threads_at = a.text.find("threads").unwrap();
        let d = a.map_back(Diagnostic::new("bad", Some(threads_at..threads_at + 7)));
        assert!(
            d.message.ends_with("(set by `--set simulation.threads=2`)"),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_problem_in_an_override_names_it() {
        let a = set(&["debt_sale.price=-3"]).unwrap();
        let at = a.text.find("-3").unwrap();
        let d = a.map_back(Diagnostic::new(
            "a price must be at least 0",
            Some(at..at + 2),
        ));
        assert_eq!(
            d.message,
            "a price must be at least 0 (set by `--set debt_sale.price=-3`)"
        );
        assert_eq!(&TEXT[d.span.unwrap().start..][..4], "0.04");
    }

    #[test]
    fn unknown_tables_elements_and_malformed_arguments_are_named() {
        let e = set(&["debt_sael.price=1"]).unwrap_err();
        assert!(
            e[0].message.contains("there is no `debt_sael`"),
            "{}",
            e[0].message
        );
        let e = set(&["actions.nobody.cost_per_account=1"]).unwrap_err();
        assert!(
            e[0].message
                .contains("no element `nobody` in `actions` (its names: `calls`, `sms`)"),
            "{}",
            e[0].message
        );
        let e = set(&["debt_sale.price.x=1"]).unwrap_err();
        assert!(
            e[0].message.contains("`debt_sale.price` is a value"),
            "{}",
            e[0].message
        );
        assert!(Override::parse("no_equals").is_err());
        assert!(Override::parse("a..b=1").is_err());
        assert_eq!(Override::parse("name = x").unwrap().value, "x");
    }

    #[test]
    fn bare_words_are_strings_and_toml_values_stay_toml() {
        let a = set(&["simulation.name=forward", "debt_sale.price=[1, 2]"]).unwrap();
        assert!(
            a.text.contains("name = \"forward\" # the name"),
            "{}",
            a.text
        );
        assert!(a.text.contains("price = [1, 2]"), "{}", a.text);
    }
}
