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
use super::document::{self, Block, ChartBlock, Document, FigureRow, Table, Unit, percent};
use super::folder::{CsvTable, FolderError, ResultFolder};
use crate::model::group_thousands;

/// Writes `report.html` and `report.md` into a result folder just written (and into each
/// scenario's subfolder of a stress set); returns the files written.
pub fn write_reports(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let folder = ResultFolder::open(dir)?;
    let mut written = Vec::new();
    if folder.is_stress_set() {
        for name in stress_scenarios(&folder)? {
            written.extend(write_reports(&dir.join(name))?);
        }
        let doc = stress_document(&folder)?;
        written.extend(write_document(dir, &doc)?);
    } else {
        let doc = run_document(&folder)?;
        written.extend(write_document(dir, &doc)?);
    }
    Ok(written)
}

/// `arrears report DIR`: rebuilds the reports from the folder's files.
pub fn rebuild(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    write_reports(dir)
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

fn stress_scenarios(folder: &ResultFolder) -> Result<Vec<String>, ReportError> {
    Ok(folder
        .get("scenarios")?
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Headline figures

/// What an analyst calls each figure of `summary.json` (shared by `arrears compare`).
pub fn figure_label(key: &str) -> String {
    let label = match key {
        "original_balance" => "Starting balance",
        "repaid" => "Principal repaid",
        "interest_collected" => "Interest collected",
        "gross_write_offs" => "Gross write-offs",
        "recoveries" => "Recoveries",
        "sale_proceeds" => "Debt-sale proceeds",
        "sold_face" => "Face value sold",
        "net_write_offs" => "Net write-offs",
        "net_credit_loss" => "Net credit loss",
        "collection_costs" => "Collection costs",
        "outstanding" => "Outstanding at the horizon",
        "written_off_unrecovered" => "Written off, still uncollected",
        "drawn" => "Drawn on revolving lines",
        "accrued_charges" => "Interest and fees capitalised",
        "defaults" => "Defaults (accounts)",
        "charge_offs" => "Charge-offs (accounts)",
        "sales" => "Sales (accounts)",
        "pay_offs" => "Pay-offs (accounts)",
        "exposure_at_default" => "Exposure at default",
        "recovery_rate" => "Recovery rate (gross)",
        "recovery_rate_net" => "Recovery rate (net of costs)",
        "recovery_rate_discounted_gross" => "Recovery rate (discounted, gross)",
        "recovery_rate_discounted" => "Recovery rate (discounted, net)",
        "loss_given_default" => "Loss given default",
        "net_credit_loss_rate" => "Net credit loss rate",
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            return s;
        }
    };
    label.to_string()
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

fn figure(folder: &ResultFolder, key: &str) -> Result<FigureRow, FolderError> {
    let at = |field: &str| folder.f64(&format!("figures/{key}/{field}"));
    Ok(FigureRow {
        key: key.to_string(),
        label: figure_label(key),
        unit: Unit::from_summary(folder.str(&format!("figures/{key}/unit"))?),
        mean: at("mean")?,
        se: at("se")?,
        p5: at("p5")?,
        p50: at("p50")?,
        p95: at("p95")?,
        description: folder
            .str(&format!("figures/{key}/description"))
            .unwrap_or_default()
            .to_string(),
    })
}

fn all_figure_keys(folder: &ResultFolder) -> Result<Vec<String>, FolderError> {
    Ok(folder
        .get("figures")?
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default())
}

/// Key figures present in the run; sale figures only when something was sold.
fn key_figures(folder: &ResultFolder) -> Result<Vec<FigureRow>, FolderError> {
    let keys = all_figure_keys(folder)?;
    let mut rows = Vec::new();
    for key in KEY_FIGURES {
        if !keys.iter().any(|k| k == key) {
            continue;
        }
        let row = figure(folder, key)?;
        if matches!(key, "sale_proceeds" | "sold_face") && row.mean == 0.0 {
            continue;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The opening paragraph: expected loss, its spread, recovery and LGD, sales.
fn headline_paragraph(folder: &ResultFolder) -> Result<String, FolderError> {
    let ncl = figure(folder, "net_credit_loss")?;
    let start = folder.f64("figures/original_balance/mean")?;
    let mut s = format!(
        "Expected net credit loss is {} ± {} ({} of the starting balance of {}); 90% of paths lie between {} and {}.",
        group_thousands(ncl.mean, 0),
        group_thousands(ncl.se, 0),
        percent(ncl.mean / start, 2),
        group_thousands(start, 0),
        group_thousands(ncl.p5, 0),
        group_thousands(ncl.p95, 0),
    );
    if let (Ok(rr), Ok(net), Ok(lgd)) = (
        figure(folder, "recovery_rate"),
        figure(folder, "recovery_rate_net"),
        figure(folder, "loss_given_default"),
    ) && rr.mean.is_finite()
    {
        let defaults = folder.f64("figures/defaults/mean").unwrap_or(f64::NAN);
        let _ = write!(
            s,
            " The {} defaults recover {} ± {} of exposure at default ({} net of collection costs); loss given default is {} (discounted).",
            group_thousands(defaults, 0),
            percent(rr.mean, 2),
            percent(rr.se, 3),
            percent(net.mean, 2),
            percent(lgd.mean, 2),
        );
    }
    if let (Ok(proceeds), Ok(face)) = (
        folder.f64("figures/sale_proceeds/mean"),
        folder.f64("figures/sold_face/mean"),
    ) && face > 0.0
    {
        let _ = write!(
            s,
            " Debt sales bring {} for {} of face value ({:.1} cents per unit).",
            group_thousands(proceeds, 0),
            group_thousands(face, 0),
            100.0 * proceeds / face
        );
    }
    Ok(s)
}

/// VaR and expected shortfall of net credit loss and of write-offs, with their intervals.
fn tail_table(folder: &ResultFolder) -> Result<Table, FolderError> {
    let mut rows = Vec::new();
    let mut add = |what: &str, tails: &serde_json::Value| {
        for t in tails.as_array().into_iter().flatten() {
            let f = |k: &str| {
                t.get(k)
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(f64::NAN)
            };
            rows.push(vec![
                what.to_string(),
                format!("{}%", trim_level(100.0 * f("level"))),
                group_thousands(f("var"), 0),
                format!(
                    "{} – {}",
                    group_thousands(f("var_ci_low"), 0),
                    group_thousands(f("var_ci_high"), 0)
                ),
                group_thousands(f("expected_shortfall"), 0),
                format!(
                    "{} – {}",
                    group_thousands(f("expected_shortfall_ci_low"), 0),
                    group_thousands(f("expected_shortfall_ci_high"), 0)
                ),
                group_thousands(f("tail_paths"), 0),
            ]);
        }
    };
    add("Net credit loss", folder.get("net_credit_loss_tail")?);
    if let Ok(tails) = folder.get("write_off_tails")
        && let Some(map) = tails.as_object()
    {
        for (key, value) in map {
            add(&figure_label(key), value);
        }
    }
    Ok(Table {
        caption: "Tail risk: value at risk (VaR) and expected shortfall (ES), with 95% confidence intervals".into(),
        header: [
            "Measure",
            "Level",
            "VaR",
            "VaR 95% interval",
            "ES",
            "ES 95% interval",
            "Tail paths",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        numeric: vec![false, true, true, true, true, true, true],
        files: vec!["paths.csv".into(), "convergence.csv".into()],
    })
}

fn trim_level(x: f64) -> String {
    let s = format!("{x:.1}");
    s.trim_end_matches(".0").to_string()
}

// ---------------------------------------------------------------------------------------------
// The run's document

fn heading(id: &str, text: &str) -> Block {
    Block::Heading {
        id: id.into(),
        text: text.into(),
    }
}

fn warnings(folder: &ResultFolder) -> Vec<String> {
    let mut out: Vec<String> = folder
        .get("warnings")
        .ok()
        .and_then(|w| w.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Ok(clipped) = folder.f64("clipped_rows")
        && clipped > 0.0
    {
        out.push(format!(
            "{} transition-matrix rows were clipped when conditioning on the systematic factor (probabilities pushed past 0 or 1 and cut back); extreme factor draws are understated there",
            group_thousands(clipped, 0)
        ));
    }
    if let (Ok(ess), Ok(paths)) = (
        folder.f64("effective_sample_size"),
        folder.f64("manifest/paths"),
    ) && ess < 0.5 * paths
    {
        out.push(format!(
            "the effective sample size is {} of {} paths (importance sampling); standard errors already allow for it",
            group_thousands(ess, 0),
            group_thousands(paths, 0)
        ));
    }
    out
}

fn scenario_blocks(folder: &ResultFolder) -> Result<Vec<Block>, FolderError> {
    let mut blocks = vec![heading("scenario", "The scenario")];
    let description: Vec<String> = folder
        .get("scenario_description")
        .ok()
        .and_then(|d| d.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if !description.is_empty() {
        blocks.push(Block::Bullets(description));
    }
    let m = |k: &str| folder.get(&format!("manifest/{k}")).ok();
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => "none".into(),
        Some(other) => other.to_string(),
    };
    let mut pairs = vec![
        (
            "Scenario".to_string(),
            format!("`{}`", text(m("scenario_name"))),
        ),
        (
            "Scenario file".into(),
            format!("`{}`", text(m("scenario_file"))),
        ),
        (
            "Scenario SHA-256".into(),
            format!("`{}`", text(m("scenario_sha256"))),
        ),
    ];
    if let Some(v) = m("loan_tape_sha256")
        && !v.is_null()
    {
        pairs.push(("Loan tape SHA-256".into(), format!("`{}`", text(Some(v)))));
    }
    pairs.extend([
        ("Seed".into(), text(m("seed"))),
        (
            "Paths".into(),
            group_thousands(folder.f64("manifest/paths").unwrap_or(f64::NAN), 0),
        ),
        (
            "Horizon".into(),
            format!("{} months", text(m("horizon_months"))),
        ),
        (
            "Loans".into(),
            group_thousands(folder.f64("manifest/loans").unwrap_or(f64::NAN), 0),
        ),
    ]);
    // Older folders have no mode: they ran loan by loan. Loan mode adds no lines, so loan-mode
    // reports read as before.
    if folder
        .str("manifest/mode")
        .is_ok_and(|mode| mode == "count")
    {
        pairs.extend([
            (
                "Mode".to_string(),
                "count (cells of identical loans, moved by counts)".to_string(),
            ),
            (
                "Cells".into(),
                group_thousands(folder.f64("manifest/cells").unwrap_or(f64::NAN), 0),
            ),
        ]);
    }
    pairs.extend([
        ("Random numbers".into(), text(m("rng"))),
        ("Spread reflects".into(), text(m("uncertainty"))),
        (
            "Default definition".into(),
            text(folder.get("default_definition").ok()),
        ),
        (
            "arrears version".into(),
            format!(
                "{} (file format {})",
                text(m("arrears_version")),
                text(m("format_version"))
            ),
        ),
        (
            "Run".into(),
            format!(
                "{} on {} threads, {:.1} s",
                text(m("created_utc")),
                text(m("threads")),
                folder.f64("manifest/run_seconds").unwrap_or(f64::NAN)
            ),
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
    Ok(blocks)
}

/// Count mode: what bucketing the loans into cells changed, read off `bucketing.csv` (absent
/// in loan mode, for a cell tape and in folders older than count mode: no section then).
fn bucketing_blocks(folder: &ResultFolder) -> Result<Vec<Block>, FolderError> {
    let Some(t) = folder.table_if_present("bucketing")? else {
        return Ok(Vec::new());
    };
    let segment = t.strs("segment")?;
    let col = |name: &str| t.f64s(name);
    let (loans, cells) = (col("loans")?, col("cells")?);
    let (balance, interest, payment) = (
        col("balance_change")?,
        col("monthly_interest_change")?,
        col("first_payment_change")?,
    );
    let (max_balance, mean_balance, max_apr) = (
        col("max_balance_change")?,
        col("mean_balance_change")?,
        col("max_apr_change")?,
    );
    let mut blocks = vec![heading("cells", "The book as cells")];
    if let Some(all) = segment.iter().position(|s| s == "all") {
        blocks.push(Block::Paragraph(format!(
            "{} loans became {} cells; balance {}; monthly interest {}; first scheduled payment {}; the largest change of a loan's balance {} (balance-weighted mean {}), of its APR {}.",
            group_thousands(loans[all], 0),
            group_thousands(cells[all], 0),
            change(balance[all]),
            change(interest[all]),
            change(payment[all]),
            percent(max_balance[all], 2),
            percent(mean_balance[all], 3),
            percentage_points(max_apr[all]),
        )));
    }
    let rows = (0..t.len())
        .map(|i| {
            vec![
                segment[i].clone(),
                group_thousands(loans[i], 0),
                group_thousands(cells[i], 0),
                change(balance[i]),
                change(interest[i]),
                change(payment[i]),
                percent(max_balance[i], 2),
                percent(mean_balance[i], 3),
                percentage_points(max_apr[i]),
            ]
        })
        .collect();
    blocks.push(Block::Table(Table {
        caption: "What bucketing changed: the book of cells against the book of loans".into(),
        header: [
            "Segment",
            "Loans",
            "Cells",
            "Balance",
            "Monthly interest",
            "First payment",
            "Largest balance change",
            "Mean balance change",
            "Largest APR change",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        numeric: vec![false, true, true, true, true, true, true, true, true],
        files: vec!["bucketing.csv".into()],
    }));
    Ok(blocks)
}

/// A relative change of a total kept by bucketing up to rounding: `unchanged` within 10^-9,
/// else signed, e.g. `+0.002%`.
fn change(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x.abs() < 1e-9 {
        "unchanged".into()
    } else if x.abs() < 5e-6 {
        format!(
            "{} less than 0.001%",
            if x > 0.0 { "up by" } else { "down by" }
        )
    } else {
        format!("{:+.3}%", 100.0 * x)
    }
}

/// An APR difference as a fraction, in percentage points: `0.0012` -> `0.12 pp`.
fn percentage_points(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2} pp", 100.0 * x)
    } else {
        "n/a".into()
    }
}

fn chart(
    folder: &ResultFolder,
    stem: &str,
    title: &str,
    reading: String,
    files: &[&str],
) -> Option<Block> {
    folder.has_chart(stem).then(|| {
        Block::Chart(ChartBlock {
            stem: stem.into(),
            title: title.into(),
            reading,
            files: files
                .iter()
                .filter(|f| folder.dir.join(f).is_file())
                .map(|f| f.to_string())
                .collect(),
        })
    })
}

/// The report of one run's folder.
pub fn run_document(folder: &ResultFolder) -> Result<Document, ReportError> {
    // The display title (`[simulation] title`), else the name (folders older than it).
    let title = folder.str("display/title");
    let mut name = title
        .or_else(|_| folder.str("manifest/scenario_name"))?
        .to_string();
    if let Ok(stress) = folder.str("stress_scenario") {
        name = format!("{name} ({stress} scenario)");
    }
    let paths = folder.f64("manifest/paths")?;
    let horizon = folder.f64("manifest/horizon_months")?;
    let mut blocks = vec![
        Block::Warnings(warnings(folder)),
        heading("figures", "Headline figures"),
        Block::Paragraph(headline_paragraph(folder)?),
        Block::Figures(key_figures(folder)?),
        Block::Table(tail_table(folder)?),
    ];

    blocks.extend(scenario_blocks(folder)?);
    blocks.extend(bucketing_blocks(folder)?);

    let readings = Readings::load(folder)?;
    let push = |blocks: &mut Vec<Block>, block: Option<Block>| blocks.extend(block);

    blocks.push(heading("book", "The book over time"));
    push(
        &mut blocks,
        chart(
            folder,
            "balance_by_state",
            "Balance by state",
            readings.balance_by_state(),
            &["timeline.csv"],
        ),
    );
    push(
        &mut blocks,
        chart(
            folder,
            "balance_fan",
            "Balances by state with their spread",
            readings.balance_fan(),
            &["timeline.csv"],
        ),
    );
    push(
        &mut blocks,
        chart(
            folder,
            "stage_flow",
            "Stage flow",
            readings.stage_flow(),
            &["stage_flow.csv", "timeline.csv"],
        ),
    );
    for segment in readings.segments() {
        let stem = format!("transition_heatmap_{segment}");
        push(
            &mut blocks,
            chart(
                folder,
                &stem,
                &format!("Transition matrix of `{segment}`"),
                readings.heatmap(&segment),
                &["transitions.csv"],
            ),
        );
    }

    blocks.push(heading("losses", "Losses and write-offs"));
    push(
        &mut blocks,
        chart(
            folder,
            "loss_distribution",
            "Distribution of net credit loss",
            readings.loss_distribution(),
            &["paths.csv"],
        ),
    );
    push(
        &mut blocks,
        chart(
            folder,
            "loss_distribution_log",
            "The tail of net credit loss (log scale)",
            readings.loss_tail(),
            &["paths.csv"],
        ),
    );
    push(
        &mut blocks,
        chart(
            folder,
            "write_offs_by_month",
            "Write-offs by month",
            readings.write_offs(horizon),
            &["write_offs.csv"],
        ),
    );
    push(
        &mut blocks,
        chart(
            folder,
            "vintage_curves",
            "Vintage curves",
            readings.vintages(),
            &["vintage_curves.csv"],
        ),
    );
    push(
        &mut blocks,
        chart(
            folder,
            "convergence",
            "Convergence of the loss estimates",
            readings.convergence(paths),
            &["convergence.csv"],
        ),
    );

    blocks.push(heading("recoveries", "Recoveries"));
    push(
        &mut blocks,
        chart(
            folder,
            "recovery_curve",
            "Recovery curve",
            readings.recovery_curve(),
            &["recovery_curve.csv"],
        ),
    );
    if let Some(table) = readings.recovery_table() {
        blocks.push(Block::Table(table));
    }

    if folder.has("disposition") {
        blocks.push(heading("disposition", "Disposition: hold, agency or sale"));
        push(
            &mut blocks,
            chart(
                folder,
                "disposition_values",
                "Value of each disposition",
                readings.disposition(),
                &["disposition.csv", "disposition_decision.csv"],
            ),
        );
        push(
            &mut blocks,
            chart(
                folder,
                "buyer_price_vs_hurdle",
                "What a debt buyer can pay",
                readings.buyer(),
                &["buyer_price_curve.csv", "buyer_pricing.csv"],
            ),
        );
        if let Some(table) = readings.decision_table() {
            blocks.push(Block::Table(table));
        }
    }

    // Any chart of the folder not placed above still goes in, so the report shows them all.
    let shown: Vec<String> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Chart(c) => Some(c.stem.clone()),
            _ => None,
        })
        .collect();
    let mut others: Vec<String> = std::fs::read_dir(&folder.dir)
        .map_err(|e| ReportError::io(&folder.dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".png").map(str::to_string)
        })
        .filter(|stem| !shown.contains(stem))
        .collect();
    others.sort();
    if !others.is_empty() {
        blocks.push(heading("other-charts", "Other charts"));
        for stem in others {
            let title = figure_label(&stem);
            push(
                &mut blocks,
                chart(
                    folder,
                    &stem,
                    &title,
                    "The tables beside the report hold its numbers.".into(),
                    &[],
                ),
            );
        }
    }

    blocks.push(heading("all-figures", "All figures"));
    let mut all = Vec::new();
    for key in all_figure_keys(folder)? {
        all.push(figure(folder, &key)?);
    }
    blocks.push(Block::Figures(all));
    blocks.push(heading("files", "Files"));
    blocks.push(Block::Table(files_table(&folder.dir)?));

    Ok(Document {
        title: format!("{name}: run report"),
        subtitle: subtitle(folder)?,
        blocks,
        footer: footer(folder),
    })
}

fn subtitle(folder: &ResultFolder) -> Result<String, FolderError> {
    Ok(format!(
        "{} loans, balance {}; {} paths over {} months, seed {}; run {}",
        group_thousands(folder.f64("book/loans")?, 0),
        group_thousands(folder.f64("book/balance")?, 0),
        group_thousands(folder.f64("manifest/paths")?, 0),
        folder.f64("manifest/horizon_months")?,
        folder.get("manifest/seed")?,
        folder.str("manifest/created_utc").unwrap_or("?"),
    ))
}

fn footer(folder: &ResultFolder) -> String {
    format!(
        "Written by arrears {} from the files in this folder; rebuild with `arrears report <folder>`.",
        folder.str("manifest/arrears_version").unwrap_or("?")
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

fn files_table(dir: &Path) -> Result<Table, ReportError> {
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| ReportError::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".csv").map(str::to_string)
        })
        .collect();
    stems.sort();
    let mut rows = vec![
        vec!["`summary.json`".into(), file_description("summary").into()],
        vec![
            "`scenario.toml`".into(),
            file_description("scenario").into(),
        ],
    ];
    for stem in stems {
        rows.push(vec![
            format!("`{stem}.csv`, `{stem}.parquet`"),
            file_description(&stem).into(),
        ]);
    }
    Ok(Table {
        caption:
            "Tables beside this report (CSV for spreadsheets, Parquet for pandas, polars and R)"
                .into(),
        header: vec!["File".into(), "What it holds".into()],
        rows,
        numeric: vec![false, false],
        files: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Readings: one sentence per chart, from the tables behind it

struct Readings<'a> {
    folder: &'a ResultFolder,
    timeline: Option<CsvTable>,
    write_offs: Option<CsvTable>,
}

/// A timeline row: (month, category, item, stage, measure, mean, p5, p95).
struct TimelineRow {
    month: u32,
    category: String,
    item: String,
    stage: String,
    measure: String,
    mean: f64,
    p5: f64,
    p95: f64,
}

impl<'a> Readings<'a> {
    fn load(folder: &'a ResultFolder) -> Result<Readings<'a>, FolderError> {
        Ok(Readings {
            folder,
            timeline: folder.table_if_present("timeline")?,
            write_offs: folder.table_if_present("write_offs")?,
        })
    }

    fn timeline_rows(&self) -> Vec<TimelineRow> {
        let Some(t) = &self.timeline else {
            return Vec::new();
        };
        let (Ok(month), Ok(category), Ok(item), Ok(stage), Ok(measure), Ok(mean), Ok(p5), Ok(p95)) = (
            t.f64s("month"),
            t.strs("category"),
            t.strs("item"),
            t.strs("stage"),
            t.strs("measure"),
            t.f64s("mean"),
            t.f64s("p5"),
            t.f64s("p95"),
        ) else {
            return Vec::new();
        };
        (0..t.len())
            .map(|i| TimelineRow {
                month: month[i] as u32,
                category: category[i].clone(),
                item: item[i].clone(),
                stage: stage[i].clone(),
                measure: measure[i].clone(),
                mean: mean[i],
                p5: p5[i],
                p95: p95[i],
            })
            .collect()
    }

    fn segments(&self) -> Vec<String> {
        self.folder
            .get("book/segments")
            .ok()
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        s.get("segment")
                            .and_then(|v| v.as_str())
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// On-book share after 12 months (or the horizon) and the delinquent balance's peak.
    fn balance_by_state(&self) -> String {
        let rows = self.timeline_rows();
        let balance = |pred: &dyn Fn(&TimelineRow) -> bool, month: u32| -> f64 {
            rows.iter()
                .filter(|r| {
                    r.category == "state" && r.measure == "balance" && r.month == month && pred(r)
                })
                .map(|r| r.mean)
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
        let rows = self.timeline_rows();
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
            .max_by(|a, b| a.mean.total_cmp(&b.mean));
        match best {
            Some(r) => format!(
                "Of the delinquent states, `{}` holds the most money: its mean balance peaks in month {} at {}, with 90% of paths between {} and {}.",
                r.item,
                r.month,
                group_thousands(r.mean, 0),
                group_thousands(r.p5, 0),
                group_thousands(r.p95, 0)
            ),
            None => "No delinquent balance in the timeline.".into(),
        }
    }

    /// The stage with the most accounts at its peak, and the flows over the horizon.
    fn stage_flow(&self) -> String {
        let rows = self.timeline_rows();
        let mut by_stage: Vec<(String, u32, f64)> = Vec::new();
        for r in rows
            .iter()
            .filter(|r| r.category == "state" && r.measure == "loans" && !r.stage.is_empty())
        {
            match by_stage
                .iter_mut()
                .find(|(s, m, _)| *s == r.stage && *m == r.month)
            {
                Some(entry) => entry.2 += r.mean,
                None => by_stage.push((r.stage.clone(), r.month, r.mean)),
            }
        }
        let flow = |name: &str| -> f64 {
            rows.iter()
                .filter(|r| r.category == "flow" && r.item == name)
                .map(|r| r.mean)
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
    fn heatmap(&self, segment: &str) -> String {
        let fallback = format!(
            "Monthly transition probabilities of `{segment}` as simulated; `transitions.csv` holds them."
        );
        let Ok(Some(t)) = self.folder.table_if_present("transitions") else {
            return fallback;
        };
        let (Ok(seg), Ok(from), Ok(to), Ok(p)) = (
            t.strs("segment"),
            t.strs("from"),
            t.strs("to"),
            t.f64s("probability"),
        ) else {
            return fallback;
        };
        let rows: Vec<usize> = (0..t.len()).filter(|&i| seg[i] == segment).collect();
        let prob = |a: &str, b: &str| {
            rows.iter()
                .find(|&&i| from[i] == a && to[i] == b)
                .map(|&i| p[i])
        };
        // The first bucket: where current loans roll most.
        let first = rows
            .iter()
            .filter(|&&i| {
                from[i] == "current"
                    && !matches!(
                        to[i].as_str(),
                        "current" | "paid_off" | "charged_off" | "sold"
                    )
            })
            .max_by(|&&a, &&b| p[a].total_cmp(&p[b]))
            .map(|&i| to[i].clone());
        match first {
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
        }
    }

    fn loss_distribution(&self) -> String {
        let (Ok(ncl), Ok(var), Ok(es)) = (
            figure(self.folder, "net_credit_loss"),
            self.tail(0.99, "var"),
            self.tail(0.99, "expected_shortfall"),
        ) else {
            return "Net credit loss on each path; `paths.csv` holds them.".into();
        };
        format!(
            "Net credit loss averages {} across paths, 90% of paths between {} and {}; the 99% VaR is {} and the expected shortfall beyond it {}.",
            group_thousands(ncl.mean, 0),
            group_thousands(ncl.p5, 0),
            group_thousands(ncl.p95, 0),
            group_thousands(var, 0),
            group_thousands(es, 0)
        )
    }

    fn tail(&self, level: f64, field: &str) -> Result<f64, FolderError> {
        let tails = self.folder.get("net_credit_loss_tail")?;
        tails
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t.get("level").and_then(|v| v.as_f64()) == Some(level))
            .and_then(|t| t.get(field))
            .and_then(|v| v.as_f64())
            .ok_or_else(|| FolderError::Field {
                path: self.folder.dir.join("summary.json"),
                field: format!("net_credit_loss_tail.{field}"),
            })
    }

    fn loss_tail(&self) -> String {
        let worst = self
            .folder
            .table_if_present("paths")
            .ok()
            .flatten()
            .and_then(|t| t.f64s("net_credit_loss").ok())
            .and_then(|v| {
                v.into_iter()
                    .filter(|x| x.is_finite())
                    .max_by(f64::total_cmp)
            });
        match (
            worst,
            figure(self.folder, "net_credit_loss"),
            self.tail(0.999, "var"),
        ) {
            (Some(worst), Ok(ncl), Ok(var)) => format!(
                "The worst path loses {}, {} above the mean; the 99.9% VaR is {}.",
                group_thousands(worst, 0),
                percent(worst / ncl.mean - 1.0, 1),
                group_thousands(var, 0)
            ),
            _ => "The same distribution with a logarithmic count axis, so single tail paths show."
                .into(),
        }
    }

    fn write_offs(&self, horizon: f64) -> String {
        let fallback =
            "Gross and net write-offs by month; `write_offs.csv` holds them.".to_string();
        let Some(t) = &self.write_offs else {
            return fallback;
        };
        let (Ok(month), Ok(segment), Ok(net), Ok(p5), Ok(p95), Ok(cum)) = (
            t.f64s("month"),
            t.strs("segment"),
            t.f64s("net_write_offs"),
            t.f64s("net_write_offs_p5"),
            t.f64s("net_write_offs_p95"),
            t.f64s("cumulative_net_write_offs"),
        ) else {
            return fallback;
        };
        let all: Vec<usize> = (0..t.len()).filter(|&i| segment[i] == "all").collect();
        let Some(&peak) = all.iter().max_by(|&&a, &&b| net[a].total_cmp(&net[b])) else {
            return fallback;
        };
        if net[peak] <= 0.0 {
            return "Nothing is written off within the horizon.".into();
        }
        let last = all.last().map_or(f64::NAN, |&i| cum[i]);
        format!(
            "Net write-offs peak in month {} at {} (90% of paths between {} and {}); cumulative net write-offs reach {} by month {}.",
            month[peak],
            group_thousands(net[peak], 0),
            group_thousands(p5[peak], 0),
            group_thousands(p95[peak], 0),
            group_thousands(last, 0),
            horizon
        )
    }

    fn vintages(&self) -> String {
        let fallback = "Cumulative write-offs of each vintage by months on book; `vintage_curves.csv` holds them.".to_string();
        let Ok(Some(t)) = self.folder.table_if_present("vintage_curves") else {
            return fallback;
        };
        let (Ok(vintage), Ok(mob), Ok(rate)) = (
            t.strs("vintage"),
            t.f64s("months_on_book"),
            t.f64s("cumulative_gross_write_off_rate"),
        ) else {
            return fallback;
        };
        // The last row of each vintage is its furthest point.
        let mut last: Vec<(String, f64, f64)> = Vec::new();
        for i in 0..t.len() {
            match last.iter_mut().find(|(v, _, _)| *v == vintage[i]) {
                Some(entry) if mob[i] >= entry.1 => *entry = (vintage[i].clone(), mob[i], rate[i]),
                Some(_) => {}
                None => last.push((vintage[i].clone(), mob[i], rate[i])),
            }
        }
        let worst = last
            .iter()
            .filter(|x| x.2.is_finite())
            .max_by(|a, b| a.2.total_cmp(&b.2));
        match worst {
            Some((v, m, r)) => format!(
                "Of {} vintages, `{v}` writes off the most: {} of its starting balance by {} months on book.",
                last.len(),
                percent(*r, 2),
                m
            ),
            None => fallback,
        }
    }

    fn convergence(&self, paths: f64) -> String {
        let fallback = "Estimates as paths accumulate; `convergence.csv` holds them.".to_string();
        let Ok(Some(t)) = self.folder.table_if_present("convergence") else {
            return fallback;
        };
        let (Ok(n), Ok(measure), Ok(est), Ok(lo), Ok(hi)) = (
            t.f64s("paths"),
            t.strs("measure"),
            t.f64s("estimate"),
            t.f64s("ci_low"),
            t.f64s("ci_high"),
        ) else {
            return fallback;
        };
        let last = |m: &str| {
            (0..t.len())
                .filter(|&i| measure[i] == m)
                .max_by(|&a, &b| n[a].total_cmp(&n[b]))
        };
        match (last("expected_loss"), last("var_99")) {
            (Some(e), Some(v)) => format!(
                "After all {} paths the expected loss is {} (95% interval {} – {}) and the 99% VaR {} ({} – {}); the VaR's interval is {} times as wide relative to its level.",
                group_thousands(paths, 0),
                group_thousands(est[e], 0),
                group_thousands(lo[e], 0),
                group_thousands(hi[e], 0),
                group_thousands(est[v], 0),
                group_thousands(lo[v], 0),
                group_thousands(hi[v], 0),
                ratio((hi[v] - lo[v]) / est[v], (hi[e] - lo[e]) / est[e]),
            ),
            _ => fallback,
        }
    }

    fn recovery_curve(&self) -> String {
        let fallback =
            "Cumulative recovery rate by months since default; `recovery_curve.csv` holds it."
                .to_string();
        let Ok(Some(t)) = self.folder.table_if_present("recovery_curve") else {
            return fallback;
        };
        let (Ok(months), Ok(rate)) = (
            t.f64s("months_since_default"),
            t.f64s("cumulative_recovery_rate"),
        ) else {
            return fallback;
        };
        let at = |m: f64| months.iter().position(|&x| x == m).map(|i| rate[i]);
        let (Some(&last_month), Some(&last_rate)) = (months.last(), rate.last()) else {
            return fallback;
        };
        match at(12.0) {
            Some(r12) if last_month > 12.0 => format!(
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
        }
    }

    fn recovery_table(&self) -> Option<Table> {
        let t = self.folder.table_if_present("recovery_by_group").ok()??;
        let (dim, group, defaults, ead, rr, rr_se, lgd, lgd_se) = (
            t.strs("dimension").ok()?,
            t.strs("group").ok()?,
            t.f64s("defaults").ok()?,
            t.f64s("exposure_at_default").ok()?,
            t.f64s("recovery_rate").ok()?,
            t.f64s("recovery_rate_se").ok()?,
            t.f64s("loss_given_default").ok()?,
            t.f64s("loss_given_default_se").ok()?,
        );
        let rows = (0..t.len())
            .filter(|&i| dim[i] != "vintage")
            .map(|i| {
                vec![
                    dim[i].replace('_', " "),
                    group[i].clone(),
                    group_thousands(defaults[i], 0),
                    group_thousands(ead[i], 0),
                    format!("{} ± {}", percent(rr[i], 2), percent(rr_se[i], 3)),
                    format!("{} ± {}", percent(lgd[i], 2), percent(lgd_se[i], 3)),
                ]
            })
            .collect();
        Some(Table {
            caption:
                "Recovery by segment and stage at default (means per path; vintages in the file)"
                    .into(),
            header: [
                "Dimension",
                "Group",
                "Defaults",
                "Exposure at default",
                "Recovery rate",
                "Loss given default",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            numeric: vec![false, false, true, true, true, true],
            files: vec!["recovery_by_group.csv".into()],
        })
    }

    fn disposition(&self) -> String {
        let fallback = "Value per unit of face of each disposition at each sale point; `disposition.csv` holds them.".to_string();
        let Some(t) = self.decisions() else {
            return fallback;
        };
        let parts: Vec<String> = t
            .iter()
            .map(|d| {
                format!(
                    "at {} {} is best ({:.1} cents per unit of face, {:.1} ± {:.1} ahead of {})",
                    d.point,
                    d.best.replace('_', " "),
                    100.0 * d.value,
                    100.0 * d.lead,
                    100.0 * d.lead_se,
                    d.runner_up.replace('_', " ")
                )
            })
            .collect();
        if parts.is_empty() {
            return fallback;
        }
        let mut s = parts.join("; ");
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s.push('.');
        s
    }

    /// The whole book's decision at each sale point.
    fn decisions(&self) -> Option<Vec<Decision>> {
        let t = self
            .folder
            .table_if_present("disposition_decision")
            .ok()??;
        let (point, segment, best, value, runner, lead, lead_se) = (
            t.strs("sale_point").ok()?,
            t.strs("segment").ok()?,
            t.strs("best").ok()?,
            t.f64s("best_value_per_face").ok()?,
            t.strs("runner_up").ok()?,
            t.f64s("lead_per_face").ok()?,
            t.f64s("lead_per_face_se").ok()?,
        );
        Some(
            (0..t.len())
                .filter(|&i| segment[i] == "all")
                .map(|i| Decision {
                    point: point[i].clone(),
                    best: best[i].clone(),
                    value: value[i],
                    runner_up: runner[i].clone(),
                    lead: lead[i],
                    lead_se: lead_se[i],
                })
                .collect(),
        )
    }

    fn decision_table(&self) -> Option<Table> {
        let rows: Vec<Vec<String>> = self
            .decisions()?
            .into_iter()
            .map(|d| {
                vec![
                    d.point,
                    d.best.replace('_', " "),
                    format!("{:.2}", 100.0 * d.value),
                    d.runner_up.replace('_', " "),
                    format!("{:.2} ± {:.2}", 100.0 * d.lead, 100.0 * d.lead_se),
                ]
            })
            .collect();
        (!rows.is_empty()).then(|| Table {
            caption:
                "Best disposition at each sale point, whole book (cents per unit of face value)"
                    .into(),
            header: ["Sale point", "Best", "Value", "Runner-up", "Lead ± se"]
                .map(String::from)
                .to_vec(),
            rows,
            numeric: vec![false, false, true, false, true],
            files: vec!["disposition_decision.csv".into(), "disposition.csv".into()],
        })
    }

    fn buyer(&self) -> String {
        let fallback =
            "The price a debt buyer can pay against its hurdle rate; `buyer_pricing.csv` holds it."
                .to_string();
        let Ok(Some(t)) = self.folder.table_if_present("buyer_pricing") else {
            return fallback;
        };
        let (Ok(point), Ok(fair), Ok(bid), Ok(quoted)) = (
            t.strs("sale_point"),
            t.f64s("fair_price"),
            t.f64s("bid"),
            t.f64s("quoted_price"),
        ) else {
            return fallback;
        };
        if t.is_empty() {
            return fallback;
        }
        let parts: Vec<String> = (0..t.len())
            .map(|i| {
                format!(
                    "{} {:.1} (bid {:.1})",
                    point[i],
                    100.0 * fair[i],
                    100.0 * bid[i]
                )
            })
            .collect();
        format!(
            "At its hurdle rate the buyer can pay, in cents per unit of face: {}; the quoted price is {:.1}.",
            parts.join(", "),
            100.0 * quoted[0]
        )
    }
}

/// The best disposition at a sale point (values per unit of face).
struct Decision {
    point: String,
    best: String,
    value: f64,
    runner_up: String,
    lead: f64,
    lead_se: f64,
}

/// `a / b` as `2.5`, or `n/a`.
fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.1}", a / b)
    } else {
        "n/a".into()
    }
}

// ---------------------------------------------------------------------------------------------
// A stress set's top folder

/// The report of a stress set: the comparison, its charts, and links to each scenario.
pub fn stress_document(folder: &ResultFolder) -> Result<Document, ReportError> {
    let title = folder.str("display/title");
    let name = title
        .or_else(|_| folder.str("manifest/scenario_name"))?
        .to_string();
    let mut blocks = vec![Block::Warnings(warnings(folder))];
    blocks.push(heading("comparison", "Stress scenarios compared"));
    let t = folder.table("stress_comparison")?;
    let scenario = t.strs("scenario")?;
    let weight = t.strs("weight")?;
    let el = t.f64s("expected_loss")?;
    let el_se = t.f64s("expected_loss_se")?;
    let var = t.f64s("var_99")?;
    let es = t.f64s("es_99")?;
    let rr = t.f64s("recovery_rate")?;
    let rows: Vec<Vec<String>> = (0..t.len())
        .map(|i| {
            vec![
                format!("`{}`", scenario[i]),
                if weight[i].is_empty() {
                    "–".into()
                } else {
                    weight[i].clone()
                },
                format!(
                    "{} ± {}",
                    group_thousands(el[i], 0),
                    group_thousands(el_se[i], 0)
                ),
                group_thousands(var[i], 0),
                group_thousands(es[i], 0),
                percent(rr[i], 2),
            ]
        })
        .collect();
    let named: Vec<usize> = (0..t.len())
        .filter(|&i| scenario[i] != "weighted")
        .collect();
    if let Some(&worst) = named.iter().max_by(|&&a, &&b| el[a].total_cmp(&el[b]))
        && let Some(&base) = named.iter().min_by(|&&a, &&b| el[a].total_cmp(&el[b]))
    {
        blocks.push(Block::Paragraph(format!(
            "Expected net credit loss ranges from {} under `{}` to {} under `{}` ({} times as much). All scenarios share random numbers path by path, so their differences are not Monte Carlo noise.",
            group_thousands(el[base], 0),
            scenario[base],
            group_thousands(el[worst], 0),
            scenario[worst],
            ratio(el[worst], el[base]),
        )));
    }
    blocks.push(Block::Table(Table {
        caption: "Net credit loss by scenario".into(),
        header: [
            "Scenario",
            "Weight",
            "Expected loss ± se",
            "99% VaR",
            "99% ES",
            "Recovery rate",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        numeric: vec![false, true, true, true, true, true],
        files: vec!["stress_comparison.csv".into()],
    }));
    let var_reading = named
        .iter()
        .map(|&i| format!("{} under `{}`", group_thousands(var[i], 0), scenario[i]))
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
    for name in stress_scenarios(folder)? {
        let sub = ResultFolder::open(&folder.dir.join(&name))?;
        if let Some(w) = sub.table_if_present("write_offs")? {
            let (segment, cum) = (w.strs("segment")?, w.f64s("cumulative_net_write_offs")?);
            if let Some(i) = (0..w.len()).rev().find(|&i| segment[i] == "all") {
                ends.push(format!("{} under `{name}`", group_thousands(cum[i], 0)));
            }
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
    blocks.push(heading("scenarios", "Each scenario's report"));
    blocks.push(Block::Links(
        stress_scenarios(folder)?
            .into_iter()
            .map(|s| (format!("`{s}`"), format!("{s}/report.html")))
            .collect(),
    ));
    blocks.extend(scenario_blocks(folder)?);
    blocks.push(heading("files", "Files"));
    blocks.push(Block::Table(files_table(&folder.dir)?));
    Ok(Document {
        title: format!("{name}: stress set report"),
        subtitle: subtitle(folder)?,
        blocks,
        footer: footer(folder),
    })
}
