use arrears::book;
use arrears::engine;
use arrears::scenario;

#[test]
#[ignore]
fn time_workload_c() {
    let s = scenario::load(std::path::Path::new("benches/workload_count.toml")).unwrap();
    let mut b = book::load(&s).unwrap();
    let text = std::fs::read_to_string("benches/cells_1e8.csv").unwrap();
    for (i, line) in text.lines().skip(1).enumerate() {
        b.count[i] = line.rsplit(',').next().unwrap().parse().unwrap();
    }
    let mut sim = s.simulation.clone();
    sim.paths = std::env::var("PATHS")
        .map(|x| x.parse().unwrap())
        .unwrap_or(50);
    let threads: usize = std::env::var("THREADS")
        .map(|x| x.parse().unwrap())
        .unwrap_or(2);
    let t = std::time::Instant::now();
    let out = engine::run(&sim, &s.model, &b, Some(threads), &|_| {}).unwrap();
    let dt = t.elapsed().as_secs_f64();
    eprintln!(
        "{} cells, {} loans, {} paths, {threads} threads: {:.2} s; 1000 paths: {:.1} s",
        b.len(),
        b.loans(),
        out.paths.len(),
        dt,
        dt / out.paths.len() as f64 * 1000.0
    );
}
