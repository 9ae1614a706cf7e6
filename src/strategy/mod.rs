//! The best collection strategy (`arrears optimise`), with no IO: which of the scenario's
//! collection actions to switch on in each (segment, stage) so that the book's expected
//! present value of collections net of costs is largest, within a monthly budget.
//!
//! - [`exact`]: the expected value of a policy, computed without simulation by propagating
//!   each group of like loans' distribution over the chain month by month, with the expected
//!   balance and instalment carried beside each state's probability (the money rules are
//!   affine in them). [`Valuation`] says what the value counts.
//! - [`search`]: every policy of each segment valued, the efficient frontier (the upper
//!   concave hull of value against monthly spend, merged over segments by slope), and the
//!   policy a budget buys (the Lagrange multiplier on the budget is the slope where it binds).
//! - [`confirm`]: the Monte Carlo check on common random numbers: each path's value from its
//!   timeline, the champion/challenger difference with its paired standard error, and the
//!   size of a live test that would detect it.
//!
//! Deliberately absent: agency placement and debt sale as per-stage choices (the scenario's
//! own `[debt_sale]` applies to every policy), revolving products, stress sets, posterior
//! draws and the systematic factor (the exact values are of the stated matrices). The command
//! refuses such scenarios with a [`StrategyError`] rather than value them wrongly.
//! docs/DECISIONS.md explains the method and what is exact.

pub mod confirm;
pub mod exact;
pub mod search;

pub use exact::{Group, SegmentValue, Valuation, group_book};
pub use search::{Frontier, FrontierPoint, Plan, SegmentChoice, SegmentPolicies};

use crate::model::{CollectionAction, Model, Product};

/// Most policies one segment may have (the product over its stages of 2^actions): 2^16.
pub const MAX_POLICIES_PER_SEGMENT: usize = 1 << 16;

/// Why a strategy cannot be searched for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StrategyError {
    #[error("the scenario has no `[[actions]]`: there is no collection strategy to choose")]
    NoActions,
    #[error("the budget `{budget}` is negative")]
    NegativeBudget { budget: f64 },
    #[error(
        "the budget `{budget}` per month is below the cheapest policy's expected spend, `{cheapest}` per month"
    )]
    BudgetTooSmall { budget: f64, cheapest: f64 },
    #[error("segment `{segment}` is revolving; `optimise` values instalment loans only")]
    Revolving { segment: String },
    #[error("`optimise` does not support {what}")]
    Unsupported { what: String },
    #[error("segment `{segment}` has {policies} candidate policies, more than {max}")]
    TooManyPolicies {
        segment: String,
        policies: usize,
        max: usize,
    },
    #[error(transparent)]
    Actions(#[from] crate::model::ActionError),
}

impl StrategyError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            StrategyError::NoActions => "add `[[actions]]` with a `name`, `stage` and `cost_per_account` (docs/SCENARIOS.md, section 3)".into(),
            StrategyError::NegativeBudget { .. } => "give `--budget` as the most to spend on collection actions per month, e.g. `--budget 50000`; leave it out for no limit".into(),
            StrategyError::BudgetTooSmall { cheapest, .. } => format!("raise `--budget` to at least `{cheapest:.2}` (every action off costs nothing, so this is the spend of actions no policy can switch off)"),
            StrategyError::Revolving { .. } => "run `arrears run` with each strategy and `arrears compare` the folders".into(),
            StrategyError::Unsupported { .. } => "remove it for the search (e.g. with `--set`), or compare strategies with `arrears run` and `arrears compare`".into(),
            StrategyError::TooManyPolicies { .. } => "give fewer actions per stage, or restrict actions to segments with `segments = [...]`".into(),
            StrategyError::Actions(_) => "lower the action's `cure_multiplier` or `roll_multiplier` so the row keeps room".into(),
        }
    }
}

/// Checks that the scenario's model is one the exact values hold for.
pub fn check_model(model: &Model) -> Result<(), StrategyError> {
    if model.actions.is_empty() {
        return Err(StrategyError::NoActions);
    }
    if let Some(seg) = model
        .segments
        .iter()
        .find(|s| matches!(s.product, Product::Revolving { .. }))
    {
        return Err(StrategyError::Revolving {
            segment: seg.name.clone(),
        });
    }
    let unsupported = [
        (!model.stress.is_empty(), "a stress set (`[[stress]]`)"),
        (
            model.systematic.is_some(),
            "a systematic factor (`[systematic]`)",
        ),
        (model.draw_posterior, "posterior draws of the matrices"),
    ];
    if let Some((_, what)) = unsupported.iter().find(|(on, _)| *on) {
        return Err(StrategyError::Unsupported {
            what: (*what).to_string(),
        });
    }
    Ok(())
}

/// The candidate actions of one (segment, stage): indices into [`Model::actions`].
pub fn candidates(model: &Model, segment: usize, stage: usize) -> Vec<usize> {
    model
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.stage == stage && a.applies_to(segment))
        .map(|(i, _)| i)
        .collect()
}

/// A whole book's policy: for each segment, the actions switched on (indices into the
/// scenario's [`Model::actions`], each applying to the segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookPolicy {
    pub on: Vec<Vec<usize>>,
}

impl BookPolicy {
    /// The scenario's own strategy: every action where it applies.
    pub fn champion(model: &Model) -> BookPolicy {
        BookPolicy {
            on: (0..model.segments.len())
                .map(|s| {
                    (0..model.actions.len())
                        .filter(|&a| model.actions[a].applies_to(s))
                        .collect()
                })
                .collect(),
        }
    }

    /// The model that follows this policy: each action of the scenario kept for the segments
    /// that switch it on, dropped where none does.
    pub fn model(&self, base: &Model) -> Model {
        let mut model = base.clone();
        model.actions = base
            .actions
            .iter()
            .enumerate()
            .filter_map(|(a, action)| {
                let segments: Vec<usize> = (0..base.segments.len())
                    .filter(|&s| self.on[s].contains(&a))
                    .collect();
                (!segments.is_empty()).then(|| CollectionAction {
                    segments: Some(segments),
                    ..action.clone()
                })
            })
            .collect();
        model
    }

    /// `segment: early sms_reminders+calls, mid none, ...` per segment, `; `-separated.
    pub fn describe(&self, model: &Model) -> String {
        (0..model.segments.len())
            .map(|s| {
                format!(
                    "{}: {}",
                    model.segments[s].name,
                    describe_segment(model, s, &self.on[s])
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `early sms_reminders+calls, mid none, late pre_write_off_letters_and_calls`: the actions
/// `on` in each stage that has candidates for `segment`.
pub fn describe_segment(model: &Model, segment: usize, on: &[usize]) -> String {
    model
        .space
        .stages
        .iter()
        .enumerate()
        .filter(|(stage, _)| !candidates(model, segment, *stage).is_empty())
        .map(|(stage, st)| {
            let names: Vec<&str> = on
                .iter()
                .filter(|&&a| model.actions[a].stage == stage)
                .map(|&a| model.actions[a].name.as_str())
                .collect();
            let names = if names.is_empty() {
                "none".to_string()
            } else {
                names.join("+")
            };
            format!("{} {names}", st.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::simple_model;

    #[test]
    fn refuses_what_it_cannot_value() {
        let mut model = simple_model();
        assert_eq!(check_model(&model), Err(StrategyError::NoActions));
        model.actions.push(CollectionAction {
            name: "calls".into(),
            stage: 0,
            cost_per_account: 1.0,
            cure_multiplier: 1.1,
            roll_multiplier: 1.0,
            segments: None,
        });
        assert_eq!(check_model(&model), Ok(()));
        model.segments[0].product = Product::Revolving {
            draw_rate: 0.1,
            min_payment_rate: 0.05,
        };
        assert!(matches!(
            check_model(&model),
            Err(StrategyError::Revolving { .. })
        ));
        model.segments[0].product = Product::Instalment;
        model.draw_posterior = true;
        assert!(matches!(
            check_model(&model),
            Err(StrategyError::Unsupported { .. })
        ));
    }

    #[test]
    fn a_policy_model_keeps_each_action_where_chosen() {
        let mut model = simple_model();
        model.segments.push(model.segments[0].clone());
        model.segments[1].name = "other".into();
        model.actions.push(CollectionAction {
            name: "calls".into(),
            stage: 0,
            cost_per_account: 1.0,
            cure_multiplier: 1.1,
            roll_multiplier: 1.0,
            segments: None,
        });
        let policy = BookPolicy {
            on: vec![vec![0], vec![]],
        };
        let m = policy.model(&model);
        assert_eq!(m.action_cost(0, 1), 1.0);
        assert_eq!(m.action_cost(1, 1), 0.0);
        assert_eq!(BookPolicy::champion(&model).on, vec![vec![0], vec![0]]);
        assert_eq!(
            policy.describe(&model),
            "all: early calls; other: early none"
        );
    }
}
