//! The scenario file as written: serde types that mirror the TOML one to one, with the span of
//! every value that validation may need to point at. Nothing here is checked beyond types;
//! `validate` turns these into the model.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

pub type Row = IndexMap<Spanned<String>, Spanned<f64>>;
pub type Rows = IndexMap<Spanned<String>, Spanned<Row>>;
pub type RawStages = IndexMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub version: Spanned<i64>,
    pub simulation: RawSimulation,
    pub states: RawStates,
    #[serde(default)]
    pub stages: RawStages,
    pub charge_off: Option<Spanned<RawChargeOff>>,
    #[serde(default)]
    pub money: RawMoney,
    pub book: Spanned<RawBook>,
    pub segments: Spanned<IndexMap<Spanned<String>, Spanned<RawSegment>>>,
    #[serde(default)]
    pub actions: Vec<Spanned<RawAction>>,
    pub recovery: Option<Spanned<RawRecovery>>,
    pub debt_sale: Option<Spanned<RawDebtSale>>,
    #[serde(rename = "default")]
    pub default_definition: Option<Spanned<RawDefault>>,
    pub disposition: Option<Spanned<RawDisposition>>,
    pub systematic: Option<Spanned<RawSystematic>>,
    #[serde(default)]
    pub stress: Vec<Spanned<RawStress>>,
    pub sweep: Option<Spanned<RawSweep>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    #[serde(default)]
    pub vary: Vec<Spanned<RawVary>>,
    pub combine: Option<Spanned<String>>,
    pub reference: Option<Spanned<i64>>,
    pub figures: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVary {
    pub key: Spanned<String>,
    pub values: Option<Spanned<Vec<toml::Value>>>,
    pub from: Option<Spanned<toml::Value>>,
    pub to: Option<Spanned<toml::Value>>,
    pub step: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSystematic {
    pub factor: Option<Spanned<String>>,
    pub persistence: Option<Spanned<f64>>,
    pub asset_correlation: Option<Spanned<f64>>,
    pub recovery_correlation: Option<Spanned<f64>>,
    pub importance_shift: Option<Spanned<f64>>,
    pub z_shift: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStress {
    pub name: Spanned<String>,
    pub weight: Option<Spanned<f64>>,
    /// A number (every month) or an array by month.
    pub z_shift: Option<Spanned<toml::Value>>,
    pub roll_multiplier: Option<Spanned<toml::Value>>,
    pub cure_multiplier: Option<Spanned<toml::Value>>,
    pub recovery_multiplier: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefault {
    pub definition: Spanned<String>,
    pub dpd: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisposition {
    pub sale_points_dpd: Spanned<Vec<Spanned<i64>>>,
    pub discount_rate: Option<Spanned<f64>>,
    pub bid_confidence: Option<Spanned<f64>>,
    pub agency: Option<Spanned<RawPlacement>>,
    pub sale: Option<Spanned<RawSale>>,
    pub buyer: Option<Spanned<RawBuyer>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    pub commission: Spanned<f64>,
    pub curve: Spanned<Vec<Spanned<f64>>>,
    pub payment_probability: Option<Spanned<f64>>,
    pub recall_after_months: Spanned<i64>,
    pub second_placement: Option<Spanned<Box<RawPlacement>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSale {
    /// A number (price per unit of face) or `"buyer"`.
    pub price: Spanned<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuyer {
    pub curve: Spanned<Vec<Spanned<f64>>>,
    pub payment_probability: Option<Spanned<f64>>,
    pub cost_share: Option<Spanned<f64>>,
    pub hurdle_rate: Spanned<f64>,
    pub quoted_price: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub name: Spanned<String>,
    pub paths: Spanned<i64>,
    pub horizon_months: Spanned<i64>,
    pub seed: Spanned<i64>,
    pub threads: Option<Spanned<i64>>,
    pub discount_rate: Option<Spanned<f64>>,
    pub parameter_uncertainty: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    /// Title of charts and reports; default the name.
    pub title: Option<Spanned<String>>,
    /// Currency code or symbol for axis titles, e.g. `"£"` or `"EUR"`.
    pub currency: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStates {
    pub buckets: Spanned<Vec<Spanned<RawBucket>>>,
    /// Display names of states for charts and reports, by state name.
    pub labels: Option<Spanned<IndexMap<Spanned<String>, Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBucket {
    pub name: Spanned<String>,
    pub min_dpd: Spanned<i64>,
    pub max_dpd: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChargeOff {
    pub dpd: Option<Spanned<i64>>,
    pub state: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMoney {
    pub accrue_interest_while_overdue: Option<bool>,
    pub late_fee: Option<Spanned<f64>>,
    pub unlock_on_cure: Option<bool>,
    pub partial_payments: Option<Spanned<RawPartialPayments>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPartialPayments {
    pub probability: Spanned<f64>,
    pub share_alpha: Spanned<f64>,
    pub share_beta: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBook {
    pub source: Spanned<String>,
    pub path: Option<Spanned<String>>,
    pub cells: Option<Spanned<RawCells>>,
}

/// `[book.cells]`: count mode's bucketing rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCells {
    pub balance_width: Option<Spanned<f64>>,
    pub apr_width: Option<Spanned<f64>>,
    pub credit_limit_width: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSegment {
    pub product: Option<Spanned<String>>,
    pub asset_correlation: Option<Spanned<f64>>,
    pub draw_rate: Option<Spanned<f64>>,
    pub min_payment_rate: Option<Spanned<f64>>,
    pub book: Option<Spanned<RawSyntheticBook>>,
    pub transitions: Spanned<Rows>,
    /// Dirichlet parameters of each row's estimation posterior (written by calibration).
    pub transitions_posterior: Option<Spanned<Rows>>,
    #[serde(default)]
    pub transitions_by_month_on_book: Vec<Spanned<RawMobOverride>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMobOverride {
    pub months_on_book: Spanned<Vec<Spanned<i64>>>,
    pub rows: Spanned<Rows>,
    pub rows_posterior: Option<Spanned<Rows>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSyntheticBook {
    pub loans: Spanned<i64>,
    pub balance: Spanned<RawBalance>,
    pub apr: Spanned<f64>,
    pub term_months: Spanned<i64>,
    pub months_on_book: Option<Spanned<Vec<Spanned<i64>>>>,
    pub credit_limit_ratio: Option<Spanned<f64>>,
    pub initial_states: Option<Spanned<Row>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBalance {
    pub distribution: Spanned<String>,
    pub value: Option<Spanned<f64>>,
    pub min: Option<Spanned<f64>>,
    pub max: Option<Spanned<f64>>,
    pub mean: Option<Spanned<f64>>,
    pub sd: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    pub name: Spanned<String>,
    pub stage: Spanned<String>,
    pub cost_per_account: Spanned<f64>,
    pub cure_multiplier: Option<Spanned<f64>>,
    pub roll_multiplier: Option<Spanned<f64>>,
    pub segments: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecovery {
    pub curve: Spanned<Vec<Spanned<f64>>>,
    pub payment_probability: Option<Spanned<f64>>,
    pub cost_share: Option<Spanned<f64>>,
    pub cost_per_account: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDebtSale {
    pub trigger: Spanned<String>,
    pub state: Option<Spanned<String>>,
    pub months: Option<Spanned<i64>>,
    pub month: Option<Spanned<i64>>,
    pub price: Spanned<f64>,
}
