//! `bench pubsub --find-max --slo 'p99<=20ms'`: the highest offered rate the broker
//! serves within a service level, with nothing lost. Each step is a whole paced run (its
//! own connections, a warmup, the measured window, the drain), judged on its corrected
//! end-to-end latency, so a queue that builds up counts from the time each message should
//! have gone out. Rates double until a step fails, then the interval between the last pass
//! and the first failure is halved until they are within --precision.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use super::plan::{Pace, Plan, Stop};
use super::{execute, Ran};
use crate::cli::{BenchMode, BenchSearchArgs};
use crate::error::Failure;
use crate::output::bench::{count, rate, time_us, Report};
use crate::output::escape::Escape;
use crate::output::stdio::Stdout;

/// The first rate tried when --rate does not say.
const FIRST_RATE: f64 = 1000.0;
/// A step without --warmup warms up this long: the first second of a run (connections
/// just made, caches cold) is not the broker's steady state.
const STEP_WARMUP: Duration = Duration::from_secs(2);
/// Steps at most: enough to go from 1/s to 10^9/s and narrow to 1 %.
const MAX_STEPS: usize = 40;

/// A latency bound: `p99<=20ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slo {
    /// The percentile (100: the maximum).
    pub percent: f64,
    pub limit: Duration,
}

impl Slo {
    pub fn parse(text: &str) -> Result<Slo, Failure> {
        let bad = || {
            Failure::Usage(format!(
                "--slo '{}': give a percentile, <= and a duration, e.g. 'p99<=20ms' (p50, p90, p99, p99.9, p99.99 or max)",
                crate::error::shorten(text)
            ))
        };
        let (what, limit) = text.split_once("<=").ok_or_else(bad)?;
        let percent = match what.trim() {
            "max" => 100.0,
            // The report's percentiles, exactly: p95 would have to be judged on p90 or p99.
            "p50" => 50.0,
            "p90" => 90.0,
            "p99" => 99.0,
            "p99.9" => 99.9,
            "p99.99" => 99.99,
            _ => return Err(bad()),
        };
        let limit = humantime::parse_duration(limit.trim()).map_err(|_| bad())?;
        Ok(Slo { percent, limit })
    }

    fn name(&self) -> String {
        if self.percent >= 100.0 {
            "max".into()
        } else {
            format!("p{}", self.percent)
        }
    }

    /// The step's value of the bound's percentile, in µs.
    fn measured_us(&self, report: &Report) -> Option<f64> {
        let s = report.latency.e2e_corrected?;
        Some(match self.percent {
            p if p >= 100.0 => s.max_us,
            p if p >= 99.99 => s.p99_99_us,
            p if p >= 99.9 => s.p99_9_us,
            p if p >= 99.0 => s.p99_us,
            p if p >= 90.0 => s.p90_us,
            _ => s.p50_us,
        })
    }
}

/// One step's verdict: None when it met the bound, else why not.
fn judge(slo: &Slo, report: &Report) -> Option<String> {
    let m = &report.messages;
    let lost = m.lost.unwrap_or(0) + m.outstanding.unwrap_or(0);
    let failed = report.clients.failed + report.clients.disconnected;
    if failed > 0 {
        return Some(format!("{failed} clients failed or were disconnected"));
    }
    if lost > 0 {
        return Some(format!("{} messages lost or not delivered", count(lost)));
    }
    // Late sends are in the corrected latency already; only a load mqtk did not put out
    // makes the step say nothing about the broker.
    let unsent = report.schedule.unsent.unwrap_or(0);
    if unsent > 0 || report.schedule.final_lag_ms.unwrap_or(0.0) > 10.0 {
        return Some(format!(
            "mqtk could not send at this rate ({} unsent; mqtk's limit, not the broker's)",
            count(unsent)
        ));
    }
    match slo.measured_us(report) {
        None => Some("nothing was delivered".into()),
        Some(us) if us > slo.limit.as_secs_f64() * 1e6 => Some(format!(
            "{} {} > {}",
            slo.name(),
            time_us(us),
            time_us(slo.limit.as_secs_f64() * 1e6)
        )),
        Some(_) => None,
    }
}

pub async fn run(mode: &BenchMode, args: &BenchSearchArgs) -> anyhow::Result<()> {
    let slo = Slo::parse(&args.slo)?;
    let base = Plan::from_args(mode)?;
    if !base.shard.is_whole() {
        return Err(Failure::Usage(
            "--find-max runs in one process: leave out --shard/--shards".into(),
        )
        .into());
    }
    if base.json.is_some() || base.hlog.is_some() {
        return Err(Failure::Usage(
            "--find-max prints one row per step: leave out --json and --hlog (run the rate it finds with them)".into(),
        )
        .into());
    }
    if let Stop::Count(_) = base.stop {
        return Err(Failure::Usage(
            "--find-max: each step lasts --warmup + --duration; leave out --count".into(),
        )
        .into());
    }
    let first = match base.pace {
        Pace::Rate(rate) => rate,
        Pace::Unlimited => FIRST_RATE,
        Pace::Interval(_) => {
            return Err(Failure::Usage(
                "--find-max steps the total rate: give the first one as --rate, not --interval"
                    .into(),
            )
            .into())
        }
    };
    let warmup = if base.warmup.is_zero() {
        STEP_WARMUP
    } else {
        base.warmup
    };
    let mut out = Stdout::new(4096);
    let mut line = |text: String| -> std::io::Result<()> {
        out.write_shown(text.as_bytes(), Escape::Text)?;
        out.write_all(b"\n")?;
        out.flush()
    };
    line(format!(
        "mqtk bench pubsub --find-max: {} publishers → {} subscribers, QoS {}, {}; each step {} warmup + {} measured; {} <= {} and nothing lost",
        base.publishers,
        base.subscribers,
        base.qos,
        base.conn.broker_display(),
        humantime::format_duration(warmup),
        humantime::format_duration(base.sending_time().unwrap_or_default() - base.warmup),
        slo.name(),
        time_us(slo.limit.as_secs_f64() * 1e6)
    ))?;
    line(format!(
        "{:>4}  {:>12}  {:>12}  {:>12}  {:>10}  {:>10}  {:>8}  verdict",
        "step",
        "offered",
        "sent",
        "received",
        "p50",
        slo.name(),
        "lost"
    ))?;
    let (mut pass, mut fail): (Option<f64>, Option<(f64, String)>) = (None, None);
    let mut next = first;
    for step in 1..=MAX_STEPS {
        let mut plan = base.clone();
        plan.set_pace(Pace::Rate(next));
        plan.warmup = warmup;
        let Ran {
            report,
            crashed,
            interrupted,
        } = execute(Arc::new(plan)).await?;
        let verdict = judge(&slo, &report);
        let m = &report.messages;
        let per_s = |x: Option<f64>| x.map(rate).unwrap_or_else(|| "-".into());
        let e2e = report.latency.e2e_corrected;
        line(format!(
            "{step:>4}  {:>12}  {:>12}  {:>12}  {:>10}  {:>10}  {:>8}  {}",
            rate(next),
            per_s(report.rates.sent),
            per_s(report.rates.received),
            e2e.map_or("-".into(), |s| time_us(s.p50_us)),
            slo.measured_us(&report).map_or("-".into(), time_us),
            count(m.lost.unwrap_or(0) + m.outstanding.unwrap_or(0)),
            verdict.as_deref().unwrap_or("met")
        ))?;
        if crashed > 0 {
            return Err(Failure::Internal(format!(
                "bench: {crashed} clients' tasks failed in step {step}"
            ))
            .into());
        }
        if interrupted {
            return Err(Failure::Interrupted.into());
        }
        // A client that failed says nothing about the rate: lower rates would not mend it.
        let failed = report.clients.failed + report.clients.disconnected;
        if failed > 0 {
            return Err(Failure::BenchDegraded(format!(
                "bench: --find-max: {failed} clients failed or were disconnected in step {step}; the search stops (the report of a plain run at {} says why)",
                rate(next)
            ))
            .into());
        }
        match verdict {
            None => pass = Some(next),
            Some(why) => fail = Some((next, why)),
        }
        next = match (pass, &fail) {
            (Some(_), None) => next * 2.0,
            (None, Some((failed, _))) if *failed / 2.0 >= 0.01 => failed / 2.0,
            (None, _) => break,
            (Some(lo), Some((hi, _))) if (hi - lo) / lo * 100.0 <= args.precision => break,
            (Some(lo), Some((hi, _))) => (lo + hi) / 2.0,
        };
    }
    match (pass, fail) {
        (Some(lo), Some((hi, why))) => {
            line(format!(
                "Highest rate that met {} <= {} with nothing lost: {} offered; first that did not: {} ({why})",
                slo.name(),
                time_us(slo.limit.as_secs_f64() * 1e6),
                rate(lo),
                rate(hi)
            ))?;
            Ok(())
        }
        (Some(lo), None) => Err(Failure::BenchDegraded(format!(
            "bench: --find-max: every step met the bound, up to {} offered, after {MAX_STEPS} steps; start higher with --rate",
            rate(lo)
        ))
        .into()),
        (None, _) => Err(Failure::BenchDegraded(format!(
            "bench: --find-max: no rate from {} down met {} <= {}",
            rate(first),
            slo.name(),
            time_us(slo.limit.as_secs_f64() * 1e6)
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_levels_parse_and_refuse_naming_the_flag() {
        let slo = Slo::parse("p99<=20ms").unwrap();
        assert_eq!((slo.percent, slo.limit), (99.0, Duration::from_millis(20)));
        assert_eq!(Slo::parse(" p99.9 <= 1s ").unwrap().percent, 99.9);
        assert_eq!(Slo::parse("max<=5ms").unwrap().percent, 100.0);
        for bad in [
            "p99<20ms",
            "p100<=1ms",
            "q99<=1ms",
            "p99<=soon",
            "p95<=1ms",
            "",
        ] {
            let e = Slo::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("--slo '"), "{bad}: {e}");
        }
    }
}
