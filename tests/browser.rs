//! The reports as a user sees them: `report.html` of an example run (and of the example
//! calibration) opened in headless
//! Chromium (Debian's `chromium`; `.ci/test` installs it when missing). Checks that every
//! image loaded, no script error occurred, the page needs no network, the headline figures on
//! the page equal those in `summary.json`, and that the page renders to a screenshot and
//! prints to PDF.
//!
//! Without Chromium the test fails and says how to install it; set `ARREARS_SKIP_BROWSER=1`
//! to skip it knowingly.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{arrears, output_text};

fn chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("ARREARS_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// Runs headless Chromium with the flags this machine needs (no sandbox as root, no GPU, no
/// background networking, a fresh profile) plus `args`; returns stdout.
fn headless(browser: &Path, profile: &Path, args: &[String]) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--hide-scrollbars",
            "--mute-audio",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        output_text(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Collects what the page did once loaded: images and whether each decoded, script errors,
/// and every headline figure row (key, exact mean, text shown). Injected into a copy of the
/// report, never into the report itself (which has no scripts).
const HARNESS: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  if (e.target && e.target !== window && e.target.tagName) { return; }
  window.__errors.push(String(e.message));
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                   .map(function (i) { return i.alt; });
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-figure]'));
  var figures = rows.map(function (r) {
    return [r.dataset.figure, r.dataset.mean, r.querySelector('td.mean').textContent];
  });
  var out = document.createElement('pre');
  out.id = 'harness-result';
  out.textContent = JSON.stringify({
    images: imgs.length, widths: imgs.map(function (i) { return i.naturalWidth; }),
    broken: broken, errors: window.__errors, figures: figures,
    title: document.title, text: document.body.innerText
  });
  document.body.appendChild(out);
});
</script>"#;

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// `1234567.8` -> `1,234,568`: the report's money and count format, written independently.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && digits.chars().any(|c| c != '0') {
        out.insert(0, '-');
    }
    out
}

/// Page objects in a PDF: `/Type /Page` (or `/Type/Page`) not followed by `s`.
fn pdf_pages(bytes: &[u8]) -> usize {
    [&b"/Type /Page"[..], &b"/Type/Page"[..]]
        .iter()
        .map(|pat| {
            bytes
                .windows(pat.len() + 1)
                .filter(|w| w.starts_with(pat) && w[pat.len()] != b's')
                .count()
        })
        .sum()
}

/// The browser, or `None` when the test may be skipped (`ARREARS_SKIP_BROWSER`).
fn browser_or_skip() -> Option<PathBuf> {
    let Some(browser) = chromium() else {
        if std::env::var_os("ARREARS_SKIP_BROWSER").is_some() {
            eprintln!("skipped: no Chromium and ARREARS_SKIP_BROWSER is set");
            return None;
        }
        panic!(
            "this test needs headless Chromium: run `.ci/test` (it installs Debian's `chromium` when missing), \
             or `apt-get install chromium`, or set ARREARS_CHROMIUM=/path/to/chrome; \
             ARREARS_SKIP_BROWSER=1 skips it"
        );
    };
    Some(browser)
}

/// Opens `page` (a report) with the harness in headless Chromium and returns what it found:
/// images, script errors, figures, the page's text.
fn open_in_browser(browser: &Path, tmp: &Path, page: &str) -> serde_json::Value {
    let harnessed = tmp.join("harnessed.html");
    std::fs::write(
        &harnessed,
        page.replacen("<head>", &format!("<head>\n{HARNESS}"), 1),
    )
    .unwrap();
    let dom = headless(
        browser,
        &tmp.join("profile"),
        &[
            "--virtual-time-budget=15000".into(),
            "--dump-dom".into(),
            format!("file://{}", harnessed.display()),
        ],
    );
    let json = dom
        .split("<pre id=\"harness-result\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "the page did not finish loading:\n{}",
                &dom[..dom.len().min(2000)]
            )
        });
    serde_json::from_str(&unescape(json)).unwrap()
}

#[test]
fn calibration_report_html_renders_in_chromium_with_its_charts_and_figures() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let result = tmp.path().join("calibration");
    let out = arrears(&[
        "calibrate",
        "scenarios/calibration/calibrate.toml",
        "--out",
        result.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let page = std::fs::read_to_string(result.join("report.html")).unwrap();
    assert!(!page.contains("<script"), "the report must have no scripts");
    let found = open_in_browser(&browser, tmp.path(), &page);
    assert_eq!(found["errors"], serde_json::json!([]), "script errors");
    assert_eq!(
        found["broken"],
        serde_json::json!([]),
        "images that did not load"
    );
    let segments = std::fs::read_dir(&result)
        .unwrap()
        .filter(|e| {
            let name = e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .into_owned();
            name.starts_with("transition_heatmap_") && name.ends_with(".png")
        })
        .count();
    // A heatmap per segment, the observed-against-fitted shares and the recovery curve.
    assert_eq!(found["images"].as_u64().unwrap() as usize, segments + 2);
    // Key figures as calibration.json has them: the loans and the rows read.
    let facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(result.join("calibration.json")).unwrap())
            .unwrap();
    let text = found["text"].as_str().unwrap();
    let loans = thousands(facts["data"]["loans"].as_f64().unwrap());
    let rows = thousands(facts["data"]["rows_read"].as_f64().unwrap());
    assert!(
        text.contains(&format!("Loans\t{loans}")) || text.contains(&format!("Loans\n{loans}")),
        "no loans {loans}"
    );
    assert!(
        text.contains(&format!("{rows} read")),
        "no rows read {rows}"
    );
    assert!(text.contains("Is one matrix enough?"));
}

#[test]
fn report_html_renders_in_chromium_with_every_image_and_the_summary_figures() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let result = tmp.path().join("disposition");
    let out = arrears(&[
        "run",
        "scenarios/disposition.toml",
        "--paths",
        "40",
        "--out",
        result.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let page = std::fs::read_to_string(result.join("report.html")).unwrap();

    // Self-contained: no scripts, nothing fetched from the network.
    assert!(!page.contains("<script"), "the report must have no scripts");
    for attr in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(attr), "the report must not fetch `{attr}`");
    }
    let pngs = std::fs::read_dir(&result)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".png")
        })
        .count();
    assert!(pngs >= 8, "expected the run's charts, found {pngs} PNGs");

    let harnessed = tmp.path().join("harnessed.html");
    std::fs::write(
        &harnessed,
        page.replacen("<head>", &format!("<head>\n{HARNESS}"), 1),
    )
    .unwrap();
    let profile = tmp.path().join("profile");
    let dom = headless(
        &browser,
        &profile,
        &[
            "--virtual-time-budget=15000".into(),
            "--dump-dom".into(),
            format!("file://{}", harnessed.display()),
        ],
    );
    let json = dom
        .split("<pre id=\"harness-result\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "the page did not finish loading:\n{}",
                &dom[..dom.len().min(2000)]
            )
        });
    let found: serde_json::Value = serde_json::from_str(&unescape(json)).unwrap();

    assert_eq!(found["errors"], serde_json::json!([]), "script errors");
    assert_eq!(
        found["broken"],
        serde_json::json!([]),
        "images that did not load"
    );
    assert_eq!(
        found["images"].as_u64().unwrap() as usize,
        pngs,
        "every chart of the folder is on the page"
    );
    for w in found["widths"].as_array().unwrap() {
        assert!(w.as_u64().unwrap() >= 1600, "chart image too small: {w}");
    }

    // The figures on the page are those of summary.json, exactly and as formatted.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(result.join("summary.json")).unwrap())
            .unwrap();
    let figures = found["figures"].as_array().unwrap();
    assert!(figures.len() >= 20, "{figures:?}");
    let mut seen = std::collections::BTreeSet::new();
    for f in figures {
        let key = f[0].as_str().unwrap();
        let shown_mean: f64 = f[1].as_str().unwrap().parse().unwrap();
        let text = f[2].as_str().unwrap();
        let s = &summary["figures"][key];
        seen.insert(key.to_string());
        if s["mean"].is_null() {
            // Undefined on every path (no defaults): JSON null, shown as n/a.
            assert!(shown_mean.is_nan() && text == "n/a ± n/a", "{key}: {text}");
            continue;
        }
        let (mean, se) = (s["mean"].as_f64().unwrap(), s["se"].as_f64().unwrap());
        assert_eq!(
            shown_mean, mean,
            "{key}: data-mean differs from summary.json"
        );
        let expected = if s["unit"] == "fraction" {
            format!("{:.2}% ± {:.3}%", 100.0 * mean, 100.0 * se)
        } else {
            format!("{} ± {}", thousands(mean), thousands(se))
        };
        assert_eq!(text, expected, "{key}: the page shows another figure");
    }
    let all: std::collections::BTreeSet<String> = summary["figures"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(seen, all, "every figure of summary.json is on the page");

    // It renders to a screenshot and prints to PDF.
    let shot = tmp.path().join("report.png");
    headless(
        &browser,
        &profile,
        &[
            "--window-size=1280,4000".into(),
            format!("--screenshot={}", shot.display()),
            format!("file://{}", result.join("report.html").display()),
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "{} bytes",
        png.len()
    );
    let pdf = tmp.path().join("report.pdf");
    headless(
        &browser,
        &profile,
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            format!("file://{}", result.join("report.html").display()),
        ],
    );
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let pages = pdf_pages(&bytes);
    assert!(pages >= 3, "the report printed to {pages} pages");
    // Keep the pictures for a person to look at.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(&shot, keep.join("report.png")).unwrap();
    std::fs::copy(&pdf, keep.join("report.pdf")).unwrap();
}
