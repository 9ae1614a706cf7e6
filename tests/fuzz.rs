//! Fuzzing on stable Rust, through the built binary as a user runs it: every example scenario,
//! loan tape, calibration file and panel is mutated (lines deleted, duplicated or swapped,
//! numbers swapped for extremes and strings, truncation at a random byte, binary noise) and
//! put through `validate`, `run --paths 2` and `calibrate`. Every case must end within its
//! time limit, with exit 0 or 2, without a panic, and every exit-2 message must name the file
//! (and a line, for TOML syntax errors).
//!
//! Bounded for CI (`ARREARS_FUZZ_CASES`, default 800, about a minute on 2 cores); fuzz longer
//! with, for example:
//!
//! ```sh
//! ARREARS_FUZZ_CASES=100000 ARREARS_FUZZ_SEED=7 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! A failing case is kept in `target/fuzz-failures/` with the command that failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// SplitMix64: a small seeded generator, so a case is reproducible from the seed alone.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const EXTREMES: [&str; 16] = [
    "1e308",
    "-1e308",
    "1e-300",
    "0",
    "-1",
    "-0.0",
    "nan",
    "inf",
    "18446744073709551615",
    "9223372036854775808",
    "4294967296",
    "0.5",
    "\"text\"",
    "abc",
    "",
    "\"\"",
];

/// One mutation of `bytes`.
fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match rng.below(7) {
        0 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            lines.remove(i);
        }
        1 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            let line = lines[i].clone();
            lines.insert(i, line);
        }
        2 if lines.len() > 1 => {
            let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(i, j);
        }
        3 | 4 => {
            // A number swapped for an extreme or a string.
            let numbers: Vec<(usize, usize)> = number_spans(&text);
            if numbers.is_empty() {
                return text.into_bytes();
            }
            let (start, end) = numbers[rng.below(numbers.len())];
            let mut out = text[..start].to_string();
            out.push_str(EXTREMES[rng.below(EXTREMES.len())]);
            out.push_str(&text[end..]);
            return out.into_bytes();
        }
        5 => {
            let cut = rng.below(bytes.len() + 1);
            return bytes[..cut].to_vec();
        }
        _ => {
            let at = rng.below(bytes.len() + 1);
            let noise: Vec<u8> = (0..1 + rng.below(64)).map(|_| rng.next() as u8).collect();
            let mut out = bytes[..at].to_vec();
            out.extend(noise);
            out.extend(&bytes[at..]);
            return out;
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// Byte ranges of the numbers in `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'-')
            {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// What a case mutates.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Scenario,
    Tape,
    Calibration,
    Panel,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

struct Outcome {
    command: String,
    code: Option<i32>,
    text: String,
    timed_out: bool,
}

fn run(args: &[&str], cwd: &Path, limit: Duration) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr on a thread so a flood cannot block the child.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    Outcome {
        command: format!("arrears {}", args.join(" ")),
        code: status.and_then(|s| s.code()),
        text,
        timed_out,
    }
}

/// What is wrong with an outcome, if anything. `file`: the mutated file's name.
fn problem(o: &Outcome, file: &str) -> Option<String> {
    if o.timed_out {
        return Some("no answer within the time limit (a hang?)".into());
    }
    if o.text.contains("panicked") || o.text.contains("RUST_BACKTRACE") {
        return Some("panicked".into());
    }
    match o.code {
        Some(0) => None,
        Some(2) => {
            // The mutated file, or the file it led to (a scenario naming its tape).
            let names_a_file = o.text.contains(file)
                || [".csv`", ".toml`", ".parquet`"]
                    .iter()
                    .any(|e| o.text.contains(e));
            if !names_a_file {
                return Some(format!("exit 2 without naming `{file}` or another file"));
            }
            if o.text.len() > 64 * 1024 {
                return Some(format!("{} bytes of messages (a flood)", o.text.len()));
            }
            // A TOML syntax error points at a line and column.
            if o.text.contains("is not valid TOML") && !o.text.contains(&format!("{file}:")) {
                return Some("a TOML syntax error without a line".into());
            }
            None
        }
        other => Some(format!("exit code {other:?}")),
    }
}

#[test]
fn mutated_inputs_never_panic_hang_or_lose_their_place() {
    let cases: usize = std::env::var("ARREARS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(800);
    let seed: u64 = std::env::var("ARREARS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261203);
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    let counts = std::sync::Mutex::new([0usize; 3]);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (scenarios, failures, counts) = (&scenarios, &failures, &counts);
            scope.spawn(move || {
                for case in (worker..cases).step_by(workers) {
                    let mut rng = Rng(seed ^ (case as u64).wrapping_mul(0xA24B_AED4_963E_E407));
                    let dir = tempfile::tempdir().unwrap();
                    let kind = [Kind::Scenario, Kind::Scenario, Kind::Tape, Kind::Calibration, Kind::Panel][case % 5];
                    copy_dir(&root().join("scenarios/data"), &dir.path().join("data"));
                    let (target, file_name) = match kind {
                        Kind::Scenario => {
                            let s = &scenarios[rng.below(scenarios.len())];
                            let name = s.file_name().unwrap().to_string_lossy().into_owned();
                            (s.clone(), name)
                        }
                        Kind::Tape => (root().join("scenarios/data/tape.csv"), "tape.csv".into()),
                        Kind::Calibration => (
                            root().join("scenarios/calibration/calibrate.toml"),
                            "calibrate.toml".into(),
                        ),
                        Kind::Panel => (
                            root().join("scenarios/calibration/panel.csv"),
                            "panel.csv".into(),
                        ),
                    };
                    let mut bytes = std::fs::read(&target).unwrap();
                    for _ in 0..1 + rng.below(2) {
                        bytes = mutate(&bytes, &mut rng);
                    }
                    let d = dir.path();
                    let mut outcomes = Vec::new();
                    let secs = Duration::from_secs;
                    match kind {
                        Kind::Scenario | Kind::Tape => {
                            let scenario = match kind {
                                Kind::Scenario => {
                                    std::fs::write(d.join(&file_name), &bytes).unwrap();
                                    file_name.clone()
                                }
                                _ => {
                                    std::fs::write(d.join("data/tape.csv"), &bytes).unwrap();
                                    std::fs::copy(root().join("scenarios/tape.toml"), d.join("tape.toml")).unwrap();
                                    "tape.toml".into()
                                }
                            };
                            let v = run(&["validate", &scenario], d, secs(60));
                            let valid = v.code == Some(0);
                            outcomes.push(v);
                            counts.lock().unwrap()[0] += 1;
                            if valid {
                                outcomes.push(run(
                                    &["run", &scenario, "--paths", "2", "--out", "out", "-q"],
                                    d,
                                    secs(120),
                                ));
                                counts.lock().unwrap()[1] += 1;
                            }
                        }
                        Kind::Calibration | Kind::Panel => {
                            copy_dir(&root().join("scenarios/calibration"), &d.join("calibration"));
                            let at = if matches!(kind, Kind::Calibration) { "calibration/calibrate.toml" } else { "calibration/panel.csv" };
                            std::fs::write(d.join(at), &bytes).unwrap();
                            outcomes.push(run(
                                &["calibrate", "calibration/calibrate.toml", "--out", "out", "-q"],
                                d,
                                secs(120),
                            ));
                            counts.lock().unwrap()[2] += 1;
                        }
                    }
                    for o in &outcomes {
                        if let Some(p) = problem(o, &file_name) {
                            let keep = root().join("target/fuzz-failures").join(format!("case-{seed}-{case}"));
                            let _ = std::fs::create_dir_all(&keep);
                            let _ = std::fs::write(keep.join(&file_name), &bytes);
                            let _ = std::fs::write(keep.join("output.txt"), format!("{}\n{}", o.command, o.text));
                            let shown: String = o.text.chars().take(2000).collect();
                            failures.lock().unwrap().push(format!(
                                "case {case} ({kind:?}, {file_name}): {p}\n  {}\n  kept in {}\n{shown}",
                                o.command,
                                keep.display()
                            ));
                        }
                    }
                }
            });
        }
    });
    let counts = counts.into_inner().unwrap();
    eprintln!(
        "fuzz: {cases} cases (seed {seed}): {} validate, {} run, {} calibrate in {:.0} s",
        counts[0],
        counts[1],
        counts[2],
        started.elapsed().as_secs_f64()
    );
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
