//! A report as data (`Document`: headings, paragraphs, figures, charts, tables) and its two
//! renderings: one self-contained HTML file (styles inlined, charts as base64 PNG, no
//! scripts, no network) and Markdown that links the PNGs beside it.
//!
//! The run report, the stress-set report, the comparison report and the calibration report
//! are all built as a
//! `Document`, so the HTML and the Markdown always say the same thing and share one look.
//! Text is plain: the only markup inside strings is `` `code` ``, rendered as code in both.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use super::ReportError;
pub use super::format::{Unit, percent};

/// A whole report.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Page title, e.g. `baseline: run report`.
    pub title: String,
    /// One line under the title.
    pub subtitle: String,
    pub blocks: Vec<Block>,
    /// Small print at the bottom of the page (the program and its version).
    pub footer: String,
}

/// One block of a report, in reading order.
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading; `id` is the anchor of the table of contents.
    Heading {
        id: String,
        text: String,
    },
    /// A heading inside a section (a segment's matrices).
    Subheading(String),
    Paragraph(String),
    Bullets(Vec<String>),
    /// Commands to copy, as a code block.
    Code {
        language: String,
        text: String,
    },
    /// Warnings the reader must see (too few paths for a tail figure, clipped rows).
    Warnings(Vec<String>),
    /// Headline figures as `mean ± se` with percentiles.
    Figures(Vec<FigureRow>),
    Table(Table),
    Chart(ChartBlock),
    /// Label and value pairs (the manifest).
    KeyValues(Vec<(String, String)>),
    /// A file's text, collapsed (the scenario file).
    Source {
        summary: String,
        file: String,
        language: String,
        text: String,
    },
    /// Links to other files (each scenario's report of a stress set).
    Links(Vec<(String, String)>),
}

/// One headline figure.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRow {
    /// Key in `summary.json` (`net_credit_loss`).
    pub key: String,
    /// What the analyst calls it (`Net credit loss`).
    pub label: String,
    pub unit: Unit,
    pub mean: f64,
    pub se: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub description: String,
}

impl Block {
    pub fn heading(id: &str, text: &str) -> Block {
        Block::Heading {
            id: id.into(),
            text: text.into(),
        }
    }
    /// A chart and its reading, with the tables behind it.
    pub fn chart(stem: &str, title: &str, reading: String, files: &[&str]) -> Block {
        Block::Chart(ChartBlock {
            stem: stem.into(),
            title: title.into(),
            reading,
            files: files.iter().map(|f| f.to_string()).collect(),
        })
    }
}

/// A table with a header row; cells are already formatted.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns aligned right (numbers).
    pub numeric: Vec<bool>,
    /// Files beside the report that hold the full table (`write_offs.csv`).
    pub files: Vec<String>,
}

impl Table {
    /// A table of `rows` under `header`, every column text until [`Table::numeric`] or
    /// [`Table::numeric_from`] says otherwise.
    pub fn new(
        header: impl IntoIterator<Item = impl Into<String>>,
        rows: Vec<Vec<String>>,
    ) -> Table {
        let header: Vec<String> = header.into_iter().map(Into::into).collect();
        Table {
            numeric: vec![false; header.len()],
            header,
            rows,
            ..Table::default()
        }
    }

    pub fn caption(mut self, caption: impl Into<String>) -> Table {
        self.caption = caption.into();
        self
    }

    /// Aligns right the columns marked `true`.
    pub fn numeric(mut self, numeric: &[bool]) -> Table {
        self.numeric = numeric.to_vec();
        self
    }

    /// Aligns right every column from `first` on: a table of labels, then numbers.
    pub fn numeric_from(mut self, first: usize) -> Table {
        self.numeric = (0..self.header.len()).map(|i| i >= first).collect();
        self
    }

    pub fn files(mut self, files: impl IntoIterator<Item = impl Into<String>>) -> Table {
        self.files = files.into_iter().map(Into::into).collect();
        self
    }
}

/// A chart written beside the report as `{stem}.png` and `{stem}.svg`.
#[derive(Debug, Clone)]
pub struct ChartBlock {
    pub stem: String,
    pub title: String,
    /// One sentence read off the numbers behind the chart.
    pub reading: String,
    /// Tables beside the report that back the chart (`write_offs.csv`).
    pub files: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// HTML

/// The page's styles: readable on screen, clean on paper (A4, charts not split across pages,
/// no navigation), colours from the charts' Okabe-Ito theme.
const STYLE: &str = r#"
:root { --text: #222; --subtle: #555; --rule: #ddd; --accent: #0072B2; --warn: #D55E00; --band: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff; font: 16px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 30px; margin: 0 0 4px; }
h3 { font-size: 18px; margin: 24px 0 8px; }
h2 { font-size: 22px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
p.subtitle { color: var(--subtle); margin: 0 0 16px; }
nav.toc { font-size: 14px; color: var(--subtle); margin: 8px 0 20px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.9em; background: var(--band); padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #999; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.desc { color: var(--subtle); font-size: 13px; }
table.figures td:first-child { white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--band); }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
p.files, figcaption .files { font-size: 13px; color: var(--subtle); margin: 2px 0 16px; }
a { color: var(--accent); }
figure { margin: 18px 0 28px; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid var(--rule); display: block; }
figcaption { font-size: 15px; margin-top: 6px; }
.warnings { border-left: 4px solid var(--warn); background: #fdf3ec; padding: 8px 14px; margin: 12px 0; }
.warnings li { margin: 2px 0; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; font-size: 14px; margin: 8px 0; }
dl.kv dt { color: var(--subtle); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
details { margin: 10px 0; }
details summary { cursor: pointer; color: var(--accent); }
pre { background: var(--band); padding: 12px; overflow-x: auto; font-size: 13px; line-height: 1.4; }
footer { margin-top: 40px; font-size: 12px; color: var(--subtle); border-top: 1px solid var(--rule); padding-top: 8px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc, p.files, figcaption .files { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .warnings, dl.kv { break-inside: avoid; page-break-inside: avoid; }
  tbody tr:nth-child(even) { background: none; }
}
"#;

/// Renders the document as one self-contained HTML page; chart PNGs are read from `dir` and
/// inlined, so the page needs nothing beside it (links to the tables beside it are extras).
pub fn html(doc: &Document, dir: &Path) -> Result<String, ReportError> {
    let mut out = String::with_capacity(1 << 20);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"arrears\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&doc.title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(out, "<h1>{}</h1>", inline(&doc.title));
    if !doc.subtitle.is_empty() {
        let _ = writeln!(out, "<p class=\"subtitle\">{}</p>", inline(&doc.subtitle));
    }
    let headings: Vec<(&str, &str)> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { id, text } => Some((id.as_str(), text.as_str())),
            _ => None,
        })
        .collect();
    if headings.len() > 1 {
        out.push_str("<nav class=\"toc\">");
        for (id, text) in headings {
            let _ = write!(out, "<a href=\"#{}\">{}</a>", escape(id), escape(text));
        }
        out.push_str("</nav>\n");
    }
    for block in &doc.blocks {
        html_block(&mut out, block, dir)?;
    }
    let _ = writeln!(
        out,
        "<footer>{}</footer>\n</main>\n</body>\n</html>",
        inline(&doc.footer)
    );
    Ok(out)
}

fn html_block(out: &mut String, block: &Block, dir: &Path) -> Result<(), ReportError> {
    match block {
        Block::Heading { id, text } => {
            let _ = writeln!(out, "<h2 id=\"{}\">{}</h2>", escape(id), inline(text));
        }
        Block::Subheading(text) => {
            let _ = writeln!(out, "<h3>{}</h3>", inline(text));
        }
        Block::Paragraph(text) => {
            let _ = writeln!(out, "<p>{}</p>", inline(text));
        }
        Block::Code { language, text } => {
            let _ = writeln!(
                out,
                "<pre><code class=\"language-{}\">{}</code></pre>",
                escape(language),
                escape(text)
            );
        }
        Block::Bullets(items) => {
            out.push_str("<ul>\n");
            for item in items {
                let _ = writeln!(out, "<li>{}</li>", inline(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Warnings(items) => {
            if items.is_empty() {
                return Ok(());
            }
            out.push_str("<div class=\"warnings\" role=\"note\"><strong>Warnings</strong>\n<ul>\n");
            for item in items {
                let _ = writeln!(out, "<li>{}</li>", inline(item));
            }
            out.push_str("</ul></div>\n");
        }
        Block::Figures(rows) => html_figures(out, rows),
        Block::Table(table) => html_table(out, table),
        Block::Chart(chart) => {
            let png = dir.join(format!("{}.png", chart.stem));
            let bytes = std::fs::read(&png).map_err(|e| ReportError::io(&png, e))?;
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            let _ = writeln!(
                out,
                "<figure id=\"chart-{stem}\">\n<img src=\"data:image/png;base64,{data}\" alt=\"{alt}\">\n\
                 <figcaption><strong>{title}.</strong> {reading}\n<span class=\"files\"><br>Files: \
                 <a href=\"{stem}.png\">{stem}.png</a> · <a href=\"{stem}.svg\">{stem}.svg</a>{links}</span>\
                 </figcaption>\n</figure>",
                stem = escape(&chart.stem),
                alt = escape(&chart.title),
                title = inline(&chart.title),
                reading = inline(&chart.reading),
                links = file_links(&chart.files, " · "),
            );
        }
        Block::KeyValues(pairs) => {
            out.push_str("<dl class=\"kv\">\n");
            for (k, v) in pairs {
                let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", inline(k), inline(v));
            }
            out.push_str("</dl>\n");
        }
        Block::Source {
            summary,
            file,
            language,
            text,
        } => {
            let _ = writeln!(
                out,
                "<details><summary>{} (<a href=\"{file}\">{file}</a>)</summary>\n<pre><code class=\"language-{}\">{}</code></pre>\n</details>",
                inline(summary),
                escape(language),
                escape(text),
                file = escape(file),
            );
        }
        Block::Links(links) => {
            out.push_str("<ul>\n");
            for (label, href) in links {
                let _ = writeln!(
                    out,
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(href),
                    inline(label)
                );
            }
            out.push_str("</ul>\n");
        }
    }
    Ok(())
}

fn html_figures(out: &mut String, rows: &[FigureRow]) {
    out.push_str(
        "<table class=\"figures\">\n<thead><tr><th>Figure</th><th class=\"num\">Mean ± standard error</th>\
         <th class=\"num\">5th pct</th><th class=\"num\">Median</th><th class=\"num\">95th pct</th>\
         <th>What it is</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        // `data-*` carry the exact numbers, so tools (and the browser test) can check the page
        // against summary.json without parsing formatted text.
        let _ = writeln!(
            out,
            "<tr data-figure=\"{key}\" data-mean=\"{mean:e}\" data-se=\"{se:e}\"><td>{label}</td>\
             <td class=\"num mean\">{estimate}</td><td class=\"num\">{p5}</td>\
             <td class=\"num\">{p50}</td><td class=\"num\">{p95}</td><td class=\"desc\">{desc}</td></tr>",
            key = escape(&r.key),
            mean = r.mean,
            se = r.se,
            label = escape(&r.label),
            estimate = r.unit.estimate(r.mean, r.se),
            p5 = r.unit.format(r.p5),
            p50 = r.unit.format(r.p50),
            p95 = r.unit.format(r.p95),
            desc = inline(&r.description),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn html_table(out: &mut String, table: &Table) {
    out.push_str("<table>\n");
    if !table.caption.is_empty() {
        let _ = writeln!(out, "<caption>{}</caption>", inline(&table.caption));
    }
    let class = |i: usize| {
        if table.numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    out.push_str("<thead><tr>");
    for (i, h) in table.header.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(i), inline(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), inline(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if !table.files.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"files\">Files: {}</p>",
            file_links(&table.files, "").trim_start_matches(" · ")
        );
    }
}

/// `" · <a href="x.csv">x.csv</a> · ..."`, prefixed by `lead` before the first.
fn file_links(files: &[String], lead: &str) -> String {
    let mut s = String::new();
    for (i, f) in files.iter().enumerate() {
        s.push_str(if i == 0 { lead } else { " · " });
        let _ = write!(s, "<a href=\"{0}\">{0}</a>", escape(f));
    }
    s
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            _ => s.push(c),
        }
    }
    s
}

/// Escapes text and turns `` `code` `` spans into `<code>`.
fn inline(text: &str) -> String {
    let mut s = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(s, "<code>{}</code>", escape(part));
        } else {
            s.push_str(&escape(part));
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Renders the document as Markdown (GitHub flavour) with the PNGs beside it as images, for
/// pasting into documents.
pub fn markdown(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", md_text(&doc.title));
    if !doc.subtitle.is_empty() {
        let _ = writeln!(out, "{}\n", md_text(&doc.subtitle));
    }
    for block in &doc.blocks {
        match block {
            Block::Heading { text, .. } => {
                let _ = writeln!(out, "## {}\n", md_text(text));
            }
            Block::Subheading(text) => {
                let _ = writeln!(out, "### {}\n", md_text(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{}\n", md_text(text));
            }
            Block::Code { language, text } => {
                let _ = writeln!(out, "```{language}\n{}```\n", text);
            }
            Block::Bullets(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", md_text(item));
                }
                out.push('\n');
            }
            Block::Warnings(items) => {
                for item in items {
                    let _ = writeln!(out, "> **Warning:** {}", md_text(item));
                    out.push_str(">\n");
                }
                if !items.is_empty() {
                    out.truncate(out.len() - 2);
                    out.push('\n');
                }
            }
            Block::Figures(rows) => {
                let header = [
                    "Figure",
                    "Mean ± standard error",
                    "5th pct",
                    "Median",
                    "95th pct",
                ];
                let rows = (rows.iter())
                    .map(|r| {
                        let u = r.unit;
                        let (p5, p50, p95) = (u.format(r.p5), u.format(r.p50), u.format(r.p95));
                        vec![r.label.clone(), u.estimate(r.mean, r.se), p5, p50, p95]
                    })
                    .collect();
                let table = Table::new(header, rows).numeric_from(1);
                md_table(&mut out, &table);
            }
            Block::Table(table) => md_table(&mut out, table),
            Block::Chart(chart) => {
                let _ = writeln!(
                    out,
                    "![{}]({}.png)\n\n**{}.** {}",
                    md_text(&chart.title),
                    chart.stem,
                    md_text(&chart.title),
                    md_text(&chart.reading)
                );
                let mut files = vec![format!("{}.svg", chart.stem)];
                files.extend(chart.files.iter().cloned());
                let _ = writeln!(out, "\nFiles: {}\n", md_links(&files));
            }
            Block::KeyValues(pairs) => {
                out.push_str("| | |\n|---|---|\n");
                for (k, v) in pairs {
                    let _ = writeln!(out, "| {} | {} |", md_cell(k), md_cell(v));
                }
                out.push('\n');
            }
            Block::Source {
                summary,
                file,
                language,
                text,
            } => {
                let fence = if text.contains("```") { "~~~~" } else { "```" };
                let _ = writeln!(
                    out,
                    "<details><summary>{} ({file})</summary>\n\n{fence}{language}\n{}{}{fence}\n\n</details>\n",
                    summary,
                    text,
                    if text.ends_with('\n') { "" } else { "\n" },
                );
            }
            Block::Links(links) => {
                for (label, href) in links {
                    let _ = writeln!(out, "- [{}]({href})", md_text(label));
                }
                out.push('\n');
            }
        }
    }
    let _ = writeln!(out, "---\n\n{}", md_text(&doc.footer));
    out
}

fn md_table(out: &mut String, table: &Table) {
    if !table.caption.is_empty() {
        let _ = writeln!(out, "**{}**\n", md_text(&table.caption));
    }
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
        format!("| {} |", cells.join(" | "))
    };
    let _ = writeln!(out, "{}", row(&table.header));
    let rule: Vec<&str> = (0..table.header.len())
        .map(|i| {
            if table.numeric.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for r in &table.rows {
        let _ = writeln!(out, "{}", row(r));
    }
    out.push('\n');
    if !table.files.is_empty() {
        let _ = writeln!(out, "Files: {}\n", md_links(&table.files));
    }
}

fn md_links(files: &[String]) -> String {
    files
        .iter()
        .map(|f| format!("[{f}]({f})"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Text with Markdown's own characters outside code spans escaped where they would change
/// the meaning (`*`, `_` at word edges, `|` in tables is handled by [`md_cell`]).
fn md_text(text: &str) -> String {
    let mut s = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(s, "`{part}`");
        } else {
            let chars: Vec<char> = part.chars().collect();
            for (j, &c) in chars.iter().enumerate() {
                // An underscore inside a word (`dpd_1_30`) never starts emphasis in GitHub
                // Markdown, so only those at a word's edge are escaped.
                let inside_word = c == '_'
                    && j > 0
                    && chars[j - 1].is_alphanumeric()
                    && chars.get(j + 1).is_some_and(|n| n.is_alphanumeric());
                if matches!(c, '*' | '_' | '[' | ']' | '<' | '>') && !inside_word {
                    s.push('\\');
                }
                s.push(c);
            }
        }
    }
    s
}

fn md_cell(text: &str) -> String {
    md_text(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_keeps_code_spans() {
        assert_eq!(
            inline("a < b & `x_y<z`"),
            "a &lt; b &amp; <code>x_y&lt;z</code>"
        );
        assert_eq!(escape("\"'"), "&quot;&#39;");
    }

    #[test]
    fn markdown_escapes_outside_code() {
        assert_eq!(md_text("dpd_1_30 `dpd_1_30`"), "dpd_1_30 `dpd_1_30`");
        assert_eq!(md_text("_x_ *y*"), "\\_x\\_ \\*y\\*");
        assert_eq!(md_cell("a|b"), "a\\|b");
    }

    #[test]
    fn units_format_like_the_screen() {
        assert_eq!(Unit::Currency.format(6_205_858.4), "6,205,858");
        assert_eq!(Unit::Fraction.format(0.113_899), "11.39%");
        assert_eq!(Unit::Fraction.format_se(0.000_073), "0.007%");
        assert_eq!(Unit::Count.format(f64::NAN), "n/a");
    }

    #[test]
    fn figures_carry_exact_numbers() {
        let doc = Document {
            title: "t".into(),
            blocks: vec![Block::Figures(vec![FigureRow {
                key: "net_credit_loss".into(),
                label: "Net credit loss".into(),
                unit: Unit::Currency,
                mean: 1234.6,
                se: 1.25,
                p5: 1000.0,
                p50: 1200.0,
                p95: 1500.0,
                description: "d".into(),
            }])],
            ..Document::default()
        };
        let page = html(&doc, Path::new(".")).unwrap();
        assert!(page.contains("data-figure=\"net_credit_loss\" data-mean=\"1.2346e3\""));
        assert!(page.contains("1,235 ± 1"));
        assert!(!page.contains("<script"));
        let md = markdown(&doc);
        assert!(md.contains("| Net credit loss | 1,235 ± 1 | 1,000 | 1,200 | 1,500 |"));
    }
}
