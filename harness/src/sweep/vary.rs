//! `--vary FIELD=SPEC`: which config field a sweep varies and over which
//! values. SPEC is an inclusive range `from..to:step` (integers, decimals or
//! durations like `1s..5s:1s`) or a comma list `2,4,8,16`.

use std::fmt;
use std::time::Duration;

/// Short names accepted for the fields swept most often.
const SHORT_NAMES: [(&str, &str); 4] = [
    ("rate", "load.rate"),
    ("servers", "servers"),
    ("zipf", "workload.zipf"),
    ("keys", "workload.keys"),
];

/// A range may not expand to more points than this: a typo such as a step
/// of 1 instead of 100 should fail, not queue a week of runs.
const MAX_VALUES: usize = 10_000;

/// One varied field and its values, in sweep order.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// The full dotted config path.
    pub field: String,
    pub values: Vec<String>,
}

/// A `--vary` argument that cannot be used, and why.
#[derive(Debug, PartialEq)]
pub struct VaryError {
    pub arg: String,
    pub reason: String,
}

impl fmt::Display for VaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--vary {}: {}", self.arg, self.reason)
    }
}

impl std::error::Error for VaryError {}

impl Vary {
    /// Parses `FIELD=SPEC`.
    pub fn parse(arg: &str) -> Result<Vary, VaryError> {
        let fail = |reason: String| VaryError {
            arg: arg.to_string(),
            reason,
        };
        let (field, spec) = arg
            .split_once('=')
            .ok_or_else(|| fail("expected FIELD=SPEC, e.g. rate=500..6000:500".into()))?;
        let field = field.trim();
        if field.is_empty() || field.split('.').any(str::is_empty) {
            return Err(fail(format!("`{field}` is not a dotted config field")));
        }
        let field = SHORT_NAMES
            .iter()
            .find(|(short, _)| *short == field)
            .map_or(field, |(_, full)| full)
            .to_string();
        let spec = spec.trim();
        let values = if spec.contains("..") {
            range(spec).map_err(fail)?
        } else {
            list(spec).map_err(fail)?
        };
        Ok(Vary { field, values })
    }

    /// `field=value`, as a point's folder name and label.
    pub fn label(&self, value: &str) -> String {
        format!("{}={value}", self.field)
    }
}

fn list(spec: &str) -> Result<Vec<String>, String> {
    let values: Vec<String> = spec.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(format!(
            "`{spec}` has an empty value; give a list like 2,4,8 or a range like 500..6000:500"
        ));
    }
    for v in &values {
        if v.contains(['/', '\\']) || v.starts_with('.') {
            return Err(format!("value `{v}` cannot be part of a folder name"));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = values.iter().find(|v| !seen.insert(v.as_str())) {
        return Err(format!("value `{dup}` is listed twice"));
    }
    Ok(values)
}

fn range(spec: &str) -> Result<Vec<String>, String> {
    let (bounds, step) = match spec.rsplit_once(':') {
        Some((bounds, step)) => (bounds, Some(step.trim())),
        None => (spec, None),
    };
    let (from, to) = bounds
        .split_once("..")
        .map(|(a, b)| (a.trim(), b.trim()))
        .ok_or_else(|| format!("`{spec}` is not a range FROM..TO:STEP"))?;
    if let (Ok(a), Ok(b)) = (from.parse::<i64>(), to.parse::<i64>()) {
        let step = match step {
            None => 1,
            Some(s) => s
                .parse::<i64>()
                .map_err(|_| format!("step `{s}` of an integer range must be an integer"))?,
        };
        return steps(a as f64, b as f64, step as f64, |x| format!("{}", x as i64));
    }
    if let (Ok(a), Ok(b)) = (from.parse::<f64>(), to.parse::<f64>()) {
        let s = step.ok_or_else(|| format!("range `{spec}` of decimals needs a step (:STEP)"))?;
        let step = s
            .parse::<f64>()
            .map_err(|_| format!("step `{s}` is not a number"))?;
        let decimals = [from, to, s]
            .iter()
            .map(|t| t.split_once('.').map_or(0, |(_, d)| d.len()))
            .max()
            .unwrap_or(0);
        return steps(a, b, step, |x| format!("{x:.decimals$}"));
    }
    let duration = |t: &str| {
        humantime::parse_duration(t)
            .map_err(|_| format!("`{t}` is neither a number nor a duration like 500ms"))
    };
    let (a, b) = (duration(from)?, duration(to)?);
    let s = step.ok_or_else(|| format!("range `{spec}` of durations needs a step (:STEP)"))?;
    let step = duration(s)?;
    steps(
        a.as_micros() as f64,
        b.as_micros() as f64,
        step.as_micros() as f64,
        |us| humantime::format_duration(Duration::from_micros(us as u64)).to_string(),
    )
}

/// `from`, `from + step`, ... up to `to` inclusive, each written by `show`.
fn steps(
    from: f64,
    to: f64,
    step: f64,
    show: impl Fn(f64) -> String,
) -> Result<Vec<String>, String> {
    if !(step.is_finite() && step > 0.0) {
        return Err(format!("step must be positive, got {}", show(step)));
    }
    if to < from {
        return Err(format!(
            "range runs backwards: {} is below {}",
            show(to),
            show(from)
        ));
    }
    let count = ((to - from) / step + 1e-9).floor() as usize + 1;
    if count > MAX_VALUES {
        return Err(format!(
            "{count} values; at most {MAX_VALUES} per field (is the step right?)"
        ));
    }
    Ok((0..count).map(|i| show(from + step * i as f64)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(arg: &str) -> Vec<String> {
        Vary::parse(arg).unwrap().values
    }

    fn reason(arg: &str) -> String {
        Vary::parse(arg).unwrap_err().to_string()
    }

    #[test]
    fn ranges_are_inclusive_and_short_names_expand() {
        let v = Vary::parse("rate=500..2000:500").unwrap();
        assert_eq!(v.field, "load.rate");
        assert_eq!(v.values, ["500", "1000", "1500", "2000"]);
        assert_eq!(values("servers=2..4"), ["2", "3", "4"]);
        assert_eq!(values("zipf=0.5..0.9:0.2"), ["0.5", "0.7", "0.9"]);
        assert_eq!(values("load.duration=1s..3s:1s"), ["1s", "2s", "3s"]);
        assert_eq!(values("rate=100..250:100"), ["100", "200"]);
        assert_eq!(
            Vary::parse("workload.value_size=8,64").unwrap().field,
            "workload.value_size"
        );
    }

    #[test]
    fn lists_keep_their_order() {
        assert_eq!(values("servers=16, 2,4"), ["16", "2", "4"]);
        assert_eq!(values("load.mode=open,closed"), ["open", "closed"]);
    }

    #[test]
    fn malformed_specs_name_the_problem() {
        assert!(reason("rate").contains("expected FIELD=SPEC"));
        assert!(reason("=1,2").contains("not a dotted config field"));
        assert!(reason("load..rate=1").contains("not a dotted config field"));
        assert!(reason("rate=1,,2").contains("empty value"));
        assert!(reason("rate=5..1:1").contains("runs backwards"));
        assert!(reason("rate=1..5:0").contains("step must be positive"));
        assert!(reason("rate=1..5:x").contains("step `x`"));
        assert!(reason("zipf=0.1..0.5").contains("needs a step"));
        assert!(reason("rate=fast..slow:1").contains("neither a number nor a duration"));
        assert!(reason("rate=1..100000000:1").contains("at most"));
        assert!(reason("servers=2,2").contains("listed twice"));
        assert!(reason("workload.kind=a/b").contains("folder name"));
        assert!(reason("rate=5..1:1").starts_with("--vary rate=5..1:1: "));
    }
}
