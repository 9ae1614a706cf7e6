//! The report of a run: `report.html` (one self-contained page) and `report.md`, built from
//! the result folder's own files (`summary.json`, the CSV tables, the chart PNGs), so
//! `arrears run` and `arrears report DIR` write the same bytes.
//!
//! What it holds: warnings first; headline figures as `mean ± se` with percentiles and the tail
//! measures; the scenario in words, the manifest and the scenario file; every chart of the
//! folder, each with one sentence read off the numbers behind it and links to its tables; the
//! recovery and disposition tables; every figure; the list of files. A stress set's top
//! folder gets a report of the comparison with links to each scenario's report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ReportError;
use super::document::{self, Block, Document, FigureRow, Table, Unit, percent};
use super::format::{change, percent_level, percentage_points, ratio};
use crate::book::cells::BucketingRow;
use crate::metrics::disposition::{BuyerRow, DecisionRow};
use crate::metrics::estimate::TailMeasure;
use crate::metrics::recovery::{CurveRow, GroupRow, WriteOffRow};
use crate::metrics::risk::{ConvergenceRow, StressRow};
use crate::metrics::summary::TimelineRow;
use crate::metrics::vintage::VintageRow;
use crate::model::group_thousands;
use crate::results::FolderKind;
use crate::results::folder::Contents;
use crate::results::rows::{PathRow, TransitionRow};
use crate::results::summary::{Figure, RunFacts, RunSummaryFile};
use crate::results::{FolderError, ResultFolder, Trust};

/// Writes `report.html` and `report.md` into a result folder (and into each scenario's
/// subfolder of a stress set), reading it as `trust` says; returns the files written.
pub fn write_reports(dir: &Path, trust: Trust) -> Result<Vec<PathBuf>, ReportError> {
    let folder = ResultFolder::open(dir, trust)?;
    let mut written = Vec::new();
    let doc = match &folder.contents {
        Contents::StressSet(set) => {
            for name in &set.scenarios {
                written.extend(write_reports(&dir.join(name), trust)?);
            }
            stress_document(&folder)?
        }
        Contents::Run(_) => run_document(&folder)?,
    };
    written.extend(write_document(dir, &doc)?);
    Ok(written)
}

/// `arrears report DIR`: rebuilds the reports from the folder's verified files. A verified
/// folder's manifest is brought up to date with the reports (the same bytes unless this build
/// words or draws them differently); a folder read with `--trust-modified` keeps its manifest,
/// so it stays marked as modified.
pub fn rebuild(dir: &Path, trust: Trust) -> Result<Vec<PathBuf>, ReportError> {
    // A sweep and a solve redraw their charts from their files, as they were first drawn.
    let kind = crate::results::manifest::read(dir).ok().map(|m| m.kind);
    if let Some(kind @ (FolderKind::Sweep | FolderKind::Solve)) = kind {
        if trust == Trust::Modified {
            return Err(ReportError::Input {
                message: format!(
                    "`{}` is a {}: its report is rebuilt only from the files as arrears wrote them",
                    dir.display(),
                    if kind == FolderKind::Sweep { "sweep" } else { "solve" }
                ),
                hint: "leave out `--trust-modified`; rerun the sweep or solve if its files were changed".into(),
            });
        }
        crate::results::folder::verify(dir)?;
        let written = if kind == FolderKind::Sweep {
            super::sweep::write_outputs(dir)?
        } else {
            super::sweep::solve_outputs(dir)?
        };
        super::write_manifests(dir, kind)?;
        return Ok(written);
    }
    let written = write_reports(dir, trust)?;
    if trust == Trust::Verified {
        let kind = ResultFolder::open(dir, Trust::BeingWritten)?.kind();
        super::write_manifests(dir, kind)?;
    }
    Ok(written)
}

/// Writes `report.html` and `report.md` through temporary files renamed into place, so a
/// failure never leaves a half-written report.
pub fn write_document(dir: &Path, doc: &Document) -> Result<Vec<PathBuf>, ReportError> {
    let html = document::html(doc, dir)?;
    let markdown = document::markdown(doc);
    let mut written = Vec::new();
    for (name, text) in [("report.html", html), ("report.md", markdown)] {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(|e| ReportError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| ReportError::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// Headline figures

/// What an analyst calls a figure: its registry label, or its key in words.
pub fn figure_label(key: &str) -> String {
    match crate::metrics::figures::METRICS
        .iter()
        .find(|m| m.name == key)
    {
        Some(m) => m.label.to_string(),
        None => {
            let mut s = key.replace('_', " ");
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    }
}

/// The figures shown first, in the analyst's order; the rest follow under "All figures".
const KEY_FIGURES: [&str; 13] = [
    "net_credit_loss",
    "net_credit_loss_rate",
    "gross_write_offs",
    "net_write_offs",
    "recoveries",
    "sale_proceeds",
    "sold_face",
    "collection_costs",
    "exposure_at_default",
    "defaults",
    "recovery_rate",
    "recovery_rate_net",
    "loss_given_default",
];

/// A figure of the summary as a row of the report.
pub fn figure_row(f: &Figure) -> FigureRow {
    FigureRow {
        key: f.name.clone(),
        label: f.label.clone(),
        unit: Unit::from_summary(&f.unit),
        mean: f.estimate.mean,
        se: f.estimate.se,
        p5: f.estimate.p5,
        p50: f.estimate.p50,
        p95: f.estimate.p95,
        description: f.description.clone(),
    }
}

fn figure(summary: &RunSummaryFile, key: &str) -> Option<FigureRow> {
    summary.figure(key).map(figure_row)
}

/// Key figures present in the run; sale figures only when something was sold.
fn key_figures(summary: &RunSummaryFile) -> Vec<FigureRow> {
    KEY_FIGURES
        .iter()
        .filter_map(|key| figure(summary, key))
        .filter(|row| {
            !(matches!(row.key.as_str(), "sale_proceeds" | "sold_face") && row.mean == 0.0)
        })
        .collect()
}

/// The opening paragraph: expected loss, its spread, recovery and LGD, sales.
fn headline_paragraph(summary: &RunSummaryFile) -> String {
    let mean = |key: &str| summary.figure(key).map_or(f64::NAN, |f| f.estimate.mean);
    let start = mean("original_balance");
    let mut s = String::new();
    if let Some(ncl) = figure(summary, "net_credit_loss") {
        let _ = write!(
            s,
            "Expected net credit loss is {} ± {} ({} of the starting balance of {}); 90% of paths lie between {} and {}.",
            group_thousands(ncl.mean, 0),
            group_thousands(ncl.se, 0),
            percent(ncl.mean / start, 2),
            group_thousands(start, 0),
            group_thousands(ncl.p5, 0),
            group_thousands(ncl.p95, 0),
        );
    }
    if let (Some(rr), Some(net), Some(lgd)) = (
        figure(summary, "recovery_rate"),
        figure(summary, "recovery_rate_net"),
        figure(summary, "loss_given_default"),
    ) && rr.mean.is_finite()
    {
        let _ = write!(
            s,
            " The {} defaults recover {} ± {} of exposure at default ({} net of collection costs); loss given default is {} (discounted).",
            group_thousands(mean("defaults"), 0),
            percent(rr.mean, 2),
            percent(rr.se, 3),
            percent(net.mean, 2),
            percent(lgd.mean, 2),
        );
    }
    let (proceeds, face) = (mean("sale_proceeds"), mean("sold_face"));
    if face > 0.0 {
        let _ = write!(
            s,
            " Debt sales bring {} for {} of face value ({:.1} cents per unit).",
            group_thousands(proceeds, 0),
            group_thousands(face, 0),
            100.0 * proceeds / face
        );
    }
    s
}

/// VaR and expected shortfall of net credit loss and of write-offs, with their intervals.
fn tail_table(summary: &RunSummaryFile) -> Table {
    let mut rows = Vec::new();
    let mut add = |what: &str, tails: &[TailMeasure]| {
        for t in tails {
            rows.push(vec![
                what.to_string(),
                percent_level(t.level),
                group_thousands(t.var, 0),
                format!(
                    "{} – {}",
                    group_thousands(t.var_ci_low, 0),
                    group_thousands(t.var_ci_high, 0)
                ),
                group_thousands(t.expected_shortfall, 0),
                format!(
                    "{} – {}",
                    group_thousands(t.expected_shortfall_ci_low, 0),
                    group_thousands(t.expected_shortfall_ci_high, 0)
                ),
                group_thousands(t.tail_paths as f64, 0),
            ]);
        }
    };
    add("Net credit loss", &summary.net_credit_loss_tail);
    for (key, tails) in &summary.write_off_tails {
        add(&figure_label(key), tails);
    }
    let header = [
        "Measure",
        "Level",
        "VaR",
        "VaR 95% interval",
        "ES",
        "ES 95% interval",
        "Tail paths",
    ];
    Table::new(header, rows)
        .caption("Tail risk: value at risk (VaR) and expected shortfall (ES), with 95% confidence intervals")
        .numeric_from(1)
        .files(["paths.csv", "convergence.csv"])
}

// ---------------------------------------------------------------------------------------------
// The run's document

fn warnings(folder: &ResultFolder) -> Vec<String> {
    let mut out = Vec::new();
    if !folder.modified.is_empty() {
        out.push(format!(
            "this report was built with `--trust-modified` from files that differ from what the run wrote: {}; its figures are not the run's own",
            folder
                .modified
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    out.extend(folder.warnings().iter().cloned());
    let Contents::Run(summary) = &folder.contents else {
        return out;
    };
    if summary.clipped_rows > 0.0 {
        out.push(format!(
            "{} transition-matrix rows were clipped when conditioning on the systematic factor (probabilities pushed past 0 or 1 and cut back); extreme factor draws are understated there",
            group_thousands(summary.clipped_rows, 0)
        ));
    }
    let paths = summary.run.paths as f64;
    if summary.effective_sample_size < 0.5 * paths {
        out.push(format!(
            "the effective sample size is {} of {} paths (importance sampling); standard errors already allow for it",
            group_thousands(summary.effective_sample_size, 0),
            group_thousands(paths, 0)
        ));
    }
    out
}

fn scenario_blocks(folder: &ResultFolder) -> Vec<Block> {
    let mut blocks = vec![Block::heading("scenario", "The scenario")];
    let description = folder.description();
    if !description.is_empty() {
        blocks.push(Block::Bullets(description.to_vec()));
    }
    let m: &RunFacts = folder.facts();
    let mut pairs = vec![
        ("Scenario".to_string(), format!("`{}`", m.scenario_name)),
        ("Scenario file".into(), format!("`{}`", m.scenario_file)),
        (
            "Scenario SHA-256".into(),
            format!("`{}`", m.scenario_sha256),
        ),
    ];
    if let Some(tape) = &m.loan_tape_sha256 {
        pairs.push(("Loan tape SHA-256".into(), format!("`{tape}`")));
    }
    pairs.extend([
        ("Seed".into(), m.seed.to_string()),
        ("Paths".into(), group_thousands(m.paths as f64, 0)),
        ("Horizon".into(), format!("{} months", m.horizon_months)),
        ("Loans".into(), group_thousands(m.loans as f64, 0)),
    ]);
    // Loan mode adds no lines, so loan-mode reports read as before count mode.
    if m.mode == "count" {
        pairs.extend([
            (
                "Mode".to_string(),
                "count (cells of identical loans, moved by counts)".to_string(),
            ),
            ("Cells".into(), group_thousands(m.cells as f64, 0)),
        ]);
    }
    pairs.extend([
        ("Random numbers".into(), m.rng.clone()),
        ("Spread reflects".into(), m.uncertainty.clone()),
        (
            "Default definition".into(),
            folder.default_definition().to_string(),
        ),
        (
            "arrears version".into(),
            format!(
                "{} (scenario format {}, result format {})",
                m.arrears_version,
                m.scenario_version,
                crate::results::FORMAT_VERSION
            ),
        ),
        (
            "Run".into(),
            if m.shards > 1 {
                format!(
                    "{} in {} shards on up to {} threads each, {:.1} s in all",
                    m.created_utc, m.shards, m.threads, m.run_seconds
                )
            } else {
                format!(
                    "{} on {} threads, {:.1} s",
                    m.created_utc, m.threads, m.run_seconds
                )
            },
        ),
    ]);
    blocks.push(Block::KeyValues(pairs));
    let scenario_file = folder.dir.join("scenario.toml");
    if let Ok(text) = std::fs::read_to_string(&scenario_file) {
        blocks.push(Block::Source {
            summary: "The scenario file as run".into(),
            file: "scenario.toml".into(),
            language: "toml".into(),
            text,
        });
    }
    blocks
}

/// Count mode: what bucketing the loans into cells changed, read off `bucketing` (absent in
/// loan mode and for a cell tape: no section then).
fn bucketing_blocks(folder: &ResultFolder) -> Result<Vec<Block>, FolderError> {
    let Some(rows) = folder.optional_table::<BucketingRow>()? else {
        return Ok(Vec::new());
    };
    let relative = |before: f64, after: f64| {
        if before == 0.0 {
            if after == 0.0 { 0.0 } else { f64::NAN }
        } else {
            after / before - 1.0
        }
    };
    let cells_of = |r: &BucketingRow| {
        vec![
            r.segment.clone(),
            group_thousands(r.loans as f64, 0),
            group_thousands(r.cells as f64, 0),
            change(relative(r.balance_before, r.balance_after)),
            change(relative(
                r.monthly_interest_before,
                r.monthly_interest_after,
            )),
            change(relative(r.first_payment_before, r.first_payment_after)),
            percent(r.max_balance_change, 2),
            percent(r.mean_balance_change, 3),
            percentage_points(r.max_apr_change),
        ]
    };
    let mut blocks = vec![Block::heading("cells", "The book as cells")];
    if let Some(all) = rows.iter().find(|r| r.segment == "all") {
        let c = cells_of(all);
        blocks.push(Block::Paragraph(format!(
            "{} loans became {} cells; balance {}; monthly interest {}; first scheduled payment {}; the largest change of a loan's balance {} (balance-weighted mean {}), of its APR {}.",
            c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
        )));
    }
    let header = [
        "Segment",
        "Loans",
        "Cells",
        "Balance",
        "Monthly interest",
        "First payment",
        "Largest balance change",
        "Mean balance change",
        "Largest APR change",
    ];
    blocks.push(Block::Table(
        Table::new(header, rows.iter().map(cells_of).collect())
            .caption("What bucketing changed: the book of cells against the book of loans")
            .numeric_from(1)
            .files(["bucketing.csv"]),
    ));
    Ok(blocks)
}

fn chart(
    folder: &ResultFolder,
    stem: &str,
    title: &str,
    reading: String,
    files: &[&str],
) -> Option<Block> {
    let files: Vec<&str> = (files.iter().copied())
        .filter(|f| folder.dir.join(f).is_file())
        .collect();
    (folder.has_chart(stem)).then(|| Block::chart(stem, title, reading, &files))
}

/// The report of one run's folder.
pub fn run_document(folder: &ResultFolder) -> Result<Document, ReportError> {
    let summary = folder.run()?;
    // The display title (`[simulation] title`, the name by default).
    let mut name = summary.display.title.clone();
    if let Some(stress) = &summary.stress_scenario {
        name = format!("{name} ({stress} scenario)");
    }
    let paths = summary.run.paths as f64;
    let horizon = f64::from(summary.run.horizon_months);
    let mut blocks = vec![
        Block::Warnings(warnings(folder)),
        Block::heading("figures", "Headline figures"),
        Block::Paragraph(headline_paragraph(summary)),
        Block::Figures(key_figures(summary)),
        Block::Table(tail_table(summary)),
    ];

    blocks.extend(scenario_blocks(folder));
    blocks.extend(bucketing_blocks(folder)?);

    let readings = Readings::load(folder)?;

    // Each chart as (stem, title, reading, tables behind it); one missing from the folder is
    // left out.
    let charts = |specs: Vec<(&str, &str, String, &[&str])>| {
        (specs.into_iter())
            .filter_map(|(stem, title, reading, files)| chart(folder, stem, title, reading, files))
            .collect::<Vec<_>>()
    };
    blocks.push(Block::heading("book", "The book over time"));
    blocks.extend(charts(vec![
        (
            "balance_by_state",
            "Balance by state",
            readings.balance_by_state(),
            &["timeline.csv"],
        ),
        (
            "balance_fan",
            "Balances by state with their spread",
            readings.balance_fan(),
            &["timeline.csv"],
        ),
        (
            "stage_flow",
            "Stage flow",
            readings.stage_flow(),
            &["stage_flow.csv", "timeline.csv"],
        ),
    ]));
    for segment in readings.segments() {
        let stem = format!("transition_heatmap_{segment}");
        let title = format!("Transition matrix of `{segment}`");
        let reading = readings.heatmap(&segment)?;
        blocks.extend(chart(folder, &stem, &title, reading, &["transitions.csv"]));
    }

    blocks.push(Block::heading("losses", "Losses and write-offs"));
    blocks.extend(charts(vec![
        (
            "loss_distribution",
            "Distribution of net credit loss",
            readings.loss_distribution(),
            &["paths.csv"],
        ),
        (
            "loss_distribution_log",
            "The tail of net credit loss (log scale)",
            readings.loss_tail()?,
            &["paths.csv"],
        ),
        (
            "write_offs_by_month",
            "Write-offs by month",
            readings.write_offs(horizon),
            &["write_offs.csv"],
        ),
        (
            "vintage_curves",
            "Vintage curves",
            readings.vintages()?,
            &["vintage_curves.csv"],
        ),
        (
            "convergence",
            "Convergence of the loss estimates",
            readings.convergence(paths)?,
            &["convergence.csv"],
        ),
    ]));

    blocks.push(Block::heading("recoveries", "Recoveries"));
    blocks.extend(charts(vec![(
        "recovery_curve",
        "Recovery curve",
        readings.recovery_curve()?,
        &["recovery_curve.csv"],
    )]));
    blocks.extend(readings.recovery_table()?.map(Block::Table));

    if folder.has("disposition.parquet") {
        let heading = "Disposition: hold, agency or sale";
        blocks.push(Block::heading("disposition", heading));
        blocks.extend(charts(vec![
            (
                "disposition_values",
                "Value of each disposition",
                readings.disposition()?,
                &["disposition.csv", "disposition_decision.csv"],
            ),
            (
                "buyer_price_vs_hurdle",
                "What a debt buyer can pay",
                readings.buyer()?,
                &["buyer_price_curve.csv", "buyer_pricing.csv"],
            ),
        ]));
        blocks.extend(readings.decision_table()?.map(Block::Table));
    }

    // Any chart of the folder not placed above still goes in, so the report shows them all.
    let shown: Vec<String> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Chart(c) => Some(c.stem.clone()),
            _ => None,
        })
        .collect();
    let mut others = stems(&folder.dir, ".png")?;
    others.retain(|stem| !shown.contains(stem));
    if !others.is_empty() {
        blocks.push(Block::heading("other-charts", "Other charts"));
        for stem in others {
            let title = figure_label(&stem);
            blocks.extend(chart(
                folder,
                &stem,
                &title,
                "The tables beside the report hold its numbers.".into(),
                &[],
            ));
        }
    }

    blocks.push(Block::heading("all-figures", "All figures"));
    blocks.push(Block::Figures(
        summary.figures.values().map(figure_row).collect(),
    ));
    blocks.push(Block::heading("files", "Files"));
    blocks.push(Block::Table(files_table(&folder.dir)?));

    Ok(Document {
        title: format!("{name}: run report"),
        subtitle: subtitle(folder),
        blocks,
        footer: footer(folder),
    })
}

fn subtitle(folder: &ResultFolder) -> String {
    let (m, book) = (folder.facts(), folder.book());
    format!(
        "{} loans, balance {}; {} paths over {} months, seed {}; run {}",
        group_thousands(book.loans as f64, 0),
        group_thousands(book.balance, 0),
        group_thousands(m.paths as f64, 0),
        m.horizon_months,
        m.seed,
        m.created_utc,
    )
}

fn footer(folder: &ResultFolder) -> String {
    format!(
        "Written by arrears {} from the files in this folder; rebuild with `arrears report <folder>`.",
        folder.facts().arrears_version
    )
}

/// What each table of a result folder holds.
fn file_description(stem: &str) -> &'static str {
    match stem {
        "summary" => "every headline figure, tail measures, manifest, warnings (JSON)",
        "scenario" => "the scenario file as run",
        "paths" => "one row per path: every figure on that path",
        "timeline" => {
            "loans and balance by state and month; flows by month (mean, se, percentiles)"
        }
        "write_offs" => "gross and net write-offs by month and segment, monthly and cumulative",
        "recovery_by_group" => "recovery rates by segment, stage at default and vintage",
        "recovery_rate_distribution" => "loan-level recovery rates in 5-point bands",
        "recovery_curve" => "cumulative recovery rate by months since default",
        "convergence" => "expected loss, VaR and ES as paths accumulate, with intervals",
        "factor" => "the systematic factor drawn on each path and month",
        "transitions" => "each segment's monthly transition matrix as simulated",
        "stage_flow" => "accounts and balance by collection stage and month, and monthly flows",
        "vintage_curves" => "cumulative write-offs by vintage and months on book",
        "disposition" => "value of each disposition at each sale point, per unit of face",
        "disposition_decision" => "the best disposition at each sale point and its lead",
        "buyer_pricing" => "the price a buyer can pay at each sale point, bid, IRR",
        "buyer_price_curve" => "the buyer's price against its hurdle rate",
        "stress_comparison" => "each stress scenario's expected loss, VaR and ES",
        "bucketing" => {
            "count mode: loans, cells, and the balance, interest and first payment before and after bucketing, by segment"
        }
        _ => "",
    }
}

/// The stems of the files in `dir` ending in `suffix`, sorted.
fn stems(dir: &Path, suffix: &str) -> Result<Vec<String>, ReportError> {
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| ReportError::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(suffix).map(str::to_string)
        })
        .collect();
    stems.sort();
    Ok(stems)
}

fn files_table(dir: &Path) -> Result<Table, ReportError> {
    let mut rows = vec![
        vec!["`summary.json`".into(), file_description("summary").into()],
        vec![
            "`scenario.toml`".into(),
            file_description("scenario").into(),
        ],
    ];
    for stem in stems(dir, ".csv")? {
        rows.push(vec![
            format!("`{stem}.csv`, `{stem}.parquet`"),
            file_description(&stem).into(),
        ]);
    }
    Ok(Table::new(["File", "What it holds"], rows).caption(
        "Tables beside this report (CSV for spreadsheets, Parquet for pandas, polars and R)",
    ))
}

// ---------------------------------------------------------------------------------------------
// Readings: one sentence per chart, from the tables behind it

struct Readings<'a> {
    folder: &'a ResultFolder,
    summary: &'a RunSummaryFile,
    timeline: Vec<TimelineRow>,
    write_offs: Vec<WriteOffRow>,
}

impl<'a> Readings<'a> {
    fn load(folder: &'a ResultFolder) -> Result<Readings<'a>, FolderError> {
        Ok(Readings {
            folder,
            summary: folder.run()?,
            timeline: folder.table()?,
            write_offs: folder.table()?,
        })
    }

    fn segments(&self) -> Vec<String> {
        self.summary
            .book
            .segments
            .iter()
            .map(|s| s.segment.clone())
            .collect()
    }

    /// On-book share after 12 months (or the horizon) and the delinquent balance's peak.
    fn balance_by_state(&self) -> String {
        let rows = &self.timeline;
        let balance = |pred: &dyn Fn(&TimelineRow) -> bool, month: u32| -> f64 {
            rows.iter()
                .filter(|r| {
                    r.category == "state" && r.measure == "balance" && r.month == month && pred(r)
                })
                .map(|r| r.estimate.mean)
                .sum()
        };
        let on_book =
            |r: &TimelineRow| !matches!(r.item.as_str(), "charged_off" | "paid_off" | "sold");
        let delinquent = |r: &TimelineRow| on_book(r) && r.item != "current";
        let last = rows.iter().map(|r| r.month).max().unwrap_or(0);
        if last == 0 {
            return "The timeline table holds the balances behind this chart.".into();
        }
        let start = balance(&on_book, 0);
        let at = last.min(12);
        let (peak_month, peak) = (0..=last)
            .map(|m| (m, balance(&delinquent, m)))
            .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
        format!(
            "{} of the starting balance of {} is still on the book after {at} months; the delinquent balance peaks in month {peak_month} at {} ({} of the balance on book then).",
            percent(balance(&on_book, at) / start, 1),
            group_thousands(start, 0),
            group_thousands(peak, 0),
            percent(
                peak / balance(&on_book, peak_month).max(f64::MIN_POSITIVE),
                1
            ),
        )
    }

    /// The delinquent state with the largest mean balance at its peak, with its band.
    fn balance_fan(&self) -> String {
        let rows = &self.timeline;
        let best = rows
            .iter()
            .filter(|r| {
                r.category == "state"
                    && r.measure == "balance"
                    && !matches!(
                        r.item.as_str(),
                        "current" | "charged_off" | "paid_off" | "sold"
                    )
            })
            .max_by(|a, b| a.estimate.mean.total_cmp(&b.estimate.mean));
        match best {
            Some(r) => format!(
                "Of the delinquent states, `{}` holds the most money: its mean balance peaks in month {} at {}, with 90% of paths between {} and {}.",
                r.item,
                r.month,
                group_thousands(r.estimate.mean, 0),
                group_thousands(r.estimate.p5, 0),
                group_thousands(r.estimate.p95, 0)
            ),
            None => "No delinquent balance in the timeline.".into(),
        }
    }

    /// The stage with the most accounts at its peak, and the flows over the horizon.
    fn stage_flow(&self) -> String {
        let rows = &self.timeline;
        let mut by_stage: Vec<(String, u32, f64)> = Vec::new();
        for r in rows
            .iter()
            .filter(|r| r.category == "state" && r.measure == "loans")
        {
            let Some(stage) = &r.stage else { continue };
            match by_stage
                .iter_mut()
                .find(|(s, m, _)| s == stage && *m == r.month)
            {
                Some(entry) => entry.2 += r.estimate.mean,
                None => by_stage.push((stage.clone(), r.month, r.estimate.mean)),
            }
        }
        let flow = |name: &str| -> f64 {
            rows.iter()
                .filter(|r| r.category == "flow" && r.item == name)
                .map(|r| r.estimate.mean)
                .sum()
        };
        let peak = by_stage.iter().max_by(|a, b| a.2.total_cmp(&b.2));
        let mut s = match peak {
            Some((stage, month, n)) => format!(
                "The {stage} stage is the largest, with {} accounts in month {month} on average. ",
                group_thousands(*n, 0)
            ),
            None => String::new(),
        };
        let _ = write!(
            s,
            "Over the horizon {} accounts become delinquent, {} cure and {} are charged off",
            group_thousands(flow("new_delinquencies"), 0),
            group_thousands(flow("cures"), 0),
            group_thousands(flow("charge_offs"), 0),
        );
        let sales = flow("sales");
        if sales > 0.0 {
            let _ = write!(s, "; {} are sold", group_thousands(sales, 0));
        }
        s.push_str(" (means over paths).");
        s
    }

    /// The monthly roll from current and the cure from the first bucket, for one segment.
    fn heatmap(&self, segment: &str) -> Result<String, FolderError> {
        let fallback = format!(
            "Monthly transition probabilities of `{segment}` as simulated; `transitions.csv` holds them."
        );
        let Some(all) = self.folder.optional_table::<TransitionRow>()? else {
            return Ok(fallback);
        };
        let rows: Vec<&TransitionRow> = all.iter().filter(|r| r.segment == segment).collect();
        let prob = |a: &str, b: &str| {
            rows.iter()
                .find(|r| r.from == a && r.to == b)
                .map(|r| r.probability)
        };
        // The first bucket: where current loans roll most.
        let first = rows
            .iter()
            .filter(|r| {
                r.from == "current"
                    && !matches!(
                        r.to.as_str(),
                        "current" | "paid_off" | "charged_off" | "sold"
                    )
            })
            .max_by(|a, b| a.probability.total_cmp(&b.probability))
            .map(|r| r.to.clone());
        Ok(match first {
            Some(bucket) => {
                let roll = prob("current", &bucket).unwrap_or(f64::NAN);
                let cure = prob(&bucket, "current").unwrap_or(f64::NAN);
                format!(
                    "Each month {} of current `{segment}` loans roll to `{bucket}`, and {} of loans in `{bucket}` cure back to current.",
                    percent(roll, 2),
                    percent(cure, 1)
                )
            }
            None => fallback,
        })
    }

    fn loss_distribution(&self) -> String {
        let (Some(ncl), Some(t99)) = (figure(self.summary, "net_credit_loss"), self.tail(0.99))
        else {
            return "Net credit loss on each path; `paths.csv` holds them.".into();
        };
        format!(
            "Net credit loss averages {} across paths, 90% of paths between {} and {}; the 99% VaR is {} and the expected shortfall beyond it {}.",
            group_thousands(ncl.mean, 0),
            group_thousands(ncl.p5, 0),
            group_thousands(ncl.p95, 0),
            group_thousands(t99.var, 0),
            group_thousands(t99.expected_shortfall, 0)
        )
    }

    fn tail(&self, level: f64) -> Option<&TailMeasure> {
        self.summary
            .net_credit_loss_tail
            .iter()
            .find(|t| t.level == level)
    }

    fn loss_tail(&self) -> Result<String, FolderError> {
        let worst = self
            .folder
            .table::<PathRow>()?
            .iter()
            .map(|r| r.get("net_credit_loss"))
            .filter(|x| x.is_finite())
            .max_by(f64::total_cmp);
        Ok(
            match (worst, figure(self.summary, "net_credit_loss"), self.tail(0.999)) {
                (Some(worst), Some(ncl), Some(t)) => format!(
                    "The worst path loses {}, {} above the mean; the 99.9% VaR is {}.",
                    group_thousands(worst, 0),
                    percent(worst / ncl.mean - 1.0, 1),
                    group_thousands(t.var, 0)
                ),
                _ => "The same distribution with a logarithmic count axis, so single tail paths show."
                    .into(),
            },
        )
    }

    fn write_offs(&self, horizon: f64) -> String {
        let all: Vec<&WriteOffRow> = self
            .write_offs
            .iter()
            .filter(|r| r.segment == "all")
            .collect();
        let Some(peak) = all.iter().max_by(|a, b| a.net.mean.total_cmp(&b.net.mean)) else {
            return "Gross and net write-offs by month; `write_offs.csv` holds them.".into();
        };
        if peak.net.mean <= 0.0 {
            return "Nothing is written off within the horizon.".into();
        }
        let last = all.last().map_or(f64::NAN, |r| r.cumulative_net.mean);
        format!(
            "Net write-offs peak in month {} at {} (90% of paths between {} and {}); cumulative net write-offs reach {} by month {}.",
            peak.month,
            group_thousands(peak.net.mean, 0),
            group_thousands(peak.net.p5, 0),
            group_thousands(peak.net.p95, 0),
            group_thousands(last, 0),
            horizon
        )
    }

    fn vintages(&self) -> Result<String, FolderError> {
        let fallback = "Cumulative write-offs of each vintage by months on book; `vintage_curves.csv` holds them.".to_string();
        let rows = self.folder.table::<VintageRow>()?;
        // The last row of each vintage is its furthest point.
        let mut last: Vec<(String, u32, f64)> = Vec::new();
        for r in &rows {
            let rate = r.cumulative_gross_rate.mean;
            match last.iter_mut().find(|(v, _, _)| *v == r.label) {
                Some(entry) if r.months_on_book >= entry.1 => {
                    *entry = (r.label.clone(), r.months_on_book, rate)
                }
                Some(_) => {}
                None => last.push((r.label.clone(), r.months_on_book, rate)),
            }
        }
        let worst = last
            .iter()
            .filter(|x| x.2.is_finite())
            .max_by(|a, b| a.2.total_cmp(&b.2));
        Ok(match worst {
            Some((v, m, r)) => format!(
                "Of {} vintages, `{v}` writes off the most: {} of its starting balance by {} months on book.",
                last.len(),
                percent(*r, 2),
                m
            ),
            None => fallback,
        })
    }

    fn convergence(&self, paths: f64) -> Result<String, FolderError> {
        let rows = self.folder.table::<ConvergenceRow>()?;
        let last = |m: &str| {
            rows.iter()
                .filter(|r| r.measure == m)
                .max_by_key(|r| r.paths)
        };
        Ok(match (last("expected_loss"), last("var_99")) {
            (Some(e), Some(v)) => format!(
                "After all {} paths the expected loss is {} (95% interval {} – {}) and the 99% VaR {} ({} – {}); the VaR's interval is {} times as wide relative to its level.",
                group_thousands(paths, 0),
                group_thousands(e.estimate, 0),
                group_thousands(e.ci_low, 0),
                group_thousands(e.ci_high, 0),
                group_thousands(v.estimate, 0),
                group_thousands(v.ci_low, 0),
                group_thousands(v.ci_high, 0),
                ratio(
                    (v.ci_high - v.ci_low) / v.estimate,
                    (e.ci_high - e.ci_low) / e.estimate
                ),
            ),
            _ => "Estimates as paths accumulate; `convergence.csv` holds them.".into(),
        })
    }

    fn recovery_curve(&self) -> Result<String, FolderError> {
        let rows = self.folder.table::<CurveRow>()?;
        let at = |m: u32| {
            rows.iter()
                .find(|r| r.months_since_default == m)
                .map(|r| r.cumulative_recovery_rate.mean)
        };
        let Some(last) = rows.last() else {
            return Ok(
                "Cumulative recovery rate by months since default; `recovery_curve.csv` holds it."
                    .into(),
            );
        };
        let (last_month, last_rate) = (
            last.months_since_default,
            last.cumulative_recovery_rate.mean,
        );
        Ok(match at(12) {
            Some(r12) if last_month > 12 => format!(
                "Defaults recover {} of exposure at default within 12 months and {} within {} months (gross, undiscounted).",
                percent(r12, 1),
                percent(last_rate, 1),
                last_month
            ),
            _ => format!(
                "Defaults recover {} of exposure at default within {} months (gross, undiscounted).",
                percent(last_rate, 1),
                last_month
            ),
        })
    }

    fn recovery_table(&self) -> Result<Option<Table>, FolderError> {
        let fraction = Unit::Fraction;
        let rows: Vec<Vec<String>> = self
            .folder
            .table::<GroupRow>()?
            .iter()
            .filter(|r| r.dimension != "vintage")
            .map(|r| {
                vec![
                    r.dimension.replace('_', " "),
                    r.group.clone(),
                    group_thousands(r.defaults.mean, 0),
                    group_thousands(r.exposure_at_default.mean, 0),
                    fraction.estimate(r.recovery_rate.mean, r.recovery_rate.se),
                    fraction.estimate(r.loss_given_default.mean, r.loss_given_default.se),
                ]
            })
            .collect();
        let header = [
            "Dimension",
            "Group",
            "Defaults",
            "Exposure at default",
            "Recovery rate",
            "Loss given default",
        ];
        Ok(Some(
            Table::new(header, rows)
                .caption("Recovery by segment and stage at default (means per path; vintages in the file)")
                .numeric_from(2)
                .files(["recovery_by_group.csv"]),
        ))
    }

    fn disposition(&self) -> Result<String, FolderError> {
        let parts: Vec<String> = self
            .decisions()?
            .iter()
            .map(|d| {
                format!(
                    "at {} {} is best ({:.1} cents per unit of face, {:.1} ± {:.1} ahead of {})",
                    d.point,
                    d.best.replace('_', " "),
                    100.0 * d.best_value_per_face,
                    100.0 * d.lead_per_face.mean,
                    100.0 * d.lead_per_face.se,
                    d.runner_up.replace('_', " ")
                )
            })
            .collect();
        if parts.is_empty() {
            return Ok("Value per unit of face of each disposition at each sale point; `disposition.csv` holds them.".into());
        }
        let mut s = parts.join("; ");
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s.push('.');
        Ok(s)
    }

    /// The whole book's decision at each sale point.
    fn decisions(&self) -> Result<Vec<DecisionRow>, FolderError> {
        Ok(self
            .folder
            .optional_table::<DecisionRow>()?
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.segment == "all")
            .collect())
    }

    fn decision_table(&self) -> Result<Option<Table>, FolderError> {
        let rows: Vec<Vec<String>> = self
            .decisions()?
            .into_iter()
            .map(|d| {
                vec![
                    d.point,
                    d.best.replace('_', " "),
                    format!("{:.2}", 100.0 * d.best_value_per_face),
                    d.runner_up.replace('_', " "),
                    format!(
                        "{:.2} ± {:.2}",
                        100.0 * d.lead_per_face.mean,
                        100.0 * d.lead_per_face.se
                    ),
                ]
            })
            .collect();
        let header = ["Sale point", "Best", "Value", "Runner-up", "Lead ± se"];
        Ok((!rows.is_empty()).then(|| {
            Table::new(header, rows)
                .caption("Best disposition at each sale point, whole book (cents per unit of face value)")
                .numeric(&[false, false, true, false, true])
                .files(["disposition_decision.csv", "disposition.csv"])
        }))
    }

    fn buyer(&self) -> Result<String, FolderError> {
        let fallback =
            "The price a debt buyer can pay against its hurdle rate; `buyer_pricing.csv` holds it.";
        let rows = self
            .folder
            .optional_table::<BuyerRow>()?
            .unwrap_or_default();
        let Some(first) = rows.first() else {
            return Ok(fallback.into());
        };
        let parts: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {:.1} (bid {:.1})",
                    r.point,
                    100.0 * r.fair_price.mean,
                    100.0 * r.bid
                )
            })
            .collect();
        Ok(format!(
            "At its hurdle rate the buyer can pay, in cents per unit of face: {}; the quoted price is {:.1}.",
            parts.join(", "),
            100.0 * first.quoted_price
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// A stress set's top folder

/// The report of a stress set: the comparison, its charts, and links to each scenario.
pub fn stress_document(folder: &ResultFolder) -> Result<Document, ReportError> {
    let Contents::StressSet(set) = &folder.contents else {
        return run_document(folder);
    };
    let name = set.display.title.clone();
    let mut blocks = vec![Block::Warnings(warnings(folder))];
    blocks.push(Block::heading("comparison", "Stress scenarios compared"));
    let t = folder.table::<StressRow>()?;
    let rows: Vec<Vec<String>> = t
        .iter()
        .map(|r| {
            let t99 = r.net_credit_loss_tail.iter().find(|x| x.level == 0.99);
            vec![
                format!("`{}`", r.scenario),
                r.weight.map_or("–".into(), |w| w.to_string()),
                Unit::Currency.estimate(r.net_credit_loss.mean, r.net_credit_loss.se),
                group_thousands(t99.map_or(f64::NAN, |x| x.var), 0),
                group_thousands(t99.map_or(f64::NAN, |x| x.expected_shortfall), 0),
                percent(r.recovery_rate.mean, 2),
            ]
        })
        .collect();
    let named: Vec<&StressRow> = t.iter().filter(|r| r.scenario != "weighted").collect();
    let el = |r: &&StressRow| r.net_credit_loss.mean;
    if let Some(worst) = named.iter().max_by(|a, b| el(a).total_cmp(&el(b)))
        && let Some(base) = named.iter().min_by(|a, b| el(a).total_cmp(&el(b)))
    {
        blocks.push(Block::Paragraph(format!(
            "Expected net credit loss ranges from {} under `{}` to {} under `{}` ({} times as much). All scenarios share random numbers path by path, so their differences are not Monte Carlo noise.",
            group_thousands(el(base), 0),
            base.scenario,
            group_thousands(el(worst), 0),
            worst.scenario,
            ratio(el(worst), el(base)),
        )));
    }
    let header = [
        "Scenario",
        "Weight",
        "Expected loss ± se",
        "99% VaR",
        "99% ES",
        "Recovery rate",
    ];
    blocks.push(Block::Table(
        Table::new(header, rows)
            .caption("Net credit loss by scenario")
            .numeric_from(1)
            .files(["stress_comparison.csv"]),
    ));
    let var_reading = named
        .iter()
        .map(|r| {
            let var = r.net_credit_loss_tail.iter().find(|x| x.level == 0.99);
            format!(
                "{} under `{}`",
                group_thousands(var.map_or(f64::NAN, |x| x.var), 0),
                r.scenario
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    blocks.extend(chart(
        folder,
        "stress_loss_distributions",
        "Loss distributions by scenario",
        format!("Net credit loss on each path, one distribution per scenario; the 99% VaR is {var_reading}."),
        &["stress_comparison.csv"],
    ));
    let mut ends = Vec::new();
    for name in &set.scenarios {
        // Each scenario's folder was verified with the set (the top manifest covers it).
        let sub = ResultFolder::open(&folder.dir.join(name), Trust::BeingWritten)?;
        let write_offs = sub.table::<WriteOffRow>()?;
        if let Some(r) = write_offs.iter().rev().find(|r| r.segment == "all") {
            ends.push(format!(
                "{} under `{name}`",
                group_thousands(r.cumulative_net.mean, 0)
            ));
        }
    }
    blocks.extend(chart(
        folder,
        "stress_cumulative_net_write_offs",
        "Cumulative net write-offs by scenario",
        format!(
            "Mean cumulative net write-offs by month with 5th–95th percentile bands; by the horizon they reach {}.",
            ends.join(", ")
        ),
        &["stress_comparison.csv"],
    ));
    blocks.push(Block::heading("scenarios", "Each scenario's report"));
    blocks.push(Block::Links(
        set.scenarios
            .iter()
            .map(|s| (format!("`{s}`"), format!("{s}/report.html")))
            .collect(),
    ));
    blocks.extend(scenario_blocks(folder));
    blocks.push(Block::heading("files", "Files"));
    blocks.push(Block::Table(files_table(&folder.dir)?));
    Ok(Document {
        title: format!("{name}: stress set report"),
        subtitle: subtitle(folder),
        blocks,
        footer: footer(folder),
    })
}
