//! The duration method against a continuous-time Markov chain simulated with exact transition
//! dates: the estimated one-month matrix covers `exp(Q)` of the generator that made the data,
//! the months of exposure are the time loans really spent in each state while observed, and
//! the moves are the ones the panel can show.
//!
//! The panel is what a lender's monthly snapshots of that chain look like: one row per loan at
//! each month end with the status then and the day it began. Loans on book when the history
//! starts were originated up to a year before it (their first status date can precede the
//! panel), some loans are originated during the history (late entry) and some stop reporting
//! early (censoring). Everything runs at a fixed seed.
//!
//! What a correct estimator must find is computed here from the simulated paths, not from the
//! file: a loan is observed from its first snapshot (the end of its first month in the panel;
//! what happened before is seen only for loans still on book at that snapshot, so counting it
//! would bias the intensities down) to its last snapshot or its terminal move, and a spell is
//! visible when a snapshot falls inside it.

use arrears::calibrate::Calibration;
use arrears::calibrate::estimate::RowEstimate;
use arrears::calibrate::special::expm;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The estimator's month: a mean Gregorian month of days.
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
/// States in calibration order; the calibration adds `sold` (never reached) after them.
const CURRENT: usize = 0;
const DPD: usize = 1;
const PAID_OFF: usize = 2;
const CHARGED_OFF: usize = 3;
const N: usize = 5;
const CODES: [&str; 4] = ["0", "1", "C", "W"];
const LOANS: usize = 20_000;
/// Calendar months of the history, from 2023-01.
const MONTHS: i32 = 24;
const LATE_ENTRY: f64 = 0.25;
const CENSORING: f64 = 0.15;

/// The generator per month: current -> dpd_1_30 0.05, current -> paid_off 0.02,
/// dpd_1_30 -> current 0.10, dpd_1_30 -> charged_off 0.05.
fn generator() -> Vec<f64> {
    let mut q = vec![0.0; N * N];
    q[CURRENT * N + DPD] = 0.05;
    q[CURRENT * N + PAID_OFF] = 0.02;
    q[DPD * N + CURRENT] = 0.10;
    q[DPD * N + CHARGED_OFF] = 0.05;
    for i in 0..N {
        let out: f64 = (0..N).filter(|&j| j != i).map(|j| q[i * N + j]).sum();
        q[i * N + i] = -out;
    }
    q
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `YYYY-MM-DD` of a day number (the inverse of [`days_from_civil`]).
fn date_text(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// First day of month `k` of the history (0 is 2023-01); month `k`'s snapshot is taken at the
/// start of `month_start(k + 1)`.
fn month_start(k: i32) -> i64 {
    let m = 2023 * 12 + i64::from(k);
    days_from_civil(m.div_euclid(12), m.rem_euclid(12) + 1, 1)
}

fn period_text(k: i32) -> String {
    let m = 2023 * 12 + k;
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// One loan's path: `(time in days, state)` of each spell, the first at origination.
type Path = Vec<(f64, usize)>;

fn simulate_path(q: &[f64], origination: f64, until: f64, rng: &mut Xoshiro256PlusPlus) -> Path {
    let mut path = vec![(origination, CURRENT)];
    loop {
        let (t, s) = *path.last().expect("one spell at least");
        let out = -q[s * N + s];
        if out == 0.0 {
            return path;
        }
        let wait = -(1.0 - rng.random::<f64>()).ln() / out * DAYS_PER_MONTH;
        if t + wait >= until {
            return path;
        }
        // The destination, with probability proportional to its intensity (rounding that
        // leaves `u` past the last one picks the last).
        let mut u = rng.random::<f64>() * out;
        let mut next = s;
        for j in (0..N).filter(|&j| j != s && q[s * N + j] > 0.0) {
            next = j;
            if u < q[s * N + j] {
                break;
            }
            u -= q[s * N + j];
        }
        path.push((t + wait, next));
    }
}

/// The spell in progress at (just before) `at`.
fn spell_at(path: &Path, at: f64) -> Option<usize> {
    path.iter().rposition(|&(t, _)| t < at)
}

fn on_book(s: usize) -> bool {
    s == CURRENT || s == DPD
}

/// What the simulation knows beyond the file, summed over loans.
#[derive(Default)]
struct Truth {
    /// Months spent in each state while observed, and every move then (hidden ones included).
    time: [f64; N],
    moves: [[f64; N]; N],
    /// What the snapshots show: moves between visible spells and their exposure in whole
    /// status days, as a correct duration estimator reads them.
    seen_time: [f64; N],
    seen_moves: [[f64; N]; N],
    rows: usize,
    late: usize,
    censored: usize,
}

/// Simulates the panel into `csv` and returns what was put in.
fn simulate_panel(seed: u64, csv: &std::path::Path) -> Truth {
    let q = generator();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let first_day = month_start(0) as f64;
    let end = month_start(MONTHS) as f64;
    let mut truth = Truth::default();
    let mut text = String::from("loan_id,period,status,status_date\n");
    for loan in 0..LOANS {
        let late = rng.random::<f64>() < LATE_ENTRY;
        let late_month = rng.random_range(1..MONTHS);
        let within = rng.random::<f64>();
        let before = rng.random::<f64>();
        let (origination, first_month) = if late {
            let (a, b) = (month_start(late_month), month_start(late_month + 1));
            (a as f64 + within * (b - a) as f64, late_month)
        } else {
            (first_day - before * 12.0 * DAYS_PER_MONTH, 0)
        };
        let censored = rng.random::<f64>() < CENSORING;
        let stop = rng.random_range(first_month..MONTHS);
        let last_reported = if censored { stop } else { MONTHS - 1 };
        let path = simulate_path(&q, origination, end, &mut rng);
        let (absorbed_at, absorbed) = *path.last().expect("one spell at least");
        if !on_book(absorbed) && absorbed_at < first_day {
            continue; // closed before the history starts: not on the lender's book
        }
        truth.late += usize::from(late);

        // Rows: the status at each month end and the day it began; a terminal status is
        // written in its month and the next, then the loan stops.
        let mut seen: Vec<(i32, usize)> = Vec::new();
        let mut terminal_rows = 0;
        for k in first_month..=last_reported {
            let at = month_start(k + 1) as f64;
            let i = spell_at(&path, at).expect("originated before its first month end");
            let (t, s) = path[i];
            text.push_str(&format!(
                "L{loan:05},{},{},{}\n",
                period_text(k),
                CODES[s],
                date_text(t.floor() as i64)
            ));
            truth.rows += 1;
            seen.push((k, i));
            if !on_book(s) {
                terminal_rows += 1;
                if terminal_rows == 2 {
                    break;
                }
            }
        }
        let (last_month, last_spell) = *seen.last().expect("one row at least");
        if on_book(path[last_spell].1) && last_month < MONTHS - 1 {
            truth.censored += 1;
        }

        // Observed from the first snapshot to the last one.
        let (first_month, first_spell) = seen[0];
        if !on_book(path[first_spell].1) {
            continue;
        }
        let from = month_start(first_month + 1) as f64;
        let to = month_start(last_month + 1) as f64;
        for (i, &(t, s)) in path.iter().enumerate() {
            let t_end = path.get(i + 1).map_or(f64::INFINITY, |p| p.0);
            if on_book(s) {
                truth.time[s] += (t_end.min(to) - t.max(from)).max(0.0) / DAYS_PER_MONTH;
            }
            if i > 0 && t > from && t <= to {
                truth.moves[path[i - 1].1][s] += 1.0;
            }
        }
        // Visible spells, in order, and their exposure in whole days.
        let mut visible: Vec<usize> = seen.iter().map(|&(_, i)| i).collect();
        visible.dedup();
        for (v, &i) in visible.iter().enumerate() {
            let s = path[i].1;
            if !on_book(s) {
                break;
            }
            let entered = path[i].0.floor();
            let start = if v == 0 { from } else { entered };
            let stop = visible.get(v + 1).map_or(to, |&next| path[next].0.floor());
            truth.seen_time[s] += (stop - start) / DAYS_PER_MONTH;
            if let Some(&next) = visible.get(v + 1)
                && path[next].1 != s
            {
                truth.seen_moves[s][path[next].1] += 1.0;
            }
        }
    }
    std::fs::write(csv, text).expect("panel written");
    truth
}

/// `N_ij / T_i` for the on-book rows.
fn intensities(moves: &[[f64; N]; N], time: &[f64; N]) -> Vec<f64> {
    let mut q = vec![0.0; N * N];
    for i in [CURRENT, DPD] {
        for j in (0..N).filter(|&j| j != i) {
            q[i * N + j] = moves[i][j] / time[i];
            q[i * N + i] -= q[i * N + j];
        }
    }
    q
}

fn calibration_text(method: &str) -> String {
    format!(
        r#"version = 1
[panel]
path = "panel.csv"
[states]
buckets = [{{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }}]
[status]
codes = {{ "0" = "current", "1" = "dpd_1_30", "C" = "paid_off", "W" = "charged_off" }}
[estimate]
method = "{method}"
[scenario]
name = "d"
apr = 0.2
term_months = 36
balance = 1000.0
"#
    )
}

fn calibrate(dir: &std::path::Path, method: &str) -> Calibration {
    let file = dir.join(format!("{method}.toml"));
    std::fs::write(&file, calibration_text(method)).expect("calibration file written");
    arrears::calibrate::calibrate(&file).unwrap_or_else(|e| panic!("calibration failed:\n{e}"))
}

fn row(cal: &Calibration, from: usize) -> &RowEstimate {
    cal.segments[0].matrices[0]
        .rows
        .iter()
        .find(|r| r.from as usize == from)
        .unwrap_or_else(|| panic!("no row for state {from}"))
}

/// Every cell of the estimated month's matrix, per on-book row.
fn cells() -> impl Iterator<Item = (usize, usize)> {
    [CURRENT, DPD]
        .into_iter()
        .flat_map(|i| (0..N).map(move |j| (i, j)))
}

const NAMES: [&str; N] = ["current", "dpd_1_30", "paid_off", "charged_off", "sold"];

#[test]
fn duration_method_recovers_the_generator_of_a_continuous_time_chain() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let truth = simulate_panel(20_240_601, &tmp.path().join("panel.csv"));
    let q = generator();
    let p = expm(&q, N);
    assert!(
        truth.late > 3_000 && truth.censored > 1_000,
        "late entry and censoring are exercised: {} late, {} censored, {} rows",
        truth.late,
        truth.censored,
        truth.rows
    );

    // The simulation itself: every move and the exact time in state while observed give exp(Q)
    // back within four standard errors. A month's probabilities are `I + Q` to first order, so
    // no cell of row `i` has a larger standard error than the row's exit rate, sqrt(N_i) / T_i
    // (Poisson moves over fixed exposure): 0.0006 for current, 0.0016 for dpd_1_30.
    let p_full = expm(&intensities(&truth.moves, &truth.time), N);
    for (i, j) in cells() {
        let (want, got) = (p[i * N + j], p_full[i * N + j]);
        let se = truth.moves[i].iter().sum::<f64>().sqrt() / truth.time[i];
        assert!(
            (got - want).abs() < 4.0 * se,
            "simulation: {} -> {}: exp(Q) {want:.5}, from the full paths {got:.5} (standard error {se:.5})",
            NAMES[i],
            NAMES[j]
        );
    }

    // The cohort method on the same panel: monthly snapshots of a time-homogeneous chain are a
    // Markov chain with matrix exp(Q), so its estimate is unbiased and its 90% intervals,
    // widened by their own width on each side (about five standard errors in all), cover the
    // truth. This checks the file, independently of the duration method.
    let cohort = calibrate(tmp.path(), "cohort");
    for (i, j) in cells() {
        let r = row(&cohort, i);
        let (lo, hi) = (r.lower[j], r.upper[j]);
        let w = hi - lo;
        assert!(
            p[i * N + j] >= lo - w && p[i * N + j] <= hi + w,
            "cohort: {} -> {}: exp(Q) {:.5} outside [{lo:.5}, {hi:.5}] widened by {w:.5} (estimate {:.5})",
            NAMES[i],
            NAMES[j],
            p[i * N + j],
            r.probability[j]
        );
    }

    let cal = calibrate(tmp.path(), "duration");
    let mut problems = Vec::new();

    // Exposure and moves. A correct estimator finds exactly the moves between visible spells
    // and their exposure in whole status days from each loan's first snapshot (`seen_*`, to
    // rounding), and that exposure is within 1% of the time loans really spent in the state:
    // it differs only by spells hidden between two snapshots (0.3% of the time here).
    for i in [CURRENT, DPD] {
        let r = row(&cal, i);
        let (at_risk, seen, time) = (r.at_risk, truth.seen_time[i], truth.time[i]);
        if (at_risk - seen).abs() > 1e-6 * seen {
            problems.push(format!(
                "{}: {at_risk:.1} months at risk; the snapshots show {seen:.1} months from each loan's first snapshot ({:+.1}%)",
                NAMES[i],
                100.0 * (at_risk / seen - 1.0)
            ));
        }
        if (at_risk - time).abs() > 0.01 * time {
            problems.push(format!(
                "{}: {at_risk:.1} months at risk; loans spent {time:.1} months there while observed ({:+.1}%)",
                NAMES[i],
                100.0 * (at_risk / time - 1.0)
            ));
        }
        if r.counts[..N] != truth.seen_moves[i][..] {
            problems.push(format!(
                "{}: moves {:?}; the snapshots show {:?}",
                NAMES[i], r.counts, truth.seen_moves[i]
            ));
        }
    }

    // The month's matrix against exp(Q). Allowance for moves the snapshots cannot show: a
    // spell in state k entered at a roughly uniform point of a month and lasting Exp(lambda_k)
    // ends before the month's snapshot with probability
    // h_k = 1 - (1 - exp(-lambda_k)) / lambda_k, about lambda_k / 2: 7.1% of dpd_1_30 spells
    // (lambda = 0.15) and 3.4% of current ones (0.07). Such a spell leaves no row, so its moves
    // in and out are lost (current -> dpd_1_30 -> current reads as no move, current ->
    // dpd_1_30 -> charged_off as a direct current -> charged_off). That takes about 7% off
    // q(current -> dpd_1_30) and 10% off q(dpd_1_30 -> current): up to 0.009 in the month's
    // matrix, several times the interval's width, so a fixed allowance such as 0.002 cannot
    // hold it. The simulation knows every path, so the bias of this sample is measured exactly:
    // `bias = exp(Q_seen) - exp(Q_full)`, from the moves and exposure the snapshots show against
    // every move and the exact time in state. The truth shifted by it must lie in the 90%
    // interval widened by the interval's width on each side: the shifted truth differs from
    // the estimate by the full paths' sampling error only, so that is about five standard
    // errors (a false alarm well under 1e-5 per cell).
    let p_seen = expm(&intensities(&truth.seen_moves, &truth.seen_time), N);
    for (i, j) in cells() {
        let r = row(&cal, i);
        let bias = p_seen[i * N + j] - p_full[i * N + j];
        let shifted = p[i * N + j] + bias;
        let (lo, hi) = (r.lower[j], r.upper[j]);
        let w = hi - lo;
        if shifted < lo - w || shifted > hi + w {
            problems.push(format!(
                "{} -> {}: exp(Q) {:.5} + double-jump bias {bias:+.5} = {shifted:.5} outside [{lo:.5}, {hi:.5}] widened by {w:.5} (estimate {:.5})",
                NAMES[i],
                NAMES[j],
                p[i * N + j],
                r.probability[j]
            ));
        }
    }

    // The direction of the difference between the methods: moves into short spells are what
    // the duration method loses, so its rolls into and cures out of dpd_1_30 fall below the
    // cohort's (by about 0.004 and 0.009 here).
    for (i, j) in [(CURRENT, DPD), (DPD, CURRENT)] {
        let (d, c) = (row(&cal, i).probability[j], row(&cohort, i).probability[j]);
        if d >= c {
            problems.push(format!(
                "{} -> {}: duration {d:.5} not below cohort {c:.5}",
                NAMES[i], NAMES[j]
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "duration method ({} rows, {} loans entering late, {} censored):\n  {}",
        truth.rows,
        truth.late,
        truth.censored,
        problems.join("\n  ")
    );
}
