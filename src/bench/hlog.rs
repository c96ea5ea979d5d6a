//! `--hlog FILE`: the headline latency as HdrHistogram's interval log (format 1.3), one
//! histogram per second of the run, so HistogramLogAnalyzer, HdrHistogram's
//! HistogramLogProcessor and their kin read mqtk's runs. Values are nanoseconds; each line's
//! `Interval_Max` is in milliseconds, as HdrHistogram's own writers scale it.

use std::time::Duration;

use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;

use super::stats::Latency;
use crate::output::bench::Report;

/// The interval log of a report's per-second histograms (a run's or a merge's).
pub fn interval_log(report: &Report) -> String {
    let origin_us = report
        .evidence
        .shards
        .iter()
        .filter(|s| s.reported)
        .map(|s| s.start_us)
        .min()
        .unwrap_or(0);
    let mut out = Vec::new();
    out.extend_from_slice(b"#[Histogram log format version 1.3]\n");
    out.extend_from_slice(
        format!(
            "#[StartTime: {:.3} (seconds since epoch), {}]\n",
            origin_us as f64 / 1e6,
            report.started_at
        )
        .as_bytes(),
    );
    out.extend_from_slice(
        format!(
            "#[mqtk bench {}: the headline latency in ns, one histogram a second]\n",
            report.mode
        )
        .as_bytes(),
    );
    out.extend_from_slice(
        b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
    );
    let mut serializer = V2DeflateSerializer::new();
    let Ok(mut log) = IntervalLogWriterBuilder::new()
        .with_max_value_divisor(1e6)
        .begin_log_with(&mut out, &mut serializer)
    else {
        return String::new();
    };
    for second in &report.series {
        let Some(latency) = second.latency.as_deref().and_then(Latency::decode) else {
            continue;
        };
        let end = Duration::from_micros(second.at_us.saturating_sub(origin_us));
        let start = end.saturating_sub(Duration::from_secs(1));
        let _ = log.write_histogram(latency.histogram(), start, end - start, None);
    }
    drop(log);
    String::from_utf8(out).unwrap_or_default()
}
