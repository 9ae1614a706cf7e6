//! The files `arrears optimise` writes, one row type per table (`policy`, `frontier`,
//! `champion_challenger`, `live_test`) and `summary.json` as [`OptimisationSummaryFile`].

use serde::{Deserialize, Serialize};

use super::table::field;
use super::table::{Field, Table};

/// One candidate action of one (segment, stage), and whether the champion and the chosen
/// policy switch it on.
#[derive(Debug, Clone, Default)]
pub struct PolicyRow {
    pub segment: String,
    pub stage: String,
    pub action: String,
    pub cost_per_account: f64,
    pub cure_multiplier: f64,
    pub roll_multiplier: f64,
    /// Kept on in every policy (`--keep`).
    pub required: bool,
    pub champion: bool,
    pub chosen: bool,
}

impl Table for PolicyRow {
    const STEM: &'static str = "policy";
    const ROW: &'static str =
        "a candidate action of a segment and stage: on in the champion, on in the chosen policy";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "segment" => segment),
            field!(text "stage" => stage),
            field!(text "action" => action),
            field!(f64 "cost_per_account", NonNegative => cost_per_account),
            field!(f64 "cure_multiplier", NonNegative => cure_multiplier),
            field!(f64 "roll_multiplier", NonNegative => roll_multiplier),
            field!(bool "required" => required),
            field!(bool "champion" => champion),
            field!(bool "chosen" => chosen),
        ]
    }
}

/// A policy of the whole book: its expected monthly spend and value.
#[derive(Debug, Clone, Default)]
pub struct FrontierRow {
    /// Number of the policy in this table.
    pub policy: u64,
    /// The actions on, by segment and stage.
    pub description: String,
    pub spend_per_month: f64,
    pub value: f64,
    pub on_frontier: bool,
    pub champion: bool,
    pub chosen: bool,
}

impl Table for FrontierRow {
    const STEM: &'static str = "frontier";
    const ROW: &'static str = "a policy of the book: expected spend per month and value";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u64 "policy" => policy),
            field!(text "description" => description),
            field!(f64 "spend_per_month", NonNegative => spend_per_month),
            field!(f64 "value", Finite => value),
            field!(bool "on_frontier" => on_frontier),
            field!(bool "champion" => champion),
            field!(bool "chosen" => chosen),
        ]
    }
}

/// The champion, the challenger or their difference: the exact value against the Monte Carlo
/// estimate on common random numbers.
#[derive(Debug, Clone, Default)]
pub struct ChampionChallengerRow {
    /// `champion`, `challenger` or `difference` (challenger minus champion).
    pub policy: String,
    pub description: String,
    pub spend_per_month: f64,
    pub exact_value: f64,
    pub mc_value: f64,
    pub mc_value_se: f64,
    /// `(mc_value - exact_value) / mc_value_se`.
    pub z: f64,
}

/// The `policy` column's values.
pub const CHAMPION_CHALLENGER: &[&str] = &["champion", "challenger", "difference"];

impl Table for ChampionChallengerRow {
    const STEM: &'static str = "champion_challenger";
    const ROW: &'static str =
        "the champion, the challenger or their difference: exact value and Monte Carlo estimate";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(choice "policy", CHAMPION_CHALLENGER => policy),
            field!(text "description" => description),
            field!(f64 "spend_per_month", Any => spend_per_month),
            field!(f64 "exact_value", Finite => exact_value),
            field!(f64 "mc_value", Any => mc_value),
            field!(f64 "mc_value_se", Any => mc_value_se),
            field!(f64 "z", Any => z),
        ]
    }
}

/// The size of a live test of challenger against champion lasting `months`.
#[derive(Debug, Clone, Default)]
pub struct LiveTestRow {
    pub months: u32,
    pub difference_per_account: f64,
    pub sd_champion: f64,
    pub sd_challenger: f64,
    /// Null when there is no difference to detect.
    pub accounts_per_arm: f64,
    pub accounts: f64,
}

impl Table for LiveTestRow {
    const STEM: &'static str = "live_test";
    const ROW: &'static str = "a live test's length: the accounts it needs";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u32 "months" => months),
            field!(f64 "difference_per_account", Finite => difference_per_account),
            field!(f64 "sd_champion", Any => sd_champion),
            field!(f64 "sd_challenger", Any => sd_challenger),
            field!(f64 "accounts_per_arm", Any => accounts_per_arm),
            field!(f64 "accounts", Any => accounts),
        ]
    }
}

/// An exact value against its Monte Carlo estimate, in `summary.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub exact: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub mc_mean: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub mc_se: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub z: f64,
}

/// `summary.json` of an optimisation folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimisationSummaryFile {
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub paths: u64,
    pub horizon_months: u32,
    pub loans: u64,
    /// The scenario's annual `discount_rate`; null: undiscounted.
    pub discount_rate: Option<f64>,
    pub currency: String,
    /// Most to spend on collection actions per month; null: no limit.
    pub budget_per_month: Option<f64>,
    /// Value per unit of monthly spend of the next step up the frontier.
    pub lagrange_multiplier: f64,
    pub required_actions: Vec<String>,
    pub champion: String,
    pub challenger: String,
    pub champion_spend_per_month: f64,
    pub challenger_spend_per_month: f64,
    pub champion_value: CheckFile,
    pub challenger_value: CheckFile,
    pub value_gain: CheckFile,
    /// Policies valued, summed over segments.
    pub policies_valued: u64,
    /// Policies of the whole book: the product over segments.
    pub book_policies: u64,
    pub frontier_vertices: u64,
    pub power: f64,
    pub alpha: f64,
    /// Accounts per arm of a live test over the whole horizon; null: nothing to detect.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub live_test_accounts_per_arm: f64,
    pub notes: Vec<String>,
}
