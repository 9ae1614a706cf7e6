//! The disposition study: what late-stage debt is worth to the lender if it is held and
//! collected in house, placed with a collection agency, or sold, at each candidate sale point;
//! and what a debt buyer would pay for it.
//!
//! Conventions (docs/SCENARIOS.md): every recovery curve (in house, agency, buyer) is indexed
//! by the age of the debt in months since charge-off, so a claim placed or sold at age `a`
//! collects `curve[a..]`; a point before charge-off starts at age 0. Cash flows fall at the end
//! of each month; annual rates are effective and converted to monthly as `(1 + r)^(1/12) - 1`.

/// Most sale points a disposition study can have: the engine keeps a hold tracker per point on
/// the stack, and validation refuses more.
pub const MAX_SALE_POINTS: usize = 8;

/// Where a candidate sale point falls in a loan's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// Reached on entering a bucket at or beyond this state id (before charge-off).
    OnBook { first_state: u8 },
    /// Reached this many months after charge-off (0: at charge-off).
    AfterChargeOff { months: u32 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SalePoint {
    /// Days past due as the scenario states it.
    pub dpd: u32,
    pub kind: PointKind,
}

impl SalePoint {
    pub fn label(&self) -> String {
        format!("{} DPD", self.dpd)
    }
}

/// One agency placement.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Share of what the agency collects that it keeps.
    pub commission: f64,
    /// Expected share of the placed face collected in each month of debt age.
    pub curve: Vec<f64>,
    /// Share of placed accounts that pay at all.
    pub payment_probability: f64,
    /// Months after placement when the agency hands the account back.
    pub recall_after_months: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agency {
    pub first: Placement,
    /// Placement of what the first agency returns.
    pub second: Option<Placement>,
}

/// The debt buyer's view.
#[derive(Debug, Clone, PartialEq)]
pub struct Buyer {
    /// Expected share of the bought face collected in each month of debt age.
    pub curve: Vec<f64>,
    pub payment_probability: f64,
    /// Buyer's collection cost as a share of what it collects.
    pub cost_share: f64,
    /// Effective annual return the buyer requires.
    pub hurdle_rate: f64,
    /// Price per unit of face at which the buyer's IRR and money multiple are reported.
    pub quoted_price: Option<f64>,
}

impl Buyer {
    pub fn monthly_discount(&self) -> f64 {
        (1.0 + self.hurdle_rate).powf(-1.0 / 12.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SalePrice {
    Fixed(f64),
    /// The buyer's fair price at its hurdle rate, from the simulated pool.
    Buyer,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DispositionStudy {
    pub points: Vec<SalePoint>,
    pub agency: Option<Agency>,
    pub sale_price: Option<SalePrice>,
    pub buyer: Option<Buyer>,
    /// Confidence for the buyer's bid: the highest price at which the buyer still makes its
    /// hurdle on this share of paths.
    pub bid_confidence: f64,
    /// Lender's effective annual discount rate for the study; `None`: as the run.
    pub discount_rate: Option<f64>,
}

/// Present value at placement of what the lender keeps from an agency placement of one
/// account of `face` at debt age `age`, for a paying (`payer`) or non-paying account;
/// `v` is the lender's monthly discount factor. Collections never exceed the face.
pub fn agency_value(agency: &Agency, face: f64, age: u32, payers: (bool, bool), v: f64) -> f64 {
    let mut value = 0.0;
    let mut left = face;
    let mut discount = 1.0;
    let mut month_age = age as usize;
    for (placement, payer) in std::iter::once((&agency.first, payers.0))
        .chain(agency.second.as_ref().map(|p| (p, payers.1)))
    {
        for _ in 0..placement.recall_after_months {
            discount *= v;
            let share = placement.curve.get(month_age).copied().unwrap_or(0.0);
            month_age += 1;
            if payer && left > 0.0 {
                let collected = (share / placement.payment_probability * face).min(left);
                left -= collected;
                value += collected * (1.0 - placement.commission) * discount;
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_keeps_its_commission_and_stops_at_recall() {
        let first = Placement {
            commission: 0.3,
            curve: vec![0.1, 0.1, 0.1, 0.1],
            payment_probability: 0.5,
            recall_after_months: 2,
        };
        let agency = Agency {
            first,
            second: None,
        };
        // A payer collects 0.2 of face a month for 2 months, keeps 70%, undiscounted.
        assert!((agency_value(&agency, 100.0, 0, (true, true), 1.0) - 28.0).abs() < 1e-12);
        assert_eq!(agency_value(&agency, 100.0, 0, (false, true), 1.0), 0.0);
        // Placed at age 3: one month of curve left, then nothing.
        assert!((agency_value(&agency, 100.0, 3, (true, true), 1.0) - 14.0).abs() < 1e-12);
    }

    #[test]
    fn second_placement_continues_the_age() {
        let p = |commission, months| Placement {
            commission,
            curve: vec![0.1; 6],
            payment_probability: 1.0,
            recall_after_months: months,
        };
        let agency = Agency {
            first: p(0.25, 2),
            second: Some(p(0.5, 2)),
        };
        let v: f64 = 0.99;
        let expected = 10.0 * 0.75 * (v + v * v) + 10.0 * 0.5 * (v.powi(3) + v.powi(4));
        assert!((agency_value(&agency, 100.0, 0, (true, true), v) - expected).abs() < 1e-12);
    }
}
