//! `calibration.json`: what `arrears calibrate` found, in one file for programs: the data and
//! mapping read (with their SHA-256), the method and options, how many matrix rows came from
//! the data, pooling or nowhere, the data quality issues, the homogeneity tests, the recovery
//! and charge-off timing summaries and the starting book.

use serde::Serialize;

use super::calibration_rows::{band_label, shown_rows};
use crate::calibrate::Calibration;
use crate::calibrate::estimate::{HomogeneityTest, RowSource};
use crate::calibrate::mapping::{Fallback, Method};
use crate::model::StateId;

#[derive(Serialize)]
struct JsonFile<'a> {
    arrears_version: &'static str,
    data: JsonData<'a>,
    mapping: JsonMapping,
    method: &'static str,
    confidence: f64,
    min_loans: u64,
    fallback: &'static str,
    months_on_book_bands: Vec<String>,
    segments: JsonSegments,
    warnings: &'a [String],
    data_quality: Vec<JsonQuality<'a>>,
    homogeneity_tests: Vec<JsonTest<'a>>,
    recovery: Option<JsonRecovery>,
    charge_off_timing: Option<JsonTiming<'a>>,
    starting_book: Vec<JsonBook<'a>>,
}

#[derive(Serialize)]
struct JsonData<'a> {
    file: String,
    sha256: &'a str,
    rows_read: u64,
    rows_used: u64,
    loans: u64,
    first_month: &'a str,
    last_month: &'a str,
    months: u32,
    start_month: &'a str,
}

#[derive(Serialize)]
struct JsonMapping {
    file: String,
    sha256: String,
}

/// How many segments, and how many matrix rows came from each source.
#[derive(Serialize)]
struct JsonSegments {
    count: usize,
    names: Vec<String>,
    matrices: usize,
    rows_from_data: usize,
    rows_pooled: usize,
    rows_without_data: usize,
}

#[derive(Serialize)]
struct JsonQuality<'a> {
    issue: &'a str,
    count: u64,
    example: Option<&'a str>,
    handling: &'a str,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    segment: &'a str,
    grouping: &'a str,
    groups: usize,
    statistic: f64,
    df: f64,
    p_value: f64,
    reading: String,
}

#[derive(Serialize)]
struct JsonRecovery {
    payment_probability: f64,
    curve_months: usize,
    accounts_followed_over_curve: u64,
    charged_off_accounts: u64,
    charged_off_balance: f64,
    recovered: f64,
    cumulative_share: f64,
}

#[derive(Serialize)]
struct JsonTiming<'a> {
    accounts: u64,
    mean_months: f64,
    median_months: f64,
    implied_mean_months: Vec<JsonImplied<'a>>,
}

#[derive(Serialize)]
struct JsonImplied<'a> {
    segment: &'a str,
    months: Option<f64>,
}

#[derive(Serialize)]
struct JsonBook<'a> {
    segment: &'a str,
    loans: u64,
    balance_mean: f64,
    balance_sd: f64,
    months_on_book: [u32; 2],
    /// Share of the segment's loans in each on-book state, in state order.
    states: indexmap::IndexMap<&'a str, f64>,
}

/// `cohort` or `duration`.
pub fn method_name(method: Method) -> &'static str {
    match method {
        Method::Cohort => "cohort",
        Method::Duration => "duration",
    }
}

/// `calibration.json`'s text; `reading` says in words what a homogeneity test found.
pub fn calibration_json(cal: &Calibration, reading: impl Fn(&HomogeneityTest) -> String) -> String {
    let space = &cal.mapping.space;
    let options = &cal.mapping.estimate;
    let rows = || {
        cal.segments
            .iter()
            .flat_map(|s| &s.matrices)
            .flat_map(shown_rows)
    };
    let count_source = |source| rows().filter(|r| r.source == source).count();
    let file = JsonFile {
        arrears_version: env!("CARGO_PKG_VERSION"),
        data: JsonData {
            file: cal.data.path.display().to_string(),
            sha256: &cal.data.sha256,
            rows_read: cal.data.rows_read,
            rows_used: cal.data.rows_used,
            loans: cal.data.loans,
            first_month: &cal.data.first_month,
            last_month: &cal.data.last_month,
            months: cal.data.months,
            start_month: &cal.data.start_month,
        },
        mapping: JsonMapping {
            file: cal.mapping.file.display().to_string(),
            sha256: cal.mapping.sha256.clone(),
        },
        method: method_name(options.method),
        confidence: options.confidence,
        min_loans: options.min_loans,
        fallback: match options.fallback {
            Fallback::Pool => "pool",
            Fallback::None => "none",
        },
        months_on_book_bands: options
            .months_on_book
            .iter()
            .map(|&b| band_label(Some(b)))
            .collect(),
        segments: JsonSegments {
            count: cal.segments.len(),
            names: cal.segments.iter().map(|s| s.name.clone()).collect(),
            matrices: cal.segments.iter().map(|s| s.matrices.len()).sum(),
            rows_from_data: count_source(RowSource::Data),
            rows_pooled: count_source(RowSource::Pooled),
            rows_without_data: count_source(RowSource::NoData),
        },
        warnings: &cal.warnings,
        data_quality: cal
            .quality
            .iter()
            .map(|q| JsonQuality {
                issue: q.what,
                count: q.count,
                example: q.example.as_deref(),
                handling: q.handling,
            })
            .collect(),
        homogeneity_tests: cal
            .tests
            .iter()
            .map(|t| JsonTest {
                segment: &t.segment,
                grouping: &t.grouping,
                groups: t.groups,
                statistic: t.statistic,
                df: t.df,
                p_value: t.p_value,
                reading: reading(t),
            })
            .collect(),
        recovery: cal.recovery.as_ref().map(|r| JsonRecovery {
            payment_probability: r.payment_probability,
            curve_months: r.curve.len(),
            accounts_followed_over_curve: r.accounts_full,
            charged_off_accounts: r.charged_off_accounts,
            charged_off_balance: r.charged_off_balance,
            recovered: r.recovered,
            cumulative_share: r.curve.iter().sum(),
        }),
        charge_off_timing: cal.charge_off_timing.as_ref().map(|t| JsonTiming {
            accounts: t.histogram.iter().sum(),
            mean_months: t.mean,
            median_months: t.median,
            implied_mean_months: t
                .implied_mean
                .iter()
                .map(|(segment, months)| JsonImplied {
                    segment,
                    months: *months,
                })
                .collect(),
        }),
        starting_book: cal
            .book
            .iter()
            .map(|b| JsonBook {
                segment: &b.segment,
                loans: b.loans,
                balance_mean: b.balance_mean,
                balance_sd: b.balance_sd,
                months_on_book: [b.months_on_book.0, b.months_on_book.1],
                states: space
                    .on_book()
                    .filter(|id| !cal.mapping.charge_off_on_entering.contains(id))
                    .map(|id| (space.name(id), state_share(&b.states, id)))
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&file).expect("plain data serialises") + "\n"
}

/// The share of a book's loans in state `id` (0 when it has none).
pub fn state_share(states: &[(StateId, f64)], id: StateId) -> f64 {
    states
        .iter()
        .find(|(s, _)| *s == id)
        .map_or(0.0, |(_, share)| *share)
}
