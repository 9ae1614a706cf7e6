//! The search: every policy of every segment valued exactly, the efficient frontier, and the
//! policy a budget buys.
//!
//! A policy of a segment is a subset of the actions that apply to it (`none` being the empty
//! one); the subsets of each stage multiply, 2^k in all for k actions. Value and spend add up
//! over segments, so the book's problem, maximise `sum V_s` subject to `sum C_s <= budget`,
//! has the Lagrangian `sum_s max_p (V_s(p) - lambda C_s(p))`, solved segment by segment. As
//! lambda falls from infinity each segment climbs the upper concave hull of its (C, V) points
//! one vertex at a time, at the slope of each step, so the book's frontier (the hull of the
//! Minkowski sum) is the segments' steps merged in decreasing order of slope (Bertsekas,
//! *Nonlinear Programming*, 1999, section 5.5, on separable problems). The budget's policy is
//! the last vertex within it and lambda is the slope of the next step: the value a unit more
//! of monthly budget would buy at the margin. A policy off the hull can sometimes use leftover
//! budget better (the duality gap of a discrete problem); the report states the leftover.

use super::exact::{Group, SegmentValue, Valuation, evaluate_segment};
use super::{MAX_POLICIES_PER_SEGMENT, StrategyError, check_model};
use crate::model::{CollectionAction, Model};

/// Most book policies listed one by one on the frontier (the product of the segments'
/// counts); beyond it only the hull, the champion and the choice are listed.
pub const MAX_LISTED: usize = 4096;

/// One policy of one segment and its exact figures.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentChoice {
    /// Indices into [`Model::actions`] switched on.
    pub on: Vec<usize>,
    pub value: SegmentValue,
}

/// Every policy of one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentPolicies {
    pub segment: usize,
    pub policies: Vec<SegmentChoice>,
    /// Index of the scenario's own policy (every applicable action on).
    pub champion: usize,
    /// Indices of the hull's vertices, by increasing spend.
    pub hull: Vec<usize>,
}

/// A policy of the whole book: one policy index per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierPoint {
    pub choice: Vec<usize>,
    pub spend_per_month: f64,
    pub value: f64,
    pub on_frontier: bool,
}

/// The efficient frontier and the points listed beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    /// The hull's vertices, by increasing spend (first: the cheapest policy).
    pub hull: Vec<FrontierPoint>,
    /// Every book policy when there are at most [`MAX_LISTED`], else the hull's vertices and
    /// the champion; in a fixed order.
    pub points: Vec<FrontierPoint>,
    /// Whether `points` lists every book policy.
    pub complete: bool,
}

/// The search's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub segments: Vec<SegmentPolicies>,
    pub frontier: Frontier,
    /// The chosen book policy (a hull vertex).
    pub chosen: FrontierPoint,
    pub champion: FrontierPoint,
    /// The budget, currency per month; `None`: the unconstrained maximum.
    pub budget: Option<f64>,
    /// Value per unit of monthly spend of the next step up the frontier (0 when the choice is
    /// the unconstrained maximum).
    pub lambda: f64,
}

/// Values every policy of every segment and chooses the book's. `required`: actions (indices
/// into [`Model::actions`]) every policy keeps on wherever they apply.
pub fn search(
    model: &Model,
    groups: &[Vec<Group>],
    valuation: &Valuation,
    required: &[usize],
    budget: Option<f64>,
) -> Result<Plan, StrategyError> {
    check_model(model)?;
    if let Some(b) = budget
        && (b.is_nan() || b < 0.0)
    {
        return Err(StrategyError::NegativeBudget { budget: b });
    }
    let segments = (0..model.segments.len())
        .map(|s| segment_policies(model, s, &groups[s], valuation, required))
        .collect::<Result<Vec<_>, _>>()?;
    let hull = book_hull(&segments);
    let cheapest = hull[0].spend_per_month;
    let limit = budget.unwrap_or(f64::INFINITY);
    // A small tolerance so a budget typed as a frontier point's own spend buys it.
    let within = |p: &FrontierPoint| p.spend_per_month <= limit * (1.0 + 1e-12) + 1e-9;
    if !within(&hull[0]) {
        return Err(StrategyError::BudgetTooSmall {
            budget: limit,
            cheapest,
        });
    }
    let k = hull
        .iter()
        .rposition(within)
        .expect("the first vertex is within");
    let lambda = match hull.get(k + 1) {
        Some(next) => {
            (next.value - hull[k].value) / (next.spend_per_month - hull[k].spend_per_month)
        }
        None => 0.0,
    };
    let chosen = hull[k].clone();
    let champion_choice: Vec<usize> = segments.iter().map(|s| s.champion).collect();
    let champion = point(&segments, champion_choice, false);
    let frontier = listed(&segments, hull, &champion);
    let champion = frontier
        .points
        .iter()
        .find(|p| p.choice == champion.choice)
        .cloned()
        .unwrap_or(champion);
    Ok(Plan {
        segments,
        frontier,
        chosen,
        champion,
        budget,
        lambda,
    })
}

/// Every policy of `segment` (subsets of its actions holding `required`), valued.
fn segment_policies(
    model: &Model,
    segment: usize,
    groups: &[Group],
    valuation: &Valuation,
    required: &[usize],
) -> Result<SegmentPolicies, StrategyError> {
    let applicable: Vec<usize> = (0..model.actions.len())
        .filter(|&a| model.actions[a].applies_to(segment))
        .collect();
    let free: Vec<usize> = applicable
        .iter()
        .copied()
        .filter(|a| !required.contains(a))
        .collect();
    let fixed: Vec<usize> = applicable
        .iter()
        .copied()
        .filter(|a| required.contains(a))
        .collect();
    if free.len() >= usize::BITS as usize - 1 || (1usize << free.len()) > MAX_POLICIES_PER_SEGMENT {
        return Err(StrategyError::TooManyPolicies {
            segment: model.segments[segment].name.clone(),
            policies: 1usize.checked_shl(free.len() as u32).unwrap_or(usize::MAX),
            max: MAX_POLICIES_PER_SEGMENT,
        });
    }
    let mut policies = Vec::with_capacity(1 << free.len());
    for mask in 0..(1usize << free.len()) {
        let mut on: Vec<usize> = fixed.clone();
        on.extend(
            free.iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, &a)| a),
        );
        on.sort_unstable();
        let mut policy_model = model.clone();
        policy_model.actions = on
            .iter()
            .map(|&a| CollectionAction {
                segments: Some(vec![segment]),
                ..model.actions[a].clone()
            })
            .collect();
        let value = evaluate_segment(&policy_model, segment, groups, valuation)?;
        policies.push(SegmentChoice { on, value });
    }
    let champion = (1usize << free.len()) - 1;
    let hull = upper_hull(
        &policies
            .iter()
            .map(|p| (p.value.spend_per_month, p.value.value))
            .collect::<Vec<_>>(),
    );
    Ok(SegmentPolicies {
        segment,
        policies,
        champion,
        hull,
    })
}

/// Indices of the vertices of the upper concave hull of `points` (spend, value) from the
/// cheapest point (the best of the cheapest) up to the most valuable, by increasing spend:
/// each step up costs more and is worth more, at a falling rate. Collinear points are not
/// vertices.
pub fn upper_hull(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[b].1.total_cmp(&points[a].1))
            .then(a.cmp(&b))
    });
    let mut hull: Vec<usize> = Vec::new();
    for &p in &order {
        let (x, y) = points[p];
        if let Some(&last) = hull.last() {
            // Same spend or no more value: not a step up.
            if x <= points[last].0 || y <= points[last].1 {
                continue;
            }
        }
        while hull.len() >= 2 {
            let (a, b) = (points[hull[hull.len() - 2]], points[hull[hull.len() - 1]]);
            // Drop b when it lies on or below the segment from a to p.
            let cross = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
            if cross >= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(p);
    }
    hull
}

/// The book policy `choice` with its figures.
fn point(segments: &[SegmentPolicies], choice: Vec<usize>, on_frontier: bool) -> FrontierPoint {
    let (mut spend, mut value) = (0.0, 0.0);
    for (s, &c) in segments.iter().zip(&choice) {
        spend += s.policies[c].value.spend_per_month;
        value += s.policies[c].value.value;
    }
    FrontierPoint {
        choice,
        spend_per_month: spend,
        value,
        on_frontier,
    }
}

/// The book's hull: every segment at its cheapest vertex, then the segments' steps in
/// decreasing order of slope (ties: segment order, then step order).
fn book_hull(segments: &[SegmentPolicies]) -> Vec<FrontierPoint> {
    let mut choice: Vec<usize> = segments.iter().map(|s| s.hull[0]).collect();
    let mut steps = Vec::new();
    for (s, seg) in segments.iter().enumerate() {
        for (j, pair) in seg.hull.windows(2).enumerate() {
            let (a, b) = (&seg.policies[pair[0]].value, &seg.policies[pair[1]].value);
            let slope = (b.value - a.value) / (b.spend_per_month - a.spend_per_month);
            steps.push((slope, s, j, pair[1]));
        }
    }
    steps.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut hull = vec![point(segments, choice.clone(), true)];
    for (_, s, _, to) in steps {
        choice[s] = to;
        hull.push(point(segments, choice.clone(), true));
    }
    hull
}

/// The listed points: every book policy when few enough, else the hull and the champion.
fn listed(
    segments: &[SegmentPolicies],
    hull: Vec<FrontierPoint>,
    champion: &FrontierPoint,
) -> Frontier {
    let total = segments
        .iter()
        .try_fold(1usize, |acc, s| acc.checked_mul(s.policies.len()));
    let on_hull = |choice: &[usize]| hull.iter().any(|h| h.choice == choice);
    match total {
        Some(total) if total <= MAX_LISTED => {
            let mut points = Vec::with_capacity(total);
            let mut choice = vec![0; segments.len()];
            for _ in 0..total {
                points.push(point(segments, choice.clone(), on_hull(&choice)));
                // Next choice, the last segment fastest.
                for s in (0..segments.len()).rev() {
                    choice[s] += 1;
                    if choice[s] < segments[s].policies.len() {
                        break;
                    }
                    choice[s] = 0;
                }
            }
            Frontier {
                hull,
                points,
                complete: true,
            }
        }
        _ => {
            let mut points = hull.clone();
            if !on_hull(&champion.choice) {
                points.push(champion.clone());
            }
            Frontier {
                hull,
                points,
                complete: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_keeps_rising_steps_at_falling_rates() {
        // (0, 0) cheapest; (1, 10) and (2, 15) on the hull; (1.5, 11) below it; (3, 14) falls.
        let points = [
            (0.0, 0.0),
            (1.5, 11.0),
            (1.0, 10.0),
            (2.0, 15.0),
            (3.0, 14.0),
        ];
        assert_eq!(upper_hull(&points), vec![0, 2, 3]);
        // A collinear middle point is not a vertex.
        assert_eq!(
            upper_hull(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]),
            vec![0, 2]
        );
        // The best of the cheapest starts the hull.
        assert_eq!(upper_hull(&[(0.0, 1.0), (0.0, 3.0), (1.0, 2.0)]), vec![1]);
    }
}
