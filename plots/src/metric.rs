//! Axis descriptions, with units, for summary columns and config fields.

/// A summary column as an axis: its description and the divisor from the
/// column's unit to the axis unit (latencies are stored in µs, drawn in ms).
pub(crate) fn column_axis(column: &str) -> (String, f64) {
    let latency = |what: &str| (format!("{what} latency (ms)"), 1000.0);
    match column {
        "p50_us" => latency("p50 workflow"),
        "p90_us" => latency("p90 workflow"),
        "p95_us" => latency("p95 workflow"),
        "p99_us" => latency("p99 workflow"),
        "p999_us" => latency("p99.9 workflow"),
        "max_us" => latency("max workflow"),
        "mean_us" => latency("mean workflow"),
        "op_mean_us" => latency("mean operation"),
        "op_p99_us" => latency("p99 operation"),
        "throughput_wf_s" => ("throughput (workflows/s)".into(), 1.0),
        "throughput_ops_s" => ("throughput (operations/s)".into(), 1.0),
        "offered_wf_s" => ("offered load (workflows/s)".into(), 1.0),
        "cpu_us_per_wf" => ("server CPU per workflow (µs)".into(), 1.0),
        "cpu_pct" => ("CPU (% of one core)".into(), 1.0),
        "rss_mb" => ("resident memory (MB)".into(), 1.0),
        "hit_ratio" => ("cache hit ratio".into(), 1.0),
        "msgs_per_wf" => ("messages per workflow".into(), 1.0),
        "bytes_per_wf" => ("bytes sent per workflow".into(), 1.0),
        "metadata_bytes_per_key" => ("metadata per key (bytes)".into(), 1.0),
        "runtime_lag_us" => ("runtime lag (µs)".into(), 1.0),
        "anomaly_rate" => ("anomaly rate (share of workflows)".into(), 1.0),
        "server_util_mean" => ("mean server utilisation (busy share)".into(), 1.0),
        "server_util_max" => ("max server utilisation (busy share)".into(), 1.0),
        "queue_peak" => ("peak queue length (messages)".into(), 1.0),
        "invariant_violations" => ("invariant violations".into(), 1.0),
        other => (other.to_string(), 1.0),
    }
}

/// A varied config field as the x axis.
pub(crate) fn field_axis(field: &str) -> String {
    match field {
        "load.rate" => "offered load (workflows/s)".into(),
        "load.concurrency" => "workflows in flight".into(),
        "servers" => "cache servers".into(),
        "workload.zipf" => "Zipf skew of key popularity".into(),
        "workload.keys" => "keys".into(),
        "workload.value_size" => "value size (bytes)".into(),
        "workload.functions_count" => "functions per workflow".into(),
        "workload.token_fraction" => "fraction of conflicting operations run with tokens".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_drawn_in_milliseconds() {
        assert_eq!(
            column_axis("p99_us"),
            ("p99 workflow latency (ms)".into(), 1000.0)
        );
        assert_eq!(column_axis("made_up").0, "made_up");
        assert_eq!(field_axis("load.rate"), "offered load (workflows/s)");
    }
}
