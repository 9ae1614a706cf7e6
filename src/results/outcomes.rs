//! `outcomes.parquet`: every path's [`PathOutcome`] as the engine produced it, one row per
//! path and pass, so that every statistic of the folder can be recomputed from its files to
//! the bit (and shards can be merged, and sweeps compared, without rerunning).
//!
//! Columns: `pass` (`main`, or `disposition_study` for the study's own pass when the scenario
//! sells debt; in a part of a sharded stress set, `stress:NAME` for each scenario), `path` (the
//! path's number in the run), `weight`, `log_weight` (its logarithm before normalisation, what
//! a merge of shards normalises again) and `clipped_rows`, one
//! column per [`Total`] by its name, and one list column per per-path array of the
//! [`OutcomeLayout`]: `timeline`, `write_offs`, `vintage_write_offs`, `recovery_groups`,
//! `recovery_rate_histogram`, `recovery_curve`, `disposition`, `buyer_cash`, `factor`. The
//! layout itself is recorded in `summary.json` (`outcome_layout`), and every list's length is
//! checked against it on reading.

use std::path::Path;

use polars::prelude::*;

use super::table::{TableError, read_parquet};
use crate::engine::{OutcomeLayout, PathOutcome, Total};

pub const STEM: &str = "outcomes";
pub const PASS_MAIN: &str = "main";
pub const PASS_STUDY: &str = "disposition_study";

type ListGet = fn(&PathOutcome) -> &Vec<f64>;
type ListSet = fn(&mut PathOutcome) -> &mut Vec<f64>;

/// The list columns, with the length each must have under a layout (`None`: any, the factor).
const LISTS: [(&str, ListGet, ListSet); 9] = [
    ("timeline", |p| &p.timeline, |p| &mut p.timeline),
    ("write_offs", |p| &p.write_offs, |p| &mut p.write_offs),
    (
        "vintage_write_offs",
        |p| &p.vintage_write_offs,
        |p| &mut p.vintage_write_offs,
    ),
    (
        "recovery_groups",
        |p| &p.recovery_groups,
        |p| &mut p.recovery_groups,
    ),
    (
        "recovery_rate_histogram",
        |p| &p.recovery_rate_histogram,
        |p| &mut p.recovery_rate_histogram,
    ),
    (
        "recovery_curve",
        |p| &p.recovery_curve,
        |p| &mut p.recovery_curve,
    ),
    ("disposition", |p| &p.disposition, |p| &mut p.disposition),
    ("buyer_cash", |p| &p.buyer_cash, |p| &mut p.buyer_cash),
    ("factor", |p| &p.factor, |p| &mut p.factor),
];

/// The outcomes of one pass, with the number of the first path.
pub struct Pass<'a> {
    pub name: &'a str,
    pub first_path: u64,
    pub paths: &'a [PathOutcome],
}

/// One row of the table: the pass, the path's number and its outcome.
type Row<'a> = (&'a str, u64, &'a PathOutcome);

fn frame(rows: &[Row<'_>]) -> PolarsResult<DataFrame> {
    let all = || rows.iter().map(|r| r.2);
    let mut columns = vec![
        Column::new(
            "pass".into(),
            rows.iter().map(|r| r.0).collect::<Vec<&str>>(),
        ),
        Column::new(
            "path".into(),
            rows.iter().map(|r| r.1).collect::<Vec<u64>>(),
        ),
        Column::new(
            "weight".into(),
            all().map(|p| p.weight).collect::<Vec<f64>>(),
        ),
        Column::new(
            "log_weight".into(),
            all().map(|p| p.log_weight).collect::<Vec<f64>>(),
        ),
        Column::new(
            "clipped_rows".into(),
            all().map(|p| p.clipped_rows).collect::<Vec<f64>>(),
        ),
    ];
    for total in Total::ALL {
        columns.push(Column::new(
            total.name().into(),
            all().map(|p| p.get(total)).collect::<Vec<f64>>(),
        ));
    }
    for (name, get, _) in LISTS {
        let list: ListChunked = all()
            .map(|p| Series::new(PlSmallStr::EMPTY, get(p).as_slice()))
            .collect();
        columns.push(list.with_name(name.into()).into_series().into_column());
    }
    DataFrame::new(rows.len(), columns)
}

/// Paths per row group: the writer holds one group's columnar copy at a time, so writing adds
/// little to the memory of the outcomes themselves.
const PATHS_PER_GROUP: usize = 256;

/// Writes `outcomes.parquet` into `dir` (no CSV: list columns are not for spreadsheets;
/// `paths.csv` has the per-path figures), a row group at a time.
pub fn write(dir: &Path, passes: &[Pass<'_>]) -> Result<(), TableError> {
    let path = dir.join(format!("{STEM}.parquet"));
    let fail = |e: &dyn std::fmt::Display| TableError::Write {
        path: path.clone(),
        message: e.to_string(),
    };
    let rows: Vec<Row<'_>> = passes
        .iter()
        .flat_map(|p| {
            p.paths
                .iter()
                .enumerate()
                .map(move |(i, o)| (p.name, p.first_path + i as u64, o))
        })
        .collect();
    let file = std::fs::File::create(&path).map_err(|e| fail(&e))?;
    let mut chunks = rows.chunks(PATHS_PER_GROUP);
    let first = frame(chunks.next().unwrap_or(&[])).map_err(|e| fail(&e))?;
    let mut writer = ParquetWriter::new(file)
        .batched(first.schema())
        .map_err(|e| fail(&e))?;
    writer.write_batch(&first).map_err(|e| fail(&e))?;
    for chunk in chunks {
        let group = frame(chunk).map_err(|e| fail(&e))?;
        writer.write_batch(&group).map_err(|e| fail(&e))?;
    }
    writer.finish().map_err(|e| fail(&e))?;
    Ok(())
}

/// The outcomes of each pass in `dir/outcomes.parquet`, in file order, checked against
/// `layout`: `(pass, first path, outcomes)`.
pub fn read(
    dir: &Path,
    layout: OutcomeLayout,
) -> Result<Vec<(String, u64, Vec<PathOutcome>)>, TableError> {
    let path = dir.join(format!("{STEM}.parquet"));
    let frame = read_parquet(&path)?;
    let column = |name: &str| {
        frame
            .column(name)
            .map(|c| c.as_materialized_series().clone())
            .map_err(|_| TableError::MissingColumn {
                path: path.clone(),
                column: name.into(),
            })
    };
    let wrong = |name: &str, found: &DataType, expected: &'static str| TableError::Type {
        path: path.clone(),
        column: name.into(),
        found: found.to_string(),
        expected,
    };
    let bad = |row: usize, name: &str, problem: String| TableError::Value {
        path: path.clone(),
        row: row + 1,
        column: name.into(),
        problem,
    };
    let f64s = |name: &str| -> Result<Vec<f64>, TableError> {
        let s = column(name)?;
        let ca = s.f64().map_err(|_| wrong(name, s.dtype(), "Float64"))?;
        ca.iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| bad(row, name, "empty (null)".into())))
            .collect()
    };
    let passes = column("pass")?;
    let passes = passes
        .str()
        .map_err(|_| wrong("pass", passes.dtype(), "String"))?;
    let numbers = column("path")?;
    let numbers = numbers
        .u64()
        .map_err(|_| wrong("path", numbers.dtype(), "UInt64"))?;
    let mut outcomes: Vec<PathOutcome> = (0..frame.height())
        .map(|_| PathOutcome::new(layout))
        .collect();
    for (o, w) in outcomes.iter_mut().zip(f64s("weight")?) {
        o.weight = w;
    }
    for (o, w) in outcomes.iter_mut().zip(f64s("log_weight")?) {
        o.log_weight = w;
    }
    for (o, c) in outcomes.iter_mut().zip(f64s("clipped_rows")?) {
        o.clipped_rows = c;
    }
    for total in Total::ALL {
        for (o, v) in outcomes.iter_mut().zip(f64s(total.name())?) {
            o.totals[total.idx()] = v;
        }
    }
    for (name, get, set) in LISTS {
        let s = column(name)?;
        let lists = s
            .list()
            .map_err(|_| wrong(name, s.dtype(), "List(Float64)"))?;
        for (row, o) in outcomes.iter_mut().enumerate() {
            let list = lists
                .get_as_series(row)
                .ok_or_else(|| bad(row, name, "empty (null)".into()))?;
            let values: Vec<f64> = list
                .f64()
                .map_err(|_| wrong(name, s.dtype(), "List(Float64)"))?
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect();
            let expected = get(o).len();
            if name != "factor" && values.len() != expected {
                return Err(bad(
                    row,
                    name,
                    format!("{} values, the layout has {expected}", values.len()),
                ));
            }
            *set(o) = values;
        }
    }
    // Group consecutive rows by pass; path numbers must run on without gaps within a pass.
    let mut out: Vec<(String, u64, Vec<PathOutcome>)> = Vec::new();
    for (row, ((pass, number), outcome)) in
        passes.iter().zip(numbers.iter()).zip(outcomes).enumerate()
    {
        let pass = pass.ok_or_else(|| bad(row, "pass", "empty (null)".into()))?;
        let number = number.ok_or_else(|| bad(row, "path", "empty (null)".into()))?;
        match out.last_mut() {
            Some((name, first, paths)) if name == pass => {
                let expected = *first + paths.len() as u64;
                if number != expected {
                    return Err(bad(
                        row,
                        "path",
                        format!(
                            "path {number} follows path {}; paths must run on without gaps",
                            expected - 1
                        ),
                    ));
                }
                paths.push(outcome);
            }
            _ => out.push((pass.to_string(), number, vec![outcome])),
        }
    }
    Ok(out)
}
