//! The expected value of a policy without simulation.
//!
//! A loan's money rules (docs/SCENARIOS.md, "How a month works") are affine in its balance and
//! its instalment given the move it makes: a current loan pays its instalment, a missed month
//! adds interest and a late fee and (with the partial-payment probability) takes a Beta share
//! of the arrears, a cure pays the arrears plus the instalment and re-amortises, a charge-off
//! starts a recovery curve and perhaps a sale. The remaining term and the months on book move
//! with the calendar whatever the state. So for a group of like loans (same segment, starting
//! state, remaining term, months on book and rate) the expected cash of every month follows
//! from three numbers per state, carried month by month with the policy's effective matrix:
//! the probability mass, the expected balance on that mass and the expected instalment on it.
//! Loans of a group differ only in balance, and everything is linear in balance, so a group
//! is one computation whatever its size (a synthetic book of 100,000 loans is a few hundred).
//!
//! Exact (to rounding) for the expectation: every move's probability, the action costs, the
//! instalments, prepayments, interest and late fees, the partial payments (the share enters
//! through its mean `alpha / (alpha + beta)`), the recovery curve (a payer recovers
//! `curve / payment_probability`, so the mean is the curve), its costs and the debt sale.
//! Approximate: where a rule clips an amount to what is owed (a cure's arrears above the
//! balance, a partial payment's arrears above the balance, an instalment above the balance,
//! a payer's recovery above the claim), the clip is applied to the state's expected figures
//! rather than loan by loan (Jensen's inequality makes the two differ). Clips bind near or past
//! maturity; the Monte Carlo confirmation measures what they cost.

use std::collections::BTreeMap;

use crate::book::LoanBook;
use crate::model::money::annuity;
use crate::model::states::CURRENT;
use crate::model::{ActionError, DebtSale, Model, StateId, StateKind, TransitionMatrix};

/// Balances below this are repaid, as in the engine (a thousandth of a currency unit).
const ZERO_BALANCE: f64 = 1e-3;

/// What the value counts and how it discounts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valuation {
    pub horizon_months: u32,
    /// Discount factor per month: `(1 + annual rate)^(-1/12)` from the scenario's
    /// `discount_rate`, 1 without one.
    pub monthly_discount: f64,
}

impl Valuation {
    /// From the scenario's annual `discount_rate` (`None`: undiscounted).
    pub fn new(horizon_months: u32, discount_rate: Option<f64>) -> Valuation {
        Valuation {
            horizon_months,
            monthly_discount: discount_rate.map_or(1.0, |r| (1.0 + r).powf(-1.0 / 12.0)),
        }
    }
}

/// Loans that share one computation: same starting state, remaining term, months on book and
/// rate (in one segment). Balances are summed: the value is linear in them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    pub state: StateId,
    pub term: u32,
    pub months_on_book: u32,
    /// Monthly rate (APR / 12).
    pub rate: f64,
    pub loans: f64,
    pub balance: f64,
}

/// (starting state, remaining term, months on book, APR's bits): what a group shares.
type GroupKey = (StateId, u32, u32, u64);

/// The book's loans grouped by segment, then by (state, term, months on book, APR), in a fixed
/// order.
pub fn group_book(book: &LoanBook, n_segments: usize) -> Vec<Vec<Group>> {
    let mut maps: Vec<BTreeMap<GroupKey, (f64, f64)>> = vec![BTreeMap::new(); n_segments];
    for loan in 0..book.len() {
        let count = book.count.get(loan).copied().unwrap_or(1) as f64;
        let key = (
            book.state[loan],
            book.remaining_term[loan],
            book.months_on_book[loan],
            book.apr[loan].to_bits(),
        );
        let entry = maps[book.segment[loan] as usize]
            .entry(key)
            .or_insert((0.0, 0.0));
        entry.0 += count;
        entry.1 += count * book.balance[loan];
    }
    maps.into_iter()
        .map(|map| {
            map.into_iter()
                .map(|((state, term, mob, apr), (loans, balance))| Group {
                    state,
                    term,
                    months_on_book: mob,
                    rate: f64::from_bits(apr) / 12.0,
                    loans,
                    balance,
                })
                .collect()
        })
        .collect()
}

/// A segment's expected figures under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentValue {
    /// Present value of the net cash over the horizon plus the balance still current at its end.
    pub value: f64,
    /// Expected spend on collection actions per month, averaged over the horizon.
    pub spend_per_month: f64,
    /// `by_month[t - 1]`: the value had the horizon ended after month `t` (net cash to `t`
    /// plus the balance current then, discounted to the start).
    pub by_month: Vec<f64>,
    /// Present values of the parts: inflows (payments, recoveries, sale proceeds), action
    /// costs, recovery costs, the current balance at the horizon.
    pub inflows: f64,
    pub action_costs: f64,
    pub recovery_costs: f64,
    pub terminal: f64,
}

/// The value of `segment`'s `groups` under `model` (whose actions are the policy's).
pub fn evaluate_segment(
    model: &Model,
    segment: usize,
    groups: &[Group],
    valuation: &Valuation,
) -> Result<SegmentValue, ActionError> {
    let space = &model.space;
    let n = space.len();
    let seg = &model.segments[segment];
    let matrices: Vec<TransitionMatrix> = seg
        .matrices()
        .map(|m| model.effective_matrix(segment, m))
        .collect::<Result<_, _>>()?;
    let cost: Vec<f64> = (0..n)
        .map(|s| model.action_cost(segment, s as StateId))
        .collect();
    let kinds: Vec<StateKind> = (0..n).map(|s| space.kind(s as StateId)).collect();
    let months_past_due: Vec<f64> = kinds
        .iter()
        .map(|k| match k {
            StateKind::Delinquent { months_past_due } => f64::from(*months_past_due),
            _ => 0.0,
        })
        .collect();
    let money = &model.money;
    let partial = money
        .partial_payments
        .map(|p| p.probability * p.share_alpha / (p.share_alpha + p.share_beta));
    let sold_price = match model.debt_sale {
        Some(DebtSale::OnEntering { price, .. }) => price,
        _ => 0.0,
    };
    let horizon = valuation.horizon_months as usize;
    let d = valuation.monthly_discount;

    // Cash and costs by month (index t - 1), and charge-offs by month: (loans, balance).
    let mut inflow = vec![0.0; horizon];
    let mut action_cost = vec![0.0; horizon];
    let mut current_balance = vec![0.0; horizon];
    let mut charge_offs = vec![(0.0, 0.0); horizon];
    let (mut m, mut b, mut i) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut nm, mut nb, mut ni) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for group in groups {
        m.iter_mut()
            .chain(&mut b)
            .chain(&mut i)
            .for_each(|x| *x = 0.0);
        let r = group.rate;
        let s0 = group.state as usize;
        m[s0] = group.loans;
        b[s0] = group.balance;
        i[s0] = annuity(group.balance, r, group.term);
        for t in 1..=horizon {
            let term_left = group.term.saturating_sub(t as u32 - 1);
            let mob = group.months_on_book + t as u32 - 1;
            let matrix = &matrices[seg.matrix_index(mob)];
            nm.iter_mut()
                .chain(&mut nb)
                .chain(&mut ni)
                .for_each(|x| *x = 0.0);
            let (mut cash, mut spend) = (0.0, 0.0);
            for from in space.on_book() {
                let f = from as usize;
                let (mf, bf, i_f) = (m[f], b[f], i[f]);
                if mf <= 0.0 {
                    continue;
                }
                spend += cost[f] * mf;
                for (to, &p) in matrix.row(from).iter().enumerate() {
                    if p <= 0.0 {
                        continue;
                    }
                    let (pm, pb, pi) = (p * mf, p * bf, p * i_f);
                    let interest = pb * r;
                    match kinds[to] {
                        StateKind::Current if from == CURRENT => {
                            if term_left <= 1 {
                                cash += pb + interest;
                                continue;
                            }
                            let principal = (pi - interest).clamp(0.0, pb.max(0.0));
                            cash += principal + interest;
                            let left = pb - principal;
                            if left > ZERO_BALANCE * pm {
                                nm[CURRENT as usize] += pm;
                                nb[CURRENT as usize] += left;
                                ni[CURRENT as usize] += pi;
                            }
                        }
                        StateKind::Current => {
                            let arrears = (months_past_due[f] + 1.0) * pi;
                            let paid = arrears.min(pb + interest);
                            let principal = paid - interest.min(paid);
                            cash += paid;
                            let left = pb - principal;
                            if left > ZERO_BALANCE * pm {
                                nm[CURRENT as usize] += pm;
                                nb[CURRENT as usize] += left;
                                ni[CURRENT as usize] +=
                                    annuity(left, r, term_left.saturating_sub(1));
                            }
                        }
                        StateKind::Delinquent { .. } => {
                            let mut owed = pb + money.late_fee * pm;
                            if money.accrue_interest_while_overdue {
                                owed += interest;
                            }
                            if let Some(mean_paid) = partial {
                                let paid = mean_paid * (months_past_due[to] * pi).min(owed);
                                owed -= paid;
                                cash += paid;
                            }
                            nm[to] += pm;
                            nb[to] += owed;
                            ni[to] += pi;
                        }
                        StateKind::PaidOff => cash += pb + interest,
                        StateKind::ChargedOff => {
                            charge_offs[t - 1].0 += pm;
                            charge_offs[t - 1].1 += pb;
                        }
                        StateKind::Sold => cash += sold_price * pb,
                    }
                }
            }
            inflow[t - 1] += cash;
            action_cost[t - 1] += spend;
            current_balance[t - 1] += nb[CURRENT as usize];
            std::mem::swap(&mut m, &mut nm);
            std::mem::swap(&mut b, &mut nb);
            std::mem::swap(&mut i, &mut ni);
        }
    }
    let recovery_cost = recoveries(model, &charge_offs, &mut inflow);

    let mut by_month = Vec::with_capacity(horizon);
    let (mut pv_in, mut pv_actions, mut pv_recovery, mut factor) = (0.0, 0.0, 0.0, 1.0);
    for t in 0..horizon {
        factor *= d;
        pv_in += factor * inflow[t];
        pv_actions += factor * action_cost[t];
        pv_recovery += factor * recovery_cost[t];
        by_month.push(pv_in - pv_actions - pv_recovery + factor * current_balance[t]);
    }
    let terminal = d.powi(horizon as i32) * current_balance.last().copied().unwrap_or(0.0);
    Ok(SegmentValue {
        value: by_month.last().copied().unwrap_or(0.0),
        spend_per_month: action_cost.iter().sum::<f64>() / horizon.max(1) as f64,
        by_month,
        inflows: pv_in,
        action_costs: pv_actions,
        recovery_costs: pv_recovery,
        terminal,
    })
}

/// Adds the expected recoveries and sale proceeds of every month's charge-offs to `inflow`
/// (within the horizon) and returns the recovery costs by month: a claim charged off in month
/// `t` with balance `x` recovers `curve[k] x` in month `t + k + 1`, at a cost of `cost_share`
/// of it plus `cost_per_account` per open claim, until the curve ends or the claim is sold;
/// a sale takes what is left at its price.
fn recoveries(model: &Model, charge_offs: &[(f64, f64)], inflow: &mut [f64]) -> Vec<f64> {
    let horizon = inflow.len();
    let recovery = &model.recovery;
    let mut costs = vec![0.0; horizon];
    for (t0, &(loans, balance)) in charge_offs.iter().enumerate() {
        if loans <= 0.0 {
            continue;
        }
        let t = t0 + 1;
        // Months after charge-off at which what is left is sold, and the price.
        let sale = match model.debt_sale {
            Some(DebtSale::AfterChargeOff { months, price }) => Some((months as usize, price)),
            Some(DebtSale::Spot { month, price }) if t <= month as usize => {
                Some((month as usize - t, price))
            }
            _ => None,
        };
        let collect_months = recovery
            .curve
            .len()
            .min(sale.map_or(usize::MAX, |(months, _)| months));
        let mut left = balance;
        for k in 0..collect_months {
            let month = t + k + 1;
            let amount = recovery.curve[k] * balance;
            left -= amount;
            if month <= horizon {
                inflow[month - 1] += amount;
                costs[month - 1] +=
                    amount * recovery.cost_share + recovery.cost_per_account * loans;
            }
        }
        if let Some((months, price)) = sale
            && t + months <= horizon
        {
            inflow[t + months - 1] += price * left.max(0.0);
        }
    }
    costs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::simple_model;

    #[test]
    fn a_group_is_linear_in_balance() {
        let model = simple_model();
        let valuation = Valuation::new(24, Some(0.1));
        let group = |loans: f64, balance: f64| Group {
            state: 1,
            term: 36,
            months_on_book: 3,
            rate: 0.01,
            loans,
            balance,
        };
        let one = evaluate_segment(&model, 0, &[group(1.0, 1000.0)], &valuation).unwrap();
        let two = evaluate_segment(
            &model,
            0,
            &[group(1.0, 1000.0), group(1.0, 1000.0)],
            &valuation,
        )
        .unwrap();
        let merged = evaluate_segment(&model, 0, &[group(2.0, 2000.0)], &valuation).unwrap();
        assert!((two.value - 2.0 * one.value).abs() < 1e-9 * one.value.abs());
        assert!((merged.value - two.value).abs() < 1e-9 * two.value.abs());
    }
}
