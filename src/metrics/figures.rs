//! The registry of per-path figures ([`METRICS`]): each figure's name, unit, description and
//! how it is read off a [`PathOutcome`]. The names are the column names of `paths.csv` and the
//! keys of `summary.json`. The summary and the studies (risk, stress) read figures through it,
//! so a figure is defined once.

use crate::engine::outcome::{PathOutcome, Total};

/// A figure reported per path and summarised across paths.
#[derive(Debug)]
pub struct Metric {
    pub name: &'static str,
    /// What an analyst calls it, in reports, charts and workbooks.
    pub label: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    /// `None` when the figure is undefined on the path (a ratio over no defaults).
    pub value: fn(&PathOutcome) -> Option<f64>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// Every per-path figure, in report order. The names are the column names of `paths.csv`
/// and the keys of `summary.json`.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "original_balance",
        label: "Starting balance",
        unit: "currency",
        description: "balance of the book at the start",
        value: |o| Some(o.get(Total::OriginalBalance)),
    },
    Metric {
        name: "repaid",
        label: "Principal repaid",
        unit: "currency",
        description: "principal repaid by borrowers while on book (scheduled, prepaid, cures, partial payments)",
        value: |o| Some(o.get(Total::Repaid)),
    },
    Metric {
        name: "interest_collected",
        label: "Interest collected",
        unit: "currency",
        description: "interest paid by borrowers",
        value: |o| Some(o.get(Total::InterestCollected)),
    },
    Metric {
        name: "gross_write_offs",
        label: "Gross write-offs",
        unit: "currency",
        description: "balances charged off (written off as bad debt)",
        value: |o| Some(o.get(Total::GrossWriteOffs)),
    },
    Metric {
        name: "recoveries",
        label: "Recoveries",
        unit: "currency",
        description: "cash collected on charged-off balances within the horizon, gross of costs",
        value: |o| Some(o.get(Total::Recoveries)),
    },
    Metric {
        name: "sale_proceeds",
        label: "Debt-sale proceeds",
        unit: "currency",
        description: "cash received from debt buyers",
        value: |o| Some(o.get(Total::SaleProceeds)),
    },
    Metric {
        name: "sold_face",
        label: "Face value sold",
        unit: "currency",
        description: "face value of debt sold",
        value: |o| Some(o.get(Total::SoldFace)),
    },
    Metric {
        name: "net_write_offs",
        label: "Net write-offs",
        unit: "currency",
        description: "gross write-offs less recoveries and sale proceeds on written-off balances",
        value: |o| {
            Some(
                o.get(Total::GrossWriteOffs)
                    - o.get(Total::Recoveries)
                    - (o.get(Total::SaleProceeds) - o.get(Total::SaleProceedsBeforeChargeOff)),
            )
        },
    },
    Metric {
        name: "net_credit_loss",
        label: "Net credit loss",
        unit: "currency",
        description: "net write-offs plus the loss on debt sold before charge-off (face less price)",
        value: |o| {
            Some(
                o.get(Total::GrossWriteOffs) + o.get(Total::SoldFaceBeforeChargeOff)
                    - o.get(Total::Recoveries)
                    - o.get(Total::SaleProceeds),
            )
        },
    },
    Metric {
        name: "collection_costs",
        label: "Collection costs",
        unit: "currency",
        description: "cost of collection actions plus the cost share of recoveries",
        value: |o| Some(o.get(Total::CollectionCosts)),
    },
    Metric {
        name: "outstanding",
        label: "Outstanding at the horizon",
        unit: "currency",
        description: "balance still on book at the horizon",
        value: |o| Some(o.get(Total::Outstanding)),
    },
    Metric {
        name: "written_off_unrecovered",
        label: "Written off, still uncollected",
        unit: "currency",
        description: "charged-off balance neither recovered nor sold by the horizon",
        value: |o| Some(o.get(Total::WrittenOffNet)),
    },
    Metric {
        name: "drawn",
        label: "Drawn on revolving lines",
        unit: "currency",
        description: "new drawings on revolving lines",
        value: |o| Some(o.get(Total::Drawn)),
    },
    Metric {
        name: "accrued_charges",
        label: "Interest and fees capitalised",
        unit: "currency",
        description: "interest and late fees capitalised while overdue",
        value: |o| Some(o.get(Total::AccruedCharges)),
    },
    Metric {
        name: "defaults",
        label: "Defaults (accounts)",
        unit: "loans",
        description: "loans defaulting within the horizon, by the scenario's default definition (charge-off by default)",
        value: |o| Some(o.get(Total::Defaults)),
    },
    Metric {
        name: "charge_offs",
        label: "Charge-offs (accounts)",
        unit: "loans",
        description: "loans charged off",
        value: |o| Some(o.get(Total::ChargeOffs)),
    },
    Metric {
        name: "sales",
        label: "Sales (accounts)",
        unit: "loans",
        description: "loans sold",
        value: |o| Some(o.get(Total::Sales)),
    },
    Metric {
        name: "pay_offs",
        label: "Pay-offs (accounts)",
        unit: "loans",
        description: "loans paid off at term or early",
        value: |o| Some(o.get(Total::PayOffs)),
    },
    Metric {
        name: "exposure_at_default",
        label: "Exposure at default",
        unit: "currency",
        description: "balance at default: at charge-off, at a sale while delinquent, or on rolling past the default DPD",
        value: |o| Some(o.get(Total::ExposureAtDefault)),
    },
    Metric {
        name: "recovery_rate",
        label: "Recovery rate (gross)",
        unit: "fraction",
        description: "cash received after default (recoveries, sale proceeds and, under a DPD definition, the borrower's own payments), to the end of each workout, over exposure at default; undiscounted, gross of costs",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveries),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "recovery_rate_net",
        label: "Recovery rate (net of costs)",
        unit: "fraction",
        description: "as recovery_rate, net of collection costs",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveries) - o.get(Total::WorkoutCosts),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "recovery_rate_discounted_gross",
        label: "Recovery rate (discounted, gross)",
        unit: "fraction",
        description: "as recovery_rate, discounted to the default date",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveriesPvGross),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "recovery_rate_discounted",
        label: "Recovery rate (discounted, net)",
        unit: "fraction",
        description: "recoveries net of collection costs, discounted to the default date, over exposure at default (the basis of loss given default)",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveriesPvNet),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "loss_given_default",
        label: "Loss given default",
        unit: "fraction",
        description: "1 - recovery_rate_discounted",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveriesPvNet),
                o.get(Total::ExposureAtDefault),
            )
            .map(|r| 1.0 - r)
        },
    },
    Metric {
        name: "net_credit_loss_rate",
        label: "Net credit loss rate",
        unit: "fraction",
        description: "net credit loss over the book's starting balance",
        value: |o| {
            ratio(
                o.get(Total::GrossWriteOffs) + o.get(Total::SoldFaceBeforeChargeOff)
                    - o.get(Total::Recoveries)
                    - o.get(Total::SaleProceeds),
                o.get(Total::OriginalBalance),
            )
        },
    },
];

pub fn metric(name: &str) -> &'static Metric {
    METRICS
        .iter()
        .find(|m| m.name == name)
        .expect("known metric")
}
