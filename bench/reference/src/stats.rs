//! Exact percentiles from the sorted samples of a run (nanoseconds in, microseconds out) and
//! their JSON form, keyed as mqtk's report keys its latencies (`p50_us`, `p99_9_us`...).

/// Nearest rank: the smallest sample with at least p % of all samples at or below it (p in
/// hundredths of a percent, so 99.9 % is exact: 9990).
fn rank(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let r = (p * n).div_ceil(10_000);
    sorted[r.clamp(1, n) as usize - 1]
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

/// `{"count":N,"min_us":..,"p50_us":..,...,"max_us":..}` for the given percentiles, or null
/// when there is no sample. Sorts the samples in place.
pub fn summary(samples: &mut [u64], percentiles: &[(u64, &str)]) -> String {
    if samples.is_empty() {
        return "null".into();
    }
    samples.sort_unstable();
    let mut out = format!(
        "{{\"count\":{},\"min_us\":{}",
        samples.len(),
        us(samples[0])
    );
    for (p, key) in percentiles {
        out.push_str(&format!(",\"{key}\":{}", us(rank(samples, *p))));
    }
    let mean = samples.iter().map(|&x| x as f64).sum::<f64>() / samples.len() as f64;
    out.push_str(&format!(
        ",\"max_us\":{},\"mean_us\":{:.1}}}",
        us(*samples.last().unwrap()),
        mean / 1000.0
    ));
    out
}

pub const LATENCY: &[(u64, &str)] = &[
    (5000, "p50_us"),
    (9000, "p90_us"),
    (9900, "p99_us"),
    (9990, "p99_9_us"),
];
pub const LATENESS: &[(u64, &str)] = &[(5000, "p50_us"), (9900, "p99_us")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(rank(&v, 5000), 500);
        assert_eq!(rank(&v, 9900), 990);
        assert_eq!(rank(&v, 9990), 999);
        assert_eq!(rank(&v, 10_000), 1000);
        assert_eq!(rank(&[5], 5000), 5);
        assert_eq!(rank(&[1, 2, 3], 5000), 2);
    }

    #[test]
    fn json() {
        let mut v = vec![3000, 1000, 2000];
        assert_eq!(
            summary(&mut v, LATENESS),
            r#"{"count":3,"min_us":1.0,"p50_us":2.0,"p99_us":3.0,"max_us":3.0,"mean_us":2.0}"#
        );
        assert_eq!(summary(&mut [], LATENESS), "null");
    }
}
