//! `arrears solve` against exact answers: the reverse-stress factor shift of a large one-period
//! book (Vasicek), on the mean and on the 99% VaR; the price and the hurdle rate at which a
//! buyer of a geometric pool makes exactly its hurdle (closed form); and the break-even sale
//! price of the disposition study, which must be hold's value per unit of face in the run at
//! any price.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use arrears::model::systematic::{normal_cdf, normal_inverse_cdf};
use common::{arrears, csv_rows, output_text};

fn number(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?}", row[column]))
}

/// Runs `arrears solve` and returns its roots.
fn solve(
    scenario: &Path,
    vary: &str,
    target: &str,
    paths: &str,
    out: &Path,
) -> Vec<BTreeMap<String, String>> {
    let o = arrears(&[
        "solve",
        scenario.to_str().unwrap(),
        "--vary",
        vary,
        "--target",
        target,
        "--paths",
        paths,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let v = arrears(&["verify", out.to_str().unwrap()]);
    assert!(v.status.success(), "{}", output_text(&v));
    csv_rows(&out.join("solve_roots.csv"))
}

/// A one-month book of `loans` loans of 1.0 (`common::one_period`): each charges off with
/// probability `pd` (no recovery), with a per-path factor of correlation `rho`. Its loss is its
/// number of charge-offs.
fn one_period_file(dir: &Path, loans: u64, pd: f64, rho: f64) -> std::path::PathBuf {
    let path = dir.join("vasicek.toml");
    std::fs::write(&path, common::one_period(loans, 100, pd, rho, None)).unwrap();
    path
}

#[test]
fn reverse_stress_finds_the_vasicek_factor_shift() {
    let dir = tempfile::tempdir().unwrap();
    let (loans, pd, rho) = (20_000u64, 0.02, 0.1);
    let scenario = one_period_file(dir.path(), loans, pd, rho);
    let a = normal_inverse_cdf(pd);

    // The mean: a shift s makes each loan's default probability E[p(Z + s)] = Phi(a - sqrt(rho)
    // s) exactly, so the expected loss reaches a fraction X at s = (a - Phi^-1(X)) / sqrt(rho).
    let x = 0.05;
    let exact = (a - normal_inverse_cdf(x)) / rho.sqrt();
    let roots = solve(
        &scenario,
        "systematic.z_shift=-3..1",
        &format!("net_credit_loss={}", x * loans as f64),
        "400",
        &dir.path().join("mean"),
    );
    assert_eq!(roots.len(), 1);
    let (root, se) = (number(&roots[0], "root"), number(&roots[0], "root_se"));
    assert_eq!(roots[0]["status"], "solved");
    assert!(se > 0.0 && se < 0.1, "se {se}");
    assert!(
        (root - exact).abs() < 4.0 * se,
        "mean: root {root} ± {se}, exact {exact}"
    );
    assert!(number(&roots[0], "ci_low") < root && root < number(&roots[0], "ci_high"));

    // The 99% VaR: the loss at the factor's 1% quantile, Phi^-1(0.01) + s. For a large book it
    // reaches X where that equals z* = (a - sqrt(1 - rho) Phi^-1(X)) / sqrt(rho).
    let x = 0.10;
    let z_star = (a - (1.0 - rho).sqrt() * normal_inverse_cdf(x)) / rho.sqrt();
    let exact = z_star - normal_inverse_cdf(0.01);
    // The book's own noise around the limit, as a shift: a few binomial sds over the slope.
    let granularity = {
        let sd = (x * (1.0 - x) / loans as f64).sqrt();
        let density = |z: f64| {
            let arg = (a - rho.sqrt() * z) / (1.0 - rho).sqrt();
            (-arg * arg / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * rho.sqrt()
                / (1.0 - rho).sqrt()
        };
        3.0 * sd / density(z_star)
    };
    let roots = solve(
        &scenario,
        "systematic.z_shift=-3..2",
        &format!("net_credit_loss.var_99={}", x * loans as f64),
        "2000",
        &dir.path().join("var"),
    );
    let (root, se) = (number(&roots[0], "root"), number(&roots[0], "root_se"));
    assert!(se > 0.0 && se < 0.2, "se {se}");
    assert!(
        (root - exact).abs() < 3.0 * se + granularity,
        "VaR 99%: root {root} ± {se} (+ {granularity}), exact {exact}"
    );
    // Check the closed form itself: at z* the conditional loss is X.
    let at = normal_cdf((a - rho.sqrt() * z_star) / (1.0 - rho).sqrt());
    assert!((at - x).abs() < 1e-12);
    // The report says it in words.
    let report = std::fs::read_to_string(dir.path().join("var/report.md")).unwrap();
    assert!(report.contains("99% VaR"), "{report}");
}

/// Every loan charged off in month 1 at 1,000 (`common::charged_off_pool`), sold to a buyer
/// whose collections fall geometrically, every account paying (`common::geometric_buyer`),
/// quoted `quoted_price`. Returns the file and the closed-form fair price at a hurdle.
fn geometric_pool(dir: &Path, quoted_price: f64) -> (std::path::PathBuf, impl Fn(f64) -> f64) {
    let (extra, price) = common::geometric_buyer(1.0, Some(quoted_price));
    let path = dir.join(format!("pool-{quoted_price}.toml"));
    std::fs::write(&path, common::charged_off_pool(50, 4, &extra)).unwrap();
    (path, price)
}

#[test]
fn the_buyer_makes_its_hurdle_at_the_closed_form_price_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    // The price at which the buyer makes 20% exactly.
    let (scenario, price) = geometric_pool(dir.path(), 0.05);
    let roots = solve(
        &scenario,
        "disposition.buyer.quoted_price=0.01..0.5",
        "buyer_makes_hurdle",
        "4",
        &dir.path().join("price"),
    );
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["dpd"], "30");
    let root = number(&roots[0], "root");
    assert!((root - price(0.2)).abs() < 1e-9, "{root} vs {}", price(0.2));

    // The hurdle rate at which a quoted price is exactly fair: the buyer's IRR at that price.
    // The fair price is not linear in the rate, so this one takes a few secant steps.
    let quoted = price(0.35);
    let (scenario, _) = geometric_pool(dir.path(), quoted);
    let roots = solve(
        &scenario,
        "disposition.buyer.hurdle_rate=0.05..1.5",
        "buyer_makes_hurdle",
        "4",
        &dir.path().join("rate"),
    );
    let root = number(&roots[0], "root");
    assert!((root - 0.35).abs() < 1e-3, "{root}");
    assert!(number(&roots[0], "evaluations") > 3.0);

    // A price no hurdle in the range makes: said in words, not an error.
    let o = arrears(&[
        "solve",
        scenario.to_str().unwrap(),
        "--vary",
        "disposition.buyer.hurdle_rate=0.5..1.5",
        "--target",
        "buyer_makes_hurdle",
        "--paths",
        "4",
        "--out",
        dir.path().join("never").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("the buyer misses its hurdle across the whole range"),
        "{}",
        output_text(&o)
    );
    let roots = csv_rows(&dir.path().join("never/solve_roots.csv"));
    assert_eq!(roots[0]["status"], "below the target at both ends");
    assert_eq!(roots[0]["root"], "");
}

#[test]
fn the_break_even_sale_price_is_holds_value_per_unit_of_face() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = common::small_example(dir.path(), "disposition.toml");
    let roots = solve(
        &scenario,
        "disposition.sale.price=0..0.6",
        "sale_beats_hold",
        "6",
        &dir.path().join("solve"),
    );
    // The same run at any price: hold's value per unit of face at each point and segment.
    let run = dir.path().join("run");
    let o = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--set",
        "disposition.sale.price=0.123",
        "--paths",
        "6",
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let holds: BTreeMap<(String, String), f64> = csv_rows(&run.join("disposition.csv"))
        .iter()
        .filter(|r| r["disposition"] == "hold")
        .map(|r| {
            (
                (r["dpd"].clone(), r["segment"].clone()),
                number(r, "value_per_face"),
            )
        })
        .collect();
    assert!(roots.len() > 1);
    assert_eq!(roots.len(), holds.len());
    let mut solved = 0;
    for row in &roots {
        let hold = holds[&(row["dpd"].clone(), row["segment"].clone())];
        match row["status"].as_str() {
            "solved" => {
                solved += 1;
                let root = number(row, "root");
                assert!((root - hold).abs() < 1e-9, "{row:?}: hold {hold}");
                // Sale is worth the price per unit of face: slope one.
                assert!((number(row, "slope") - 1.0).abs() < 1e-9, "{row:?}");
                assert!(number(row, "ci_low") <= root && root <= number(row, "ci_high"));
            }
            // Hold is worth less than nothing (costs beyond collections): selling wins at any
            // price.
            "above the target at both ends" => assert!(hold < 0.0, "{row:?}: hold {hold}"),
            other => panic!("{other}: {row:?}"),
        }
    }
    assert!(solved > 0);

    // Without a study there is nothing to solve: refused before anything runs.
    let baseline = common::small_example(dir.path(), "baseline.toml");
    let never = dir.path().join("never");
    let o = arrears(&[
        "solve",
        baseline.to_str().unwrap(),
        "--vary",
        "debt_sale.price=0..0.5",
        "--target",
        "sale_beats_hold",
        "--out",
        never.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("needs a disposition study"),
        "{}",
        output_text(&o)
    );
    assert!(!never.exists());
    for (target, needle) in [
        ("net_credit_loss.var_98=1", "is not a tail measure"),
        ("recoveries.var_99=1", "has no tail measures"),
        (
            "sale_beats_holding",
            "not FIGURE=VALUE or a named condition",
        ),
    ] {
        let o = arrears(&[
            "solve",
            baseline.to_str().unwrap(),
            "--vary",
            "debt_sale.price=0..0.5",
            "--target",
            target,
            "--out",
            never.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
        assert!(
            output_text(&o).contains(needle),
            "{needle}: {}",
            output_text(&o)
        );
    }
}
