//! `REPORT.md`: per figure the paper's numbers, ours, the ratios between
//! designs in both, and a verdict; the headline claims first. Every verdict
//! is computed from the data; the explanations of where and why our set-up
//! differs from the paper's are documented text keyed by figure
//! (`workloads/paper/explanations.toml`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::experiments::Experiment;
use super::measured::Measured;
use super::reference::{Point, Reference};
use super::verdict::{Agreement, compare};
use super::visibility;
use super::{CAUSALMESH, higher_is_better, published_version};
use crate::checker::history::read_jsonl;
use crate::results;
use crate::sweep::POINTS_DIR;

pub const REPORT_FILE: &str = "REPORT.md";

/// What the report is made from.
pub struct Inputs {
    /// The folder holding one sweep folder per figure.
    pub dir: PathBuf,
    pub experiments: Vec<Experiment>,
    pub reference: Reference,
    /// Documented explanations by figure.
    pub explanations: BTreeMap<String, String>,
}

/// Reads `explanations.toml`: a table of figure = "text".
pub fn load_explanations(path: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Builds the report and writes it atomically to `<dir>/REPORT.md`.
pub fn write(inputs: &Inputs) -> Result<PathBuf> {
    let text = build(inputs)?;
    let path = inputs.dir.join(REPORT_FILE);
    results::write_atomically(&path, |w| w.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// CausalMesh's advantage over `other` on `metric`: above 1 when CausalMesh
/// is better (lower latency or CPU, higher throughput).
fn advantage(metric: &str, causalmesh: f64, other: f64) -> Option<f64> {
    let (num, den) = if higher_is_better(metric) {
        (causalmesh, other)
    } else {
        (other, causalmesh)
    };
    (num > 0.0 && den > 0.0).then(|| num / den)
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), num)
}

fn ratio_cell(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |r| format!("{r:.2}x"))
}

fn x_cell(x: Option<f64>) -> String {
    x.map_or_else(|| "knee".to_string(), num)
}

/// One figure's sweep, if it ran.
struct Figure<'a> {
    experiment: &'a Experiment,
    measured: Option<Measured>,
}

impl Figure<'_> {
    fn ours(&self, design: &str, metric: &str, x: Option<f64>) -> Option<f64> {
        self.measured.as_ref()?.value(design, metric, x)
    }

    fn has(&self, design: &str) -> bool {
        self.measured
            .as_ref()
            .is_some_and(|m| m.designs().iter().any(|d| d == design))
    }
}

/// A ratio of CausalMesh against one design, the paper's and ours.
struct Ratio {
    metric: String,
    x: Option<f64>,
    design: String,
    paper: f64,
    ours: Option<f64>,
    /// Ours against the published version of a `-cm` design.
    published: Option<(String, Option<f64>)>,
}

fn ratios(reference: &Reference, figure: &str, f: &Figure) -> Vec<Ratio> {
    let mut out = Vec::new();
    for p in reference.figure(figure) {
        if p.design == CAUSALMESH {
            continue;
        }
        let Some(cm) = reference.value(figure, CAUSALMESH, &p.metric, p.x) else {
            continue;
        };
        let Some(paper) = advantage(&p.metric, cm, p.value) else {
            continue;
        };
        let ours_cm = f.ours(CAUSALMESH, &p.metric, p.x);
        let ours_vs = |design: &str| {
            ours_cm.and_then(|c| advantage(&p.metric, c, f.ours(design, &p.metric, p.x)?))
        };
        out.push(Ratio {
            metric: p.metric.clone(),
            x: p.x,
            design: p.design.clone(),
            paper,
            ours: ours_vs(&p.design),
            published: published_version(&p.design)
                .filter(|d| f.has(d))
                .map(|d| (d.to_string(), ours_vs(d))),
        });
    }
    out
}

/// How a design's metric moves from the paper's first x to its last: the
/// ratio of the two values, or their difference when the first is zero.
struct Trend {
    design: String,
    metric: String,
    from: f64,
    to: f64,
    paper: f64,
    ours: Option<f64>,
    difference: bool,
}

impl Trend {
    fn show(&self, v: f64) -> String {
        if self.difference {
            format!("{v:+.2}")
        } else {
            format!("{v:.2}x")
        }
    }

    fn agreement(&self) -> Option<Agreement> {
        let ours = self.ours?;
        if !self.difference {
            return Some(compare(ours, self.paper));
        }
        // From zero only the direction compares.
        Some(if (ours > 0.0) == (self.paper > 0.0) {
            Agreement::SameDirection
        } else {
            Agreement::Opposite
        })
    }
}

fn trends(reference: &Reference, figure: &str, f: &Figure) -> Vec<Trend> {
    let mut series: BTreeMap<(String, String), Vec<&Point>> = BTreeMap::new();
    for p in reference.figure(figure).filter(|p| p.x.is_some()) {
        series
            .entry((p.design.clone(), p.metric.clone()))
            .or_default()
            .push(p);
    }
    let mut out = Vec::new();
    for ((design, metric), mut points) in series {
        points.sort_by(|a, b| a.x.unwrap_or(0.0).total_cmp(&b.x.unwrap_or(0.0)));
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            continue;
        };
        if points.len() < 2 || first.value < 0.0 {
            continue;
        }
        let difference = first.value == 0.0;
        let ours = match (
            f.ours(&design, &metric, first.x),
            f.ours(&design, &metric, last.x),
        ) {
            (Some(a), Some(b)) if difference => Some(b - a),
            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
            _ => None,
        };
        out.push(Trend {
            difference,
            paper: if difference {
                last.value - first.value
            } else {
                last.value / first.value
            },
            from: first.x.unwrap_or(0.0),
            to: last.x.unwrap_or(0.0),
            design,
            metric,
            ours,
        });
    }
    out
}

/// The figure's verdict from its comparisons as the paper ran them.
fn verdict(agreements: &[(String, Agreement)]) -> (bool, Vec<String>) {
    let opposite: Vec<String> = agreements
        .iter()
        .filter(|(_, a)| *a == Agreement::Opposite)
        .map(|(what, _)| what.clone())
        .collect();
    (opposite.is_empty(), opposite)
}

fn agreement_cell(ours: Option<f64>, paper: f64) -> (String, Option<Agreement>) {
    match ours {
        Some(o) => {
            let a = compare(o, paper);
            (a.label().to_string(), Some(a))
        }
        None => ("not measured".to_string(), None),
    }
}

/// Builds the whole report.
pub fn build(inputs: &Inputs) -> Result<String> {
    let mut figures: Vec<Figure> = Vec::new();
    for e in &inputs.experiments {
        let x_field = e.x_field().unwrap_or_default();
        figures.push(Figure {
            experiment: e,
            measured: Measured::load(&inputs.dir.join(&e.figure), x_field)?,
        });
    }
    let mut md = String::new();
    let _ = writeln!(md, "# CausalMesh (PVLDB 17(13)) reproduced: report\n");
    let _ = writeln!(
        md,
        "Generated by `cmbench report` from the sweeps in this folder and \
         `workloads/paper/reference.toml`, at git revision `{}`. Ratios are \
         CausalMesh's advantage over the other design (above 1: CausalMesh \
         has the lower latency, CPU or memory, or the higher throughput); a \
         ratio agrees when it is on the paper's side of 1 (within {:.0}% of 1 \
         counts as on par) and within {:.0}% of the paper's. A figure agrees \
         when none of its ratios or trends is on the opposite side. Latencies \
         in ms, rates in workflows/s.\n",
        results::git_revision(),
        super::verdict::PAR * 100.0,
        super::verdict::TOLERANCE * 100.0
    );
    headline(&mut md, inputs, &figures);
    for f in &figures {
        figure_section(&mut md, inputs, f)?;
    }
    Ok(md)
}

fn find<'a>(figures: &'a [Figure<'a>], name: &str) -> Option<&'a Figure<'a>> {
    figures.iter().find(|f| f.experiment.figure == name)
}

/// The headline claims, each measured within one sweep.
fn headline(md: &mut String, inputs: &Inputs, figures: &[Figure]) {
    let r = &inputs.reference;
    let _ = writeln!(md, "## Headline claims\n");
    let _ = writeln!(
        md,
        "| claim | against | paper | ours | verdict |\n|---|---|---|---|---|"
    );
    if let Some(micro) = find(figures, "F-micro") {
        let paper = r.claim("throughput_vs_hydrocache_con").unwrap_or(1.8);
        for d in ["hydrocache-con-cm", "hydrocache-con"] {
            let ours = micro
                .ours(CAUSALMESH, "knee", None)
                .zip(micro.ours(d, "knee", None))
                .and_then(|(c, o)| advantage("knee", c, o));
            let (v, _) = agreement_cell(ours, paper);
            let _ = writeln!(
                md,
                "| ~1.8x the throughput of HydroCache-Con (knee ratio, F-micro) | {d} | {paper:.2}x | {} | {v} |",
                ratio_cell(ours)
            );
        }
        let designs = micro
            .measured
            .as_ref()
            .map(Measured::designs)
            .unwrap_or_default();
        for d in designs.iter().filter(|d| *d != CAUSALMESH) {
            let paper_design = if r.value("F-micro", d, "p50", Some(1000.0)).is_some() {
                Some(d.clone())
            } else {
                Some(format!("{d}-cm"))
            };
            let paper = paper_design.and_then(|pd| {
                advantage(
                    "p50",
                    r.value("F-micro", CAUSALMESH, "p50", Some(1000.0))?,
                    r.value("F-micro", &pd, "p50", Some(1000.0))?,
                )
            });
            let ours = micro
                .ours(CAUSALMESH, "p50", Some(1000.0))
                .zip(micro.ours(d, "p50", Some(1000.0)))
                .and_then(|(c, o)| advantage("p50", c, o));
            let verdict = match (ours, paper) {
                (Some(o), Some(p)) => compare(o, p).label().to_string(),
                (Some(o), None) if o > 1.0 => "holds (no paper number)".to_string(),
                (Some(_), None) => "does not hold (no paper number)".to_string(),
                (None, _) => "not measured".to_string(),
            };
            let _ = writeln!(
                md,
                "| lower p50 than every baseline at 1000 req/s (F-micro) | {d} | {} | {} | {verdict} |",
                ratio_cell(paper),
                ratio_cell(ours)
            );
        }
    }
    if let Some(servers) = find(figures, "F-servers") {
        for d in [CAUSALMESH, "causalmesh-tcc"] {
            let paper = r
                .value("F-servers", d, "throughput_per_server", Some(16.0))
                .zip(r.value("F-servers", d, "throughput_per_server", Some(2.0)))
                .map(|(a, b)| a / b);
            let per_server = |x: f64| servers.ours(d, "throughput_per_server", Some(x));
            let ours = per_server(16.0).zip(per_server(2.0)).map(|(a, b)| a / b);
            let far = servers
                .measured
                .as_ref()
                .and_then(|m| m.xs().last().copied())
                .filter(|&x| x > 16.0);
            let beyond = far
                .and_then(|x| Some((x, per_server(x)? / per_server(2.0)?)))
                .map(|(x, e)| format!("; {e:.2} at {x:.0} servers"))
                .unwrap_or_default();
            let verdict = match (ours, paper) {
                (Some(o), Some(p)) => compare(o, p).label(),
                _ => "not measured",
            };
            let _ = writeln!(
                md,
                "| near-linear scaling: per-server throughput at 16 over 2 servers (F-servers) | {d} | {} | {}{beyond} | {verdict} |",
                paper.map_or("–".into(), |p| format!("{p:.2}")),
                ours.map_or("–".into(), |o| format!("{o:.2}"))
            );
        }
    }
    let _ = writeln!(
        md,
        "\nThe paper's \"up to {}% lower average latency\" cannot be checked \
         against its own data (the published CSVs hold no means).\n",
        r.claim("lower_average_latency_pct").unwrap_or(32.0)
    );
}

fn figure_section(md: &mut String, inputs: &Inputs, f: &Figure) -> Result<()> {
    let e = f.experiment;
    let _ = writeln!(md, "## {}\n", e.figure);
    let _ = writeln!(
        md,
        "Sweep: `{}` over `{}` (folder `{}/`).\n",
        e.config.display(),
        e.vary.join("` and `"),
        e.figure
    );
    if f.measured.is_none() {
        let _ = writeln!(md, "Not run: no `{}/sweep.csv`.\n", e.figure);
        return Ok(());
    }
    let mut agreements: Vec<(String, Agreement)> = Vec::new();
    let mut any_reference = false;
    for figure in e.reference_figures() {
        if inputs.reference.figure(figure).next().is_none() {
            continue;
        }
        any_reference = true;
        numbers_table(md, &inputs.reference, figure, f);
        ratios_table(md, &inputs.reference, figure, f, &mut agreements);
        trends_table(md, &inputs.reference, figure, f, &mut agreements);
    }
    if e.figure.starts_with("F-visibility") {
        visibility_table(md, inputs, f)?;
    }
    if !any_reference {
        let _ = writeln!(md, "The paper publishes no number for this figure.\n");
    }
    plots(md, inputs, f);
    let explanation = inputs.explanations.get(&e.figure);
    if any_reference {
        let (agrees, opposite) = verdict(&agreements);
        let measured = agreements.len();
        if measured == 0 {
            let _ = writeln!(
                md,
                "**Verdict: not comparable** — no ratio or trend could be measured.\n"
            );
        } else if agrees {
            let _ = writeln!(
                md,
                "**Verdict: agrees** — all {measured} comparisons on the paper's side ({} within tolerance).\n",
                agreements
                    .iter()
                    .filter(|(_, a)| *a == Agreement::Agrees)
                    .count()
            );
        } else {
            let _ = writeln!(
                md,
                "**Verdict: differs** — {} of {measured} comparisons on the opposite side: {}.\n",
                opposite.len(),
                opposite.join("; ")
            );
        }
    }
    if let Some(text) = explanation {
        let _ = writeln!(md, "{}\n", text.trim());
    }
    Ok(())
}

/// The figure's numbers, one row per design and x, a paper/ours pair of
/// columns per metric; a `-cm` design's cell also gives ours for its
/// published version.
fn numbers_table(md: &mut String, r: &Reference, figure: &str, f: &Figure) {
    let _ = writeln!(md, "### {figure}: the paper's numbers and ours\n");
    pivot(md, r, figure, f, true);
    pivot(md, r, figure, f, false);
}

/// The points with an x (`at_x`) or the knees, pivoted per metric.
fn pivot(md: &mut String, r: &Reference, figure: &str, f: &Figure, at_x: bool) {
    let mut metrics: Vec<(String, String)> = Vec::new();
    let mut rows: Vec<(String, Option<f64>)> = Vec::new();
    for p in r.figure(figure).filter(|p| p.x.is_some() == at_x) {
        if !metrics.iter().any(|(m, _)| *m == p.metric) {
            metrics.push((p.metric.clone(), p.unit.clone()));
        }
        let row = (p.design.clone(), p.x);
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = write!(md, "| design | x |");
    for (m, unit) in &metrics {
        let _ = write!(md, " {m} ({unit}), paper | ours |");
    }
    let _ = writeln!(md, "\n|---|---|{}", "---|---|".repeat(metrics.len()));
    for (design, x) in rows {
        let _ = write!(md, "| {design} | {} |", x_cell(x));
        for (m, _) in &metrics {
            let mut ours = cell(f.ours(&design, m, x));
            if let Some(p) = published_version(&design).filter(|d| f.has(d)) {
                let _ = write!(ours, " ({p}: {})", cell(f.ours(p, m, x)));
            }
            let _ = write!(md, " {} | {ours} |", cell(r.value(figure, &design, m, x)));
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md);
}

fn ratios_table(
    md: &mut String,
    r: &Reference,
    figure: &str,
    f: &Figure,
    agreements: &mut Vec<(String, Agreement)>,
) {
    let rows = ratios(r, figure, f);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### {figure}: CausalMesh's advantage\n\n| against | x | metric | paper | ours | verdict | ours vs the published version |\n|---|---|---|---|---|---|---|"
    );
    let total = rows.len();
    let measured: Vec<Ratio> = rows
        .into_iter()
        .filter(|r| r.ours.is_some() || r.published.as_ref().is_some_and(|(_, v)| v.is_some()))
        .collect();
    let unmeasured = total - measured.len();
    for row in measured {
        let (label, agreement) = agreement_cell(row.ours, row.paper);
        if let Some(a) = agreement {
            agreements.push((
                format!(
                    "{} vs {} at {} (paper {:.2}x, ours {})",
                    row.metric,
                    row.design,
                    x_cell(row.x),
                    row.paper,
                    ratio_cell(row.ours)
                ),
                a,
            ));
        }
        let published = row
            .published
            .map(|(d, v)| {
                let (l, _) = agreement_cell(v, row.paper);
                format!("{d}: {} ({l})", ratio_cell(v))
            })
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.2}x | {} | {label} | {published} |",
            row.design,
            x_cell(row.x),
            row.metric,
            row.paper,
            ratio_cell(row.ours)
        );
    }
    if unmeasured > 0 {
        let _ = writeln!(
            md,
            "\n{unmeasured} more of the paper's ratios fall on points this sweep did not run."
        );
    }
    let _ = writeln!(md);
}

fn trends_table(
    md: &mut String,
    r: &Reference,
    figure: &str,
    f: &Figure,
    agreements: &mut Vec<(String, Agreement)>,
) {
    let rows: Vec<Trend> = trends(r, figure, f)
        .into_iter()
        .filter(|t| t.ours.is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### {figure}: trends (value at the last x over the first; its change when the first is 0)\n\n| design | metric | x | paper | ours | verdict |\n|---|---|---|---|---|---|"
    );
    for t in rows {
        let agreement = t.agreement();
        let ours = t.ours.map_or_else(|| "–".to_string(), |o| t.show(o));
        if let Some(a) = agreement {
            agreements.push((
                format!(
                    "{} of {} from {} to {} (paper {}, ours {ours})",
                    t.metric,
                    t.design,
                    num(t.from),
                    num(t.to),
                    t.show(t.paper)
                ),
                a,
            ));
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} → {} | {} | {ours} | {} |",
            t.design,
            t.metric,
            num(t.from),
            num(t.to),
            t.show(t.paper),
            agreement.map_or("–", Agreement::label)
        );
    }
    let _ = writeln!(md);
}

/// Visibility per design and point, from the histories.
fn visibility_table(md: &mut String, inputs: &Inputs, f: &Figure) -> Result<()> {
    let Some(m) = &f.measured else {
        return Ok(());
    };
    let _ = writeln!(
        md,
        "### Time until a write at server 0 is visible (median µs; unseen = probes whose reader never returned the write within its polls)\n\n| design | servers | tail (server N-1) | unseen at the tail | other servers | unseen at others |\n|---|---|---|---|---|---|"
    );
    let folder = inputs.dir.join(&f.experiment.figure).join(POINTS_DIR);
    for (x, text) in m.points() {
        let servers = x as usize;
        let point = folder.join(format!("{}={text}", m.x_field));
        for design in m.designs() {
            let path = point.join(format!("{design}.history.jsonl"));
            if !path.is_file() {
                continue;
            }
            let history = read_jsonl(&path)?;
            let v = visibility::measure(&history, servers);
            let pct = |w: &visibility::Window| {
                if w.probes == 0 {
                    "–".to_string()
                } else {
                    format!("{:.1}%", 100.0 * w.unseen as f64 / w.probes as f64)
                }
            };
            let _ = writeln!(
                md,
                "| {design} | {servers} | {} | {} | {} | {} |",
                cell(v.tail.median_us),
                pct(&v.tail),
                cell(v.others.median_us),
                pct(&v.others)
            );
        }
    }
    let _ = writeln!(md);
    Ok(())
}

/// Links the figure's plots (PNG files of its sweep folder).
fn plots(md: &mut String, inputs: &Inputs, f: &Figure) {
    let dir = inputs.dir.join(&f.experiment.figure);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut pngs: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    for png in pngs {
        let _ = writeln!(md, "![{png}]({}/{png})", f.experiment.figure);
    }
    let _ = writeln!(md);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advantage_is_above_one_when_causalmesh_is_better() {
        assert_eq!(advantage("p50", 4.0, 6.0), Some(1.5));
        assert_eq!(advantage("knee", 5500.0, 2750.0), Some(2.0));
        assert_eq!(advantage("p50", 0.0, 6.0), None);
    }

    /// A two-design F-micro sweep against a two-point reference.
    fn inputs(dir: &Path, cm_knee: &str) -> Inputs {
        let figure = dir.join("F-micro");
        std::fs::create_dir_all(&figure).unwrap();
        std::fs::write(
            figure.join("sweep.csv"),
            "design,load.rate,p50_us,p99_us,throughput_wf_s\n\
             causalmesh,1000,4000,8000,1000\n\
             hydrocache-con-cm,1000,6000,9000,1000\n",
        )
        .unwrap();
        std::fs::write(
            figure.join("knees.csv"),
            format!(
                "design,knee_rate,low_load_p99_us\ncausalmesh,{cm_knee},8000\nhydrocache-con-cm,3000,9000\n"
            ),
        )
        .unwrap();
        let reference: Reference = toml::from_str(
            r#"
            [claims]
            throughput_vs_hydrocache_con = 1.8
            [[point]]
            figure = "F-micro"
            design = "causalmesh"
            x_name = "rate"
            x = 1000
            metric = "p50"
            unit = "ms"
            value = 4.8
            [[point]]
            figure = "F-micro"
            design = "hydrocache-con-cm"
            x_name = "rate"
            x = 1000
            metric = "p50"
            unit = "ms"
            value = 6.3
            [[point]]
            figure = "F-micro"
            design = "causalmesh"
            metric = "knee"
            unit = "wf/s"
            value = 5500
            [[point]]
            figure = "F-micro"
            design = "hydrocache-con-cm"
            metric = "knee"
            unit = "wf/s"
            value = 3000
            "#,
        )
        .unwrap();
        let experiments: Vec<Experiment> = toml::from_str::<toml::Table>(
            r#"
            figure = "F-micro"
            config = "F-micro.toml"
            vary = ["load.rate=1000..6000:500"]
            quick_vary = ["load.rate=1000"]
            "#,
        )
        .unwrap()
        .try_into()
        .map(|e| vec![e])
        .unwrap();
        Inputs {
            dir: dir.to_path_buf(),
            experiments,
            reference,
            explanations: BTreeMap::from([("F-micro".to_string(), "Simulated.".to_string())]),
        }
    }

    #[test]
    fn the_report_sets_our_ratios_next_to_the_papers() {
        let dir = std::env::temp_dir().join(format!("cmbench-report-{}", std::process::id()));
        let agreeing = build(&inputs(&dir, "5000")).unwrap();
        assert!(
            agreeing.contains("| hydrocache-con-cm | 1000 | p50 | 1.31x | 1.50x | agrees |"),
            "{agreeing}"
        );
        assert!(agreeing.contains("| hydrocache-con-cm | 1.80x | 1.67x | agrees |"));
        assert!(agreeing.contains("**Verdict: agrees**"));
        assert!(agreeing.contains("Simulated."));
        let opposite = build(&inputs(&dir, "2000")).unwrap();
        assert!(opposite.contains("**Verdict: differs** — 1 of 2 comparisons"));
        assert!(opposite.contains("knee vs hydrocache-con-cm at knee"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_figure_differs_only_when_a_comparison_is_opposite() {
        let same = vec![
            ("a".to_string(), Agreement::Agrees),
            ("b".to_string(), Agreement::SameDirection),
        ];
        assert_eq!(verdict(&same), (true, Vec::new()));
        let mut opposite = same.clone();
        opposite.push(("c".to_string(), Agreement::Opposite));
        assert_eq!(verdict(&opposite), (false, vec!["c".to_string()]));
    }
}
