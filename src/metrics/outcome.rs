//! What one path produces: its totals ([`Total`]) and its timeline (state occupancy and flows by
//! month, laid out by [`TimelineLayout`]). The engine fills these; everything else reads them.

/// Path totals over the horizon. Money in currency units, counts in loans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Starting balance of the book.
    OriginalBalance,
    /// Principal repaid by borrowers while on book: scheduled principal, prepayments, cure and
    /// partial payments.
    Repaid,
    /// Interest paid by borrowers with their payments.
    InterestCollected,
    /// New drawings on revolving lines.
    Drawn,
    /// Interest and late fees capitalised into balances while overdue.
    AccruedCharges,
    /// Balances written off at charge-off.
    GrossWriteOffs,
    /// Cash recovered on charged-off claims within the horizon (gross of costs).
    Recoveries,
    /// Face value of debt sold.
    SoldFace,
    /// Cash received from debt buyers.
    SaleProceeds,
    /// Face value of loans sold while still on book (sold on entering a bucket).
    SoldFaceBeforeChargeOff,
    /// Cash received for loans sold while still on book.
    SaleProceedsBeforeChargeOff,
    /// Cost of collection actions plus the cost share of recoveries.
    CollectionCosts,
    /// Charged-off balance neither recovered nor sold (the ledger's written-off line).
    WrittenOffNet,
    /// Balance still on book at the horizon.
    Outstanding,
    /// Loans charged off.
    ChargeOffs,
    /// Loans sold.
    Sales,
    /// Loans paid off (at term or early).
    PayOffs,
    /// Defaults (charge-off, or sale while delinquent) within the horizon.
    Defaults,
    /// Exposure at default: balance at charge-off or at sale while delinquent.
    ExposureAtDefault,
    /// Recoveries on the horizon's defaults, followed to the end of their workout (past the
    /// horizon where collection goes on), including sale proceeds; gross of costs.
    WorkoutRecoveries,
    /// Collection costs of those workout recoveries.
    WorkoutCosts,
    /// Present value at the default date of workout recoveries net of costs.
    WorkoutRecoveriesPvNet,
}

impl Total {
    pub const ALL: [Total; 22] = [
        Total::OriginalBalance,
        Total::Repaid,
        Total::InterestCollected,
        Total::Drawn,
        Total::AccruedCharges,
        Total::GrossWriteOffs,
        Total::Recoveries,
        Total::SoldFace,
        Total::SaleProceeds,
        Total::SoldFaceBeforeChargeOff,
        Total::SaleProceedsBeforeChargeOff,
        Total::CollectionCosts,
        Total::WrittenOffNet,
        Total::Outstanding,
        Total::ChargeOffs,
        Total::Sales,
        Total::PayOffs,
        Total::Defaults,
        Total::ExposureAtDefault,
        Total::WorkoutRecoveries,
        Total::WorkoutCosts,
        Total::WorkoutRecoveriesPvNet,
    ];
    pub const COUNT: usize = Total::ALL.len();

    pub fn idx(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Total::OriginalBalance => "original_balance",
            Total::Repaid => "repaid",
            Total::InterestCollected => "interest_collected",
            Total::Drawn => "drawn",
            Total::AccruedCharges => "accrued_charges",
            Total::GrossWriteOffs => "gross_write_offs",
            Total::Recoveries => "recoveries",
            Total::SoldFace => "sold_face",
            Total::SaleProceeds => "sale_proceeds",
            Total::SoldFaceBeforeChargeOff => "sold_face_before_charge_off",
            Total::SaleProceedsBeforeChargeOff => "sale_proceeds_before_charge_off",
            Total::CollectionCosts => "collection_costs",
            Total::WrittenOffNet => "written_off_unrecovered",
            Total::Outstanding => "outstanding",
            Total::ChargeOffs => "charge_offs",
            Total::Sales => "sales",
            Total::PayOffs => "pay_offs",
            Total::Defaults => "defaults",
            Total::ExposureAtDefault => "exposure_at_default",
            Total::WorkoutRecoveries => "workout_recoveries",
            Total::WorkoutCosts => "workout_costs",
            Total::WorkoutRecoveriesPvNet => "workout_recoveries_pv_net",
        }
    }

    pub fn is_count(self) -> bool {
        matches!(
            self,
            Total::ChargeOffs | Total::Sales | Total::PayOffs | Total::Defaults
        )
    }
}

/// Flows within a month. Counts in loans, amounts in currency units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    NewDelinquencies,
    Cures,
    RollForwards,
    ChargeOffs,
    Sales,
    PayOffs,
    ScheduledPayments,
    Prepayments,
    CurePayments,
    PartialPayments,
    Recoveries,
    CollectionCosts,
    SaleProceeds,
    GrossWriteOffs,
    Drawdowns,
}

impl Flow {
    pub const ALL: [Flow; 15] = [
        Flow::NewDelinquencies,
        Flow::Cures,
        Flow::RollForwards,
        Flow::ChargeOffs,
        Flow::Sales,
        Flow::PayOffs,
        Flow::ScheduledPayments,
        Flow::Prepayments,
        Flow::CurePayments,
        Flow::PartialPayments,
        Flow::Recoveries,
        Flow::CollectionCosts,
        Flow::SaleProceeds,
        Flow::GrossWriteOffs,
        Flow::Drawdowns,
    ];
    pub const COUNT: usize = Flow::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            Flow::NewDelinquencies => "new_delinquencies",
            Flow::Cures => "cures",
            Flow::RollForwards => "roll_forwards",
            Flow::ChargeOffs => "charge_offs",
            Flow::Sales => "sales",
            Flow::PayOffs => "pay_offs",
            Flow::ScheduledPayments => "scheduled_payments",
            Flow::Prepayments => "prepayments",
            Flow::CurePayments => "cure_payments",
            Flow::PartialPayments => "partial_payments",
            Flow::Recoveries => "recoveries",
            Flow::CollectionCosts => "collection_costs",
            Flow::SaleProceeds => "sale_proceeds",
            Flow::GrossWriteOffs => "gross_write_offs",
            Flow::Drawdowns => "drawdowns",
        }
    }

    /// `"loans"` for counts, `"currency"` for amounts.
    pub fn unit(self) -> &'static str {
        if (self as usize) < Flow::ScheduledPayments as usize {
            "loans"
        } else {
            "currency"
        }
    }
}

/// Where each month's numbers sit in a path's flat timeline vector.
///
/// Months `0..=horizon` for states (month 0 is the book at the start), `1..=horizon` for
/// flows (stored at index `month - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineLayout {
    pub n_states: usize,
    pub horizon_months: usize,
}

impl TimelineLayout {
    fn per_state_month(&self) -> usize {
        2 * self.n_states
    }
    pub fn len(&self) -> usize {
        (self.horizon_months + 1) * self.per_state_month() + self.horizon_months * Flow::COUNT
    }
    pub fn is_empty(&self) -> bool {
        false
    }
    #[inline]
    pub fn loans(&self, month: usize, state: usize) -> usize {
        month * self.per_state_month() + state
    }
    #[inline]
    pub fn balance(&self, month: usize, state: usize) -> usize {
        month * self.per_state_month() + self.n_states + state
    }
    /// Flow in month `month` (1-based).
    #[inline]
    pub fn flow(&self, month: usize, flow: Flow) -> usize {
        (self.horizon_months + 1) * self.per_state_month()
            + (month - 1) * Flow::COUNT
            + flow as usize
    }
}

/// Everything one path produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOutcome {
    pub totals: [f64; Total::COUNT],
    /// Indexed by [`TimelineLayout`].
    pub timeline: Vec<f64>,
}

impl PathOutcome {
    pub fn new(layout: TimelineLayout) -> PathOutcome {
        PathOutcome {
            totals: [0.0; Total::COUNT],
            timeline: vec![0.0; layout.len()],
        }
    }

    pub fn get(&self, total: Total) -> f64 {
        self.totals[total.idx()]
    }

    /// Money in minus money accounted for; zero up to rounding when money is conserved:
    /// original + drawn + accrued = repaid + recovered + sold face + written off (unrecovered)
    /// + outstanding.
    pub fn conservation_residual(&self) -> f64 {
        let g = |t| self.get(t);
        g(Total::OriginalBalance) + g(Total::Drawn) + g(Total::AccruedCharges)
            - g(Total::Repaid)
            - g(Total::Recoveries)
            - g(Total::SoldFace)
            - g(Total::WrittenOffNet)
            - g(Total::Outstanding)
    }
}
