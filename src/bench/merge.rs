//! `mqtk bench merge`: the shards' JSON reports of one run become the report one process
//! would have written. Counts and histograms add, each publisher's sequence is accounted
//! against every subscriber that should have seen it whichever shard each ran on, the
//! seconds line up by wall-clock time, and a shard whose report is missing is reported as
//! that shard's failure.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::evidence::{Evidence, Shape, ShardOf, ShardRecord};
use super::plan::{Mode, Pace, Stop};
use super::report::{self, missing_shard, Parts, Totals, CRASHED};
use super::stats::Latency;
use super::Outputs;
use crate::cli::BenchMergeArgs;
use crate::error::{io_reason, shorten_path, Failure};
use crate::output::bench::{Config, Report, Second};

pub fn run(args: &BenchMergeArgs) -> anyhow::Result<()> {
    super::stats::reset_read_budget();
    let mut inputs = Vec::new();
    for path in &args.reports {
        inputs.extend(read(path)?);
    }
    let report = merge(inputs)?;
    // Created once the inputs are read: `--json merged.json` may be one of them (a merge
    // that takes in a late shard).
    let mut outputs = Outputs::create(args.json.as_deref(), args.hlog.as_deref())?;
    outputs.write(&report)?;
    // As the run would: a shard stopped by a signal makes the run an interrupted one.
    if report.interrupted {
        return Err(Failure::Interrupted.into());
    }
    super::verdict(&report, shape_of(&report.mode, &report.config)?.pace)
}

/// One report and where it came from (for error lines).
pub struct Input {
    pub name: String,
    pub report: Report,
}

/// The reports in a file, or on stdin for `-`: a whole JSON document, else one report per
/// line (what `--json -` prints, `kubectl logs` collects, with other lines in between).
fn read(path: &Path) -> Result<Vec<Input>, Failure> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "stdin".to_string()
    } else {
        shorten_path(path)
    };
    let mut text = String::new();
    let read = if stdin {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text).map(|_| ()))
    };
    read.map_err(|e| Failure::NoInput(format!("{name}: cannot read it ({})", io_reason(&e))))?;
    if let Ok(report) = serde_json::from_str::<Report>(text.trim()) {
        return Ok(vec![Input { name, report }]);
    }
    let mut found = Vec::new();
    let mut broken = None;
    for (number, line) in text.lines().enumerate() {
        // A log collector may put a prefix before the JSON.
        let Some(at) = line.find('{') else { continue };
        let json = line[at..].trim_end();
        match serde_json::from_str::<Report>(json) {
            Ok(report) => found.push(Input {
                name: format!("{name} line {}", number + 1),
                report,
            }),
            Err(e) if json.starts_with("{\"mqtk_version\"") => {
                broken.get_or_insert(format!("{name} line {}: {e}", number + 1));
            }
            Err(_) => {}
        }
    }
    if found.is_empty() {
        return Err(Failure::Data(match broken {
            Some(why) => format!(
                "{why}: a bench report this mqtk cannot read (written by another version, or cut short)"
            ),
            None => format!(
                "{name}: no bench report in it; give the file --json FILE wrote, or the output of --json -"
            ),
        }));
    }
    Ok(found)
}

/// The settings the accounting needs, read back from a report.
pub fn shape_of(mode: &str, c: &Config) -> Result<Shape, Failure> {
    let mode = Mode::from_name(mode).ok_or_else(|| {
        Failure::Data(format!(
            "mode '{}': not a bench mode",
            crate::error::shorten(mode)
        ))
    })?;
    let seconds = |key: &str, s: f64| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| Failure::Data(format!("config.{key} {s}: not a duration")))
    };
    // Within what the command line takes: schedules computed from them cannot overflow.
    const LONGEST_S: f64 = 1e9;
    let seconds = |key: &str, s: f64| {
        if !(0.0..=LONGEST_S).contains(&s) {
            return Err(Failure::Data(format!("config.{key} {s}: not a duration")));
        }
        seconds(key, s)
    };
    let pace = match (c.rate, c.interval_ms) {
        (Some(rate), _) if rate.is_finite() && (0.001..=1e12).contains(&rate) => Pace::Rate(rate),
        (Some(rate), _) => {
            return Err(Failure::Data(format!("config.rate {rate}: not a rate")));
        }
        (None, Some(ms)) if ms >= 1e-6 => Pace::Interval(seconds("interval_ms", ms / 1e3)?),
        (None, Some(ms)) => {
            return Err(Failure::Data(format!(
                "config.interval_ms {ms}: not an interval"
            )));
        }
        (None, None) => Pace::Unlimited,
    };
    let stop = match (c.count, c.duration_s) {
        (Some(count), _) => Stop::Count(count),
        (None, Some(s)) => Stop::Duration(seconds("duration_s", s)?),
        (None, None) => Stop::Duration(Duration::ZERO),
    };
    let (warmup, drain) = (
        seconds("warmup_s", c.warmup_s)?,
        seconds("drain_s", c.drain_s)?,
    );
    Ok(Shape {
        mode,
        qos: c.qos,
        publishers: c.publishers,
        subscribers: c.subscribers,
        shared: c.shared.is_some(),
        pace,
        stop,
        warmup,
        drain,
    })
}

/// The settings that must be the same in every shard of one run (threads may differ).
fn settings(report: &Report) -> serde_json::Value {
    let mut config = serde_json::to_value(&report.config).unwrap_or_default();
    if let Some(object) = config.as_object_mut() {
        object.remove("threads");
    }
    serde_json::json!({ "mode": report.mode, "config": config })
}

pub fn merge(inputs: Vec<Input>) -> Result<Report, Failure> {
    let Some(first) = inputs.first() else {
        return Err(Failure::Usage(
            "bench merge: give at least one report".into(),
        ));
    };
    let shape = shape_of(&first.report.mode, &first.report.config)
        .map_err(|e| Failure::Data(format!("{}: {e}", first.name)))?;
    // The roles must add up to the clients: the accounting walks the publishers' indices.
    let c = &first.report.config;
    let roles = match shape.mode {
        Mode::PubSub => u64::from(c.publishers) + u64::from(c.subscribers),
        Mode::Pub => u64::from(c.publishers),
        Mode::Sub => u64::from(c.subscribers),
        Mode::Conn => u64::from(c.clients),
    };
    if roles != u64::from(c.clients) || (shape.mode == Mode::Pub && c.subscribers > 0) {
        return Err(Failure::Data(format!(
            "{}: config.clients {} is not its publishers and subscribers",
            first.name, c.clients
        )));
    }
    let mut config = first.report.config.clone();
    let mode = first.report.mode.clone();
    let expected = settings(&first.report);
    let count = first
        .report
        .evidence
        .shards
        .iter()
        .find(|s| s.reported)
        .map(|s| s.count)
        .ok_or_else(|| Failure::Data(format!("{}: no shard of it reported", first.name)))?;
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    for input in &inputs {
        let theirs = settings(&input.report);
        if theirs != expected {
            let field = differing_field(&expected, &theirs);
            return Err(Failure::Data(format!(
                "{}: not a shard of the same run as {} ({field} differs); merge the reports of one run",
                input.name, first.name
            )));
        }
        for shard in input.report.evidence.shards.iter().filter(|s| s.reported) {
            let total = u64::from(input.report.config.clients);
            let slice = (shard.count > 0
                && shard.count <= 1_000_000
                && shard.index < shard.count
                && u64::from(shard.count) <= total.max(1))
            .then(|| {
                ShardOf {
                    index: shard.index,
                    count: shard.count,
                }
                .slice(total as usize)
            });
            if slice.is_none_or(|s| shard.clients != [s.start as u64, s.end as u64]) {
                return Err(Failure::Data(format!(
                    "{}: shard {}/{} with clients {:?} is not a shard of {total} clients",
                    input.name, shard.index, shard.count, shard.clients
                )));
            }
            if shard.count != count {
                return Err(Failure::Data(format!(
                    "{}: shard {}/{} of a run in {} shards, but {} is of a run in {count}",
                    input.name, shard.index, shard.count, shard.count, first.name
                )));
            }
            if let Some(other) = seen.insert(shard.index, input.name.clone()) {
                return Err(Failure::Data(format!(
                    "shard {}/{count} is in both {other} and {}; give each shard's report once",
                    shard.index, input.name
                )));
            }
        }
    }

    let mut totals = Totals::default();
    let mut evidence = Evidence::default();
    let mut io = Vec::new();
    let mut brokers: BTreeSet<String> = BTreeSet::new();
    let mut started: Option<(u64, String)> = None;
    let mut seconds: Vec<Second> = Vec::new();
    for input in inputs {
        let r = input.report;
        let bad_histogram = |which: &str| {
            Failure::Data(format!(
                "{}: histograms.{which} is not an HdrHistogram (V2, compressed, base64)",
                input.name
            ))
        };
        for (which, text, into) in [
            ("connect", &r.histograms.connect, &mut totals.connect),
            ("ack", &r.histograms.ack, &mut totals.ack),
            (
                "e2e_corrected",
                &r.histograms.e2e_corrected,
                &mut totals.e2e_corrected,
            ),
            (
                "e2e_uncorrected",
                &r.histograms.e2e_uncorrected,
                &mut totals.e2e_uncorrected,
            ),
            (
                "send_lateness",
                &r.histograms.send_lateness,
                &mut totals.lateness,
            ),
        ] {
            if let Some(text) = text {
                into.merge(&Latency::decode(text).ok_or_else(|| bad_histogram(which))?);
            }
        }
        let reported: Vec<&ShardRecord> = r.evidence.shards.iter().filter(|s| s.reported).collect();
        let missing: BTreeSet<String> = r
            .evidence
            .shards
            .iter()
            .filter(|s| !s.reported)
            .map(missing_shard)
            .collect();
        // The causes the report added from its shard records are added again from them.
        for (cause, n) in r.clients.connect_failures {
            if !missing.contains(&cause) {
                *totals.connect_failures.entry(cause).or_default() += n;
            }
        }
        let crashed: u64 = reported.iter().map(|s| s.crashed).sum();
        for (cause, mut n) in r.clients.disconnects {
            if cause == CRASHED {
                n = n.saturating_sub(crashed);
            }
            if n > 0 {
                *totals.disconnects.entry(cause).or_default() += n;
            }
        }
        for shard in &reported {
            if let Some(at) = &shard.started_at {
                if started.as_ref().is_none_or(|(us, _)| shard.start_us < *us) {
                    started = Some((shard.start_us, at.clone()));
                }
            }
        }
        brokers.insert(r.broker);
        io.extend(r.io);
        seconds.extend(r.series);
        evidence
            .shards
            .extend(r.evidence.shards.into_iter().filter(|s| s.reported));
        evidence.publishers.extend(r.evidence.publishers);
        evidence.subscribers.extend(r.evidence.subscribers);
    }
    for index in 0..count {
        if !seen.contains_key(&index) {
            evidence.shards.push(ShardRecord::missing(
                ShardOf { index, count },
                u64::from(config.clients),
            ));
        }
    }
    evidence.shards.sort_by_key(|s| s.index);
    evidence.publishers.sort_by_key(|p| p.index);
    evidence.subscribers.sort_by_key(|s| s.index);
    let origin = evidence
        .shards
        .iter()
        .filter(|s| s.reported)
        .map(|s| s.start_us)
        .min()
        .unwrap_or(0);
    // Threads differ from shard to shard: the merged report counts them all.
    config.threads = io.len();
    Ok(report::compose(Parts {
        shape,
        mode,
        broker: brokers.into_iter().collect::<Vec<_>>().join(", "),
        started_at: started.map(|(_, at)| at).unwrap_or_default(),
        config,
        totals,
        io,
        series: line_up(seconds, origin),
        evidence,
    }))
}

/// The first setting (`mode` or `config.KEY`) that differs between two reports.
fn differing_field(a: &serde_json::Value, b: &serde_json::Value) -> String {
    if a["mode"] != b["mode"] {
        return "mode".into();
    }
    let (Some(x), Some(y)) = (a["config"].as_object(), b["config"].as_object()) else {
        return "config".into();
    };
    x.iter()
        .find(|(key, value)| y.get(*key) != Some(value))
        .map_or("config".into(), |(key, _)| format!("config.{key}"))
}

/// The shards' seconds on one clock: each second is the one (since the first shard's
/// start) it ended in; counts add, levels (connected, errors) add per shard, latencies
/// merge.
fn line_up(rows: Vec<Second>, origin_us: u64) -> Vec<Second> {
    let mut by_second: BTreeMap<u64, (Second, Latency)> = BTreeMap::new();
    for row in rows {
        let t_s = (row.at_us.saturating_sub(origin_us) as f64 / 1e6).round() as u64;
        let latency = row.latency.as_deref().and_then(Latency::decode);
        let (merged, histogram) = by_second.entry(t_s).or_insert_with(|| {
            (
                Second {
                    t_s,
                    connected: 0,
                    sent: 0,
                    acked: 0,
                    received: 0,
                    errors: 0,
                    subscriber_reads: 0,
                    subscriber_read_bytes: 0,
                    publisher_writes: 0,
                    publisher_write_bytes: 0,
                    p99_us: None,
                    at_us: origin_us + t_s * 1_000_000,
                    latency: None,
                },
                Latency::new(),
            )
        });
        merged.connected += row.connected;
        merged.sent += row.sent;
        merged.acked += row.acked;
        merged.received += row.received;
        merged.errors += row.errors;
        merged.subscriber_reads += row.subscriber_reads;
        merged.subscriber_read_bytes += row.subscriber_read_bytes;
        merged.publisher_writes += row.publisher_writes;
        merged.publisher_write_bytes += row.publisher_write_bytes;
        if let Some(latency) = latency {
            histogram.merge(&latency);
        }
    }
    by_second
        .into_values()
        .map(|(mut second, latency)| {
            second.p99_us = latency.summary().map(|s| s.p99_us);
            second.latency = latency.encoded();
            second
        })
        .collect()
}
