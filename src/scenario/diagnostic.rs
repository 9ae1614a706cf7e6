//! Problems found in an input file, with the place they point at and a hint, rendered the way
//! compilers do:
//!
//! ```text
//! error: row `dpd_1_30` sums to 0.95, expected 1 (off by -5.000e-2)
//!   --> scenarios/stress.toml:18:13
//!    |
//! 18 | dpd_1_30 = { current = 0.40, dpd_1_30 = 0.35, dpd_31_60 = 0.20 }
//!    |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
//! hint: each row gives the probability of moving from `dpd_1_30` to every state
//! ```

use std::fmt::Write as _;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    /// Byte range in the file; `None` for problems with the file as a whole.
    pub span: Option<Range<usize>>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Option<Range<usize>>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// `(line, column)`, both 1-based, of the start of the span.
    pub fn location(&self, source: &str) -> Option<(usize, usize)> {
        let span = self.span.as_ref()?;
        let start = span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        Some((line, column))
    }

    /// Renders the diagnostic against the file it came from.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = format!("error: {}\n", self.message);
        match (self.location(source), &self.span) {
            (Some((line, column)), Some(span)) => {
                let gutter = line.to_string().len();
                let line_start = span.start.min(source.len());
                let line_start = source[..line_start].rfind('\n').map_or(0, |i| i + 1);
                let text = source[line_start..].lines().next().unwrap_or("");
                let text_end = line_start + text.len();
                let start = span.start.min(text_end);
                let end = span.end.min(text_end).max(start);
                let underline_len = source
                    .get(start..end)
                    .map_or(1, |s| s.chars().count())
                    .max(1);
                let pad = " ".repeat(gutter);
                let _ = writeln!(out, "{pad}--> {file}:{line}:{column}");
                let _ = writeln!(out, "{pad} |");
                // A long line (minified, or binary read as text) shows a window around the
                // place, never the whole line.
                let (shown, caret_at, underline_len) = window(text, column - 1, underline_len);
                let _ = writeln!(out, "{line} | {shown}");
                let _ = writeln!(
                    out,
                    "{pad} | {}{}",
                    " ".repeat(caret_at),
                    "^".repeat(underline_len)
                );
            }
            _ => {
                let _ = writeln!(out, "  --> {file}");
            }
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "hint: {hint}");
        }
        out
    }
}

/// Longest source line shown in full in a snippet.
const MAX_SNIPPET_CHARS: usize = 120;

/// The part of `text` to show around character `at`, where the caret goes in it, and how
/// long the underline may be.
fn window(text: &str, at: usize, underline: usize) -> (String, usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX_SNIPPET_CHARS {
        return (text.to_string(), at, underline.min(chars.len().max(1)));
    }
    let from = at.saturating_sub(40).min(chars.len());
    let to = (from + MAX_SNIPPET_CHARS).min(chars.len());
    let mut shown = String::new();
    if from > 0 {
        shown.push_str("...");
    }
    shown.extend(&chars[from..to]);
    if to < chars.len() {
        shown.push_str("...");
    }
    let caret = at - from + if from > 0 { 3 } else { 0 };
    (shown, caret, underline.min(to.saturating_sub(at)).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_column_and_underline() {
        let source = "a = 1\nrow = { x = 0.5 }\n";
        let start = source.find('{').unwrap();
        let end = source.find('}').unwrap() + 1;
        let d = Diagnostic::new("row sums to 0.5", Some(start..end)).hint("add the rest");
        assert_eq!(d.location(source), Some((2, 7)));
        assert_eq!(
            d.render("s.toml", source),
            "error: row sums to 0.5\n --> s.toml:2:7\n  |\n2 | row = { x = 0.5 }\n  |       ^^^^^^^^^^^\nhint: add the rest\n"
        );
    }
}
