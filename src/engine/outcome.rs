//! What one path produces: its totals ([`Total`]), its timeline (state occupancy and flows by
//! month, laid out by [`TimelineLayout`]) and small per-group arrays laid out by
//! [`OutcomeLayout`] (write-offs by month and segment and by month and vintage, recovery groups,
//! disposition values). The engine fills these; everything else reads them.

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
    /// Present value at the default date of workout recoveries, gross of costs.
    WorkoutRecoveriesPvGross,
}

impl Total {
    pub const ALL: [Total; 23] = [
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
        Total::WorkoutRecoveriesPvGross,
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
            Total::WorkoutRecoveriesPvGross => "workout_recoveries_pv_gross",
        }
    }
}

/// Flows within a month. Counts in loans, amounts in currency units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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

/// Per-default figures summed over a group of defaults (a segment, a stage at default, a
/// vintage): fields of [`OutcomeLayout::group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    Defaults,
    ExposureAtDefault,
    /// Cash received after default, to the end of the workout.
    RecoveriesGross,
    /// Collection costs after default.
    Costs,
    /// Present value at the default date of the cash received.
    PvGross,
    /// Present value of the costs.
    PvCosts,
}

impl GroupField {
    pub const COUNT: usize = 6;
}

/// Per sale point and segment in the disposition study: fields of
/// [`OutcomeLayout::disposition`]. Values are present values to the lender at the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DispositionField {
    /// Loans reaching the point.
    Loans,
    /// Face value at the point (balance, or what is left of a charged-off claim).
    Face,
    /// Hold: net cash collected in house from the point on.
    Hold,
    /// Agency placement: what the agency collects less its commission.
    Agency,
    /// Sale at the fixed price.
    SaleFixed,
    /// The buyer's net collections discounted at its hurdle rate.
    BuyerPv,
    /// The buyer's net collections, undiscounted.
    BuyerCollections,
}

impl DispositionField {
    pub const COUNT: usize = 7;
}

/// Loan-level recovery-rate histogram: bin 0 holds defaults that recovered nothing, bins
/// 1..=20 the 5-point bands (0, 5%], ..., (95%, 100%], bin 21 more than 100%.
pub const RECOVERY_RATE_BINS: usize = 22;

/// Months after default followed for the recovery curve, and months a workout may run past
/// the horizon (after which an open workout stops: a current loan's balance counts as
/// recovered, anything else as lost).
pub const WORKOUT_CAP_MONTHS: usize = 120;

/// Shapes of a path's per-group arrays, beside the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeLayout {
    pub timeline: TimelineLayout,
    pub n_segments: usize,
    /// Stages plus one for "no stage".
    pub n_stage_groups: usize,
    pub n_vintages: usize,
    pub n_points: usize,
    /// Months of buyer cash flows after a purchase.
    pub buyer_months: usize,
}

impl OutcomeLayout {
    pub fn n_groups(&self) -> usize {
        self.n_segments + self.n_stage_groups + self.n_vintages
    }
    #[inline]
    pub fn group(&self, group: usize, field: GroupField) -> usize {
        group * GroupField::COUNT + field as usize
    }
    pub fn segment_group(&self, segment: usize) -> usize {
        segment
    }
    pub fn stage_group(&self, stage: Option<usize>) -> usize {
        self.n_segments + stage.unwrap_or(self.n_stage_groups - 1)
    }
    pub fn vintage_group(&self, vintage: usize) -> usize {
        self.n_segments + self.n_stage_groups + vintage
    }
    /// Write-offs of month `month` (1-based) in a segment: `[gross, recovered]`, where
    /// recovered is cash from charged-off claims (recoveries and sale proceeds).
    #[inline]
    pub fn write_off(&self, month: usize, segment: usize, recovered: bool) -> usize {
        ((month - 1) * self.n_segments + segment) * 2 + usize::from(recovered)
    }
    /// Write-offs of month `month` (1-based) in a vintage: `[gross, recovered]`, filled with
    /// the same amounts at the same moments as [`OutcomeLayout::write_off`], so summed over
    /// vintages they equal the segments' write-offs.
    #[inline]
    pub fn vintage_write_off(&self, month: usize, vintage: usize, recovered: bool) -> usize {
        ((month - 1) * self.n_vintages + vintage) * 2 + usize::from(recovered)
    }
    /// Bytes of one [`PathOutcome`] of this layout (its arrays; the factor, one value per month
    /// at most, counted too): what keeping every path's outcome costs.
    pub fn bytes_per_path(&self) -> usize {
        let t = self.timeline;
        let values = Total::COUNT
            + t.len()
            + t.horizon_months * (self.n_segments + self.n_vintages) * 2
            + self.n_groups() * GroupField::COUNT
            + RECOVERY_RATE_BINS
            + WORKOUT_CAP_MONTHS
            + self.n_points * self.n_segments * DispositionField::COUNT
            + self.n_points * self.buyer_months
            + t.horizon_months;
        values * std::mem::size_of::<f64>() + std::mem::size_of::<PathOutcome>()
    }
    #[inline]
    pub fn disposition(&self, point: usize, segment: usize, field: DispositionField) -> usize {
        (point * self.n_segments + segment) * DispositionField::COUNT + field as usize
    }
    #[inline]
    pub fn buyer_cash(&self, point: usize, month_after: usize) -> usize {
        point * self.buyer_months + month_after
    }
}

/// Everything one path produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOutcome {
    pub totals: [f64; Total::COUNT],
    /// Indexed by [`TimelineLayout`].
    pub timeline: Vec<f64>,
    /// Indexed by [`OutcomeLayout::write_off`].
    pub write_offs: Vec<f64>,
    /// Indexed by [`OutcomeLayout::vintage_write_off`]: the same write-offs by the loan's
    /// vintage.
    pub vintage_write_offs: Vec<f64>,
    /// Indexed by [`OutcomeLayout::group`].
    pub recovery_groups: Vec<f64>,
    /// Defaults by loan-level recovery rate ([`RECOVERY_RATE_BINS`]).
    pub recovery_rate_histogram: Vec<f64>,
    /// Cash received `k + 1` months after default, summed over the path's defaults.
    pub recovery_curve: Vec<f64>,
    /// Indexed by [`OutcomeLayout::disposition`].
    pub disposition: Vec<f64>,
    /// Indexed by [`OutcomeLayout::buyer_cash`]: the buyer's net collections by month after
    /// purchase, all segments.
    pub buyer_cash: Vec<f64>,
    /// The systematic factor by month (stress shift included); empty without one.
    pub factor: Vec<f64>,
    /// Likelihood-ratio weight of the path under importance sampling; 1 otherwise. When some
    /// path's ratio would under- or overflow a double, every weight of the run is divided by
    /// the largest (`engine::normalise_weights`), which leaves self-normalised figures as they are.
    pub weight: f64,
    /// Natural log of the likelihood ratio, summed over the path's factor innovations; 0 otherwise.
    pub log_weight: f64,
    /// Matrix rows whose conditioned roll and cure probabilities had to be scaled down to fit.
    pub clipped_rows: f64,
}

impl PathOutcome {
    pub fn new(layout: OutcomeLayout) -> PathOutcome {
        let t = layout.timeline;
        PathOutcome {
            totals: [0.0; Total::COUNT],
            timeline: vec![0.0; t.len()],
            write_offs: vec![0.0; t.horizon_months * layout.n_segments * 2],
            vintage_write_offs: vec![0.0; t.horizon_months * layout.n_vintages * 2],
            recovery_groups: vec![0.0; layout.n_groups() * GroupField::COUNT],
            recovery_rate_histogram: vec![0.0; RECOVERY_RATE_BINS],
            recovery_curve: vec![0.0; WORKOUT_CAP_MONTHS],
            disposition: vec![0.0; layout.n_points * layout.n_segments * DispositionField::COUNT],
            buyer_cash: vec![0.0; layout.n_points * layout.buyer_months],
            factor: Vec::new(),
            weight: 1.0,
            log_weight: 0.0,
            clipped_rows: 0.0,
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
