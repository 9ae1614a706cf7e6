//! The state space: `current`, the delinquency buckets named by the scenario, and the three
//! terminal states, plus the stages that group buckets under one collection treatment.
//!
//! Layout is fixed so the engine can index by `StateId` without lookups: index 0 is `current`,
//! then the buckets in ascending days past due, then `paid_off`, `charged_off`, `sold`.

/// Index of a state in [`StateSpace::states`].
pub type StateId = u8;

/// What a state means for the money rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// Paying as scheduled (0 days past due).
    Current,
    /// Overdue; `months_past_due` instalments are in arrears (`ceil(min_dpd / 30)`).
    Delinquent { months_past_due: u32 },
    /// Repaid in full, at term or early. Terminal.
    PaidOff,
    /// Written off. The claim can still pay (post-charge-off recoveries) until sold or collection ends.
    ChargedOff,
    /// Sold to a third-party debt buyer. Terminal.
    Sold,
}

impl StateKind {
    pub fn is_on_book(self) -> bool {
        matches!(self, StateKind::Current | StateKind::Delinquent { .. })
    }
    /// Terminal for the transition matrix: no row, never left through the matrix.
    pub fn is_terminal(self) -> bool {
        !self.is_on_book()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    pub kind: StateKind,
    /// Days-past-due range of a bucket; `(0, Some(0))` for `current`, `None` for terminal states.
    pub dpd: Option<(u32, Option<u32>)>,
    /// Index into [`StateSpace::stages`].
    pub stage: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub states: Vec<StateId>,
}

/// Every state of the scenario, in engine order. Built once by validation.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSpace {
    pub states: Vec<State>,
    pub stages: Vec<Stage>,
}

pub const CURRENT: StateId = 0;
pub const CURRENT_NAME: &str = "current";
pub const PAID_OFF_NAME: &str = "paid_off";
pub const CHARGED_OFF_NAME: &str = "charged_off";
pub const SOLD_NAME: &str = "sold";

/// A delinquency bucket as the scenario states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub name: String,
    pub min_dpd: u32,
    pub max_dpd: Option<u32>,
}

impl StateSpace {
    /// Builds the space from buckets already checked to be ascending and disjoint, and stages
    /// already checked to name existing, distinct buckets.
    pub fn new(buckets: &[Bucket], stages: &[(String, Vec<String>)]) -> StateSpace {
        let mut states = vec![State {
            name: CURRENT_NAME.to_string(),
            kind: StateKind::Current,
            dpd: Some((0, Some(0))),
            stage: None,
        }];
        for bucket in buckets {
            states.push(State {
                name: bucket.name.clone(),
                kind: StateKind::Delinquent {
                    months_past_due: bucket.min_dpd.div_ceil(30).max(1),
                },
                dpd: Some((bucket.min_dpd, bucket.max_dpd)),
                stage: None,
            });
        }
        for (name, kind) in [
            (PAID_OFF_NAME, StateKind::PaidOff),
            (CHARGED_OFF_NAME, StateKind::ChargedOff),
            (SOLD_NAME, StateKind::Sold),
        ] {
            states.push(State {
                name: name.to_string(),
                kind,
                dpd: None,
                stage: None,
            });
        }
        let mut space = StateSpace {
            states,
            stages: Vec::new(),
        };
        for (stage_idx, (name, members)) in stages.iter().enumerate() {
            let ids: Vec<StateId> = members
                .iter()
                .map(|m| space.id(m).expect("stage members are validated"))
                .collect();
            for &id in &ids {
                space.states[id as usize].stage = Some(stage_idx);
            }
            space.stages.push(Stage {
                name: name.clone(),
                states: ids,
            });
        }
        space
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// The stages from least to most overdue (by each stage's least overdue bucket; the
    /// scenario's order among equals).
    pub fn stages_in_delinquency_order(&self) -> impl Iterator<Item = &Stage> {
        let mut stages: Vec<&Stage> = self.stages.iter().collect();
        stages.sort_by_key(|s| s.states.iter().min().copied());
        stages.into_iter()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    pub fn id(&self, name: &str) -> Option<StateId> {
        self.states
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as StateId)
    }

    pub fn kind(&self, id: StateId) -> StateKind {
        self.states[id as usize].kind
    }

    pub fn name(&self, id: StateId) -> &str {
        &self.states[id as usize].name
    }

    pub fn paid_off(&self) -> StateId {
        (self.states.len() - 3) as StateId
    }
    pub fn charged_off(&self) -> StateId {
        (self.states.len() - 2) as StateId
    }
    pub fn sold(&self) -> StateId {
        (self.states.len() - 1) as StateId
    }

    /// Ids of `current` and every bucket: the states with a row in a transition matrix.
    pub fn on_book(&self) -> impl Iterator<Item = StateId> + '_ {
        (0..self.states.len() as StateId).filter(|&id| self.kind(id).is_on_book())
    }

    /// The bucket holding `dpd` days past due (0 maps to `current`).
    pub fn state_for_dpd(&self, dpd: u32) -> Option<StateId> {
        self.states
            .iter()
            .position(|s| match s.dpd {
                Some((lo, hi)) => dpd >= lo && hi.is_none_or(|hi| dpd <= hi),
                None => false,
            })
            .map(|i| i as StateId)
    }

    pub fn stage_name(&self, id: StateId) -> Option<&str> {
        self.states[id as usize]
            .stage
            .map(|s| self.stages[s].name.as_str())
    }

    /// Whether `to` is a worse delinquency than `from` (a roll forward).
    pub fn is_worse(&self, from: StateId, to: StateId) -> bool {
        let rank = |id: StateId| match self.kind(id) {
            StateKind::Current => Some(0),
            StateKind::Delinquent { .. } => Some(id as u32),
            _ => None,
        };
        matches!((rank(from), rank(to)), (Some(a), Some(b)) if b > a)
    }
}

#[cfg(test)]
pub(crate) fn example_space() -> StateSpace {
    let buckets = [
        Bucket {
            name: "dpd_1_30".into(),
            min_dpd: 1,
            max_dpd: Some(30),
        },
        Bucket {
            name: "dpd_31_60".into(),
            min_dpd: 31,
            max_dpd: Some(60),
        },
        Bucket {
            name: "dpd_61_90".into(),
            min_dpd: 61,
            max_dpd: None,
        },
    ];
    StateSpace::new(
        &buckets,
        &[
            ("early".into(), vec!["dpd_1_30".into()]),
            ("late".into(), vec!["dpd_31_60".into(), "dpd_61_90".into()]),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_current_buckets_then_terminals() {
        let space = example_space();
        let names: Vec<_> = space.states.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "current",
                "dpd_1_30",
                "dpd_31_60",
                "dpd_61_90",
                "paid_off",
                "charged_off",
                "sold"
            ]
        );
        assert_eq!(space.kind(2), StateKind::Delinquent { months_past_due: 2 });
        assert_eq!(space.kind(3), StateKind::Delinquent { months_past_due: 3 });
        assert_eq!(space.charged_off(), 5);
        assert_eq!(space.stage_name(3), Some("late"));
        assert_eq!(space.stage_name(0), None);
    }

    #[test]
    fn dpd_maps_to_bucket() {
        let space = example_space();
        assert_eq!(space.state_for_dpd(0), Some(0));
        assert_eq!(space.state_for_dpd(30), Some(1));
        assert_eq!(space.state_for_dpd(31), Some(2));
        assert_eq!(space.state_for_dpd(400), Some(3));
    }
}
