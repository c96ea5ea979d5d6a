//! `mqtk bench`: the coordinator. It validates the plan, starts one worker thread per core
//! (each an event loop with its share of the clients), moves every client through the run's
//! phases (connect → warmup → measure → drain → close), draws the progress line from the
//! shared counters, and builds the report from what the workers hand back.
//!
//! The measuring parts are apart and tested on fixed inputs: the payload header, the HDR
//! statistics and per-sequence accounting, the hot-path wire codec, the plan.

pub mod header;
pub mod pacer;
pub mod plan;
pub mod report;
pub mod stats;
pub mod wire;
pub mod worker;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::cli::BenchArgs;
use crate::engine::transport;
use crate::error::{io_reason, shorten_path, Failure};
use crate::output::bench::{count, rate, time_us};
use crate::output::escape::Escape;
use crate::output::stdio::{stderr, StatusLine, Stdout};
use crate::signals;
use header::BenchClock;
use plan::{Mode, Pace, Plan, Stop};
use report::{Drained, Progress, Run};
use stats::Latency;
use worker::{Phase, ShardOutcome, ShardSetup, Shared, Snapshot, Tick};

/// How often the coordinator looks at the counters.
const POLL: Duration = Duration::from_millis(50);
/// A drain cut by its cap counts what has not arrived as outstanding, not lost, when
/// deliveries or acknowledgements came in this recently (or in the drain's last half).
const STILL_ARRIVING: Duration = Duration::from_secs(1);
/// Off a terminal, a progress line this often shows that a long run is alive.
const LIFE_LINE: Duration = Duration::from_secs(10);

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let plan = Arc::new(Plan::from_args(&args.mode)?);
    // The report's file is created before any client connects: a path that cannot be
    // written is a usage error now, not a lost report after the run.
    let mut json_file = match plan.json.as_deref() {
        Some(path) if path.as_os_str() != "-" => Some(std::fs::File::create(path).map_err(|e| {
            Failure::Usage(format!(
                "--json {}: cannot create it ({}); give a file in a writable directory, or - for stdout",
                shorten_path(path),
                io_reason(&e)
            ))
        })?),
        _ => None,
    };
    let resolved = transport::resolve(&plan.conn).await?.map(Arc::from);
    let started_at = chrono::Local::now();
    let shared = Arc::new(Shared::for_plan(&plan));
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let (tick_tx, tick_rx) = mpsc::unbounded_channel();
    let clock = BenchClock::new();
    let start = Instant::now();

    let shard_count = plan.threads.clamp(1, plan.total_clients().max(1));
    let mut shard_clients = vec![Vec::new(); shard_count];
    for (client, shard) in plan.clients.iter().zip(plan::placement(&plan, shard_count)) {
        shard_clients[shard].push(client.clone());
    }
    let mut shards = Vec::new();
    let shard_sizes: Vec<u64> = shard_clients.iter().map(|c| c.len() as u64).collect();
    for (i, clients) in shard_clients.into_iter().enumerate() {
        let setup = ShardSetup {
            plan: plan.clone(),
            shared: shared.clone(),
            clock,
            start,
            resolved: resolved.clone(),
            clients,
            phase: phase_rx.clone(),
            ticks: tick_tx.clone(),
        };
        shards.push(
            worker::spawn_shard(format!("mqtk-bench-{i}"), setup)
                .map_err(|e| Failure::Internal(format!("cannot start a worker thread: {e}")))?,
        );
    }
    drop(tick_tx);

    let mut monitor = Monitor::new(&plan, shared.clone(), start, tick_rx);
    let total = plan.total_clients() as u64;

    // Ramp-up: every client connects (or fails) before anyone publishes. SIGINT or
    // SIGTERM stops sending and drains; a second one ends the process (`signals`).
    // The waits return early on a signal; whether one came is `signals`' to say.
    let stopped = monitor.wait(|s| s.connect_done >= total).await;
    let mut t0 = None;
    // When sending stopped: the end of the schedule, or the signal.
    let mut sending_stopped = None;
    let mut drain = Drained::Settled;
    if !stopped && monitor.snapshot().connected > 0 {
        let at = Instant::now();
        t0 = Some(at);
        phase_tx.send_replace(Phase::Sending { t0: at });
        if plan.conn.debug {
            let s = monitor.snapshot();
            stderr!(
                "mqtk: bench: {} of {total} clients connected in {:.3} s; sending",
                s.connected,
                start.elapsed().as_secs_f64()
            );
        }
        let publishers = u64::from(plan.publishers);
        // Timed runs end after warmup + duration; --count runs when the publishers are done.
        let end = at + plan.sending_time().unwrap_or(plan.warmup);
        match plan.mode {
            // Publishers stop themselves: after --count, or once every message scheduled
            // before the end is out (late ones included: the lag is reported, not hidden).
            // A publisher that cannot finish (its window never opens) is stopped after the
            // end plus --drain.
            Mode::Pub | Mode::PubSub => {
                let give_up = matches!(plan.stop, Stop::Duration(_)).then(|| end + plan.drain);
                monitor
                    .wait(|s| {
                        s.publishers_done >= publishers
                            || give_up.is_some_and(|at| Instant::now() >= at)
                    })
                    .await
            }
            Mode::Conn | Mode::Sub => monitor.wait(|_| Instant::now() >= end).await,
        };
        phase_tx.send_replace(Phase::StopSending { t0: at });
        let now = Instant::now();
        sending_stopped = Some(now);
        if matches!(plan.mode, Mode::Pub | Mode::PubSub) {
            // The hard limit: a timed run ends --drain after its schedule does, whether
            // its publishers were late or messages are still arriving; a --count run
            // --drain after its last message went out.
            let cap = match plan.stop {
                Stop::Duration(_) => (end + plan.drain).max(now),
                Stop::Count(_) => now + plan.drain,
            };
            drain = monitor.drain(&plan, cap).await;
        }
    }
    let interrupted = signals::was_interrupted();
    phase_tx.send_replace(Phase::Close);
    let mut outcomes: Vec<ShardOutcome> = Vec::new();
    for (shard, size) in shards.into_iter().zip(shard_sizes) {
        // A worker thread that died took its clients' counts with it: they are failed
        // clients in the report, not silent losses.
        let outcome = shard.await.unwrap_or_else(|_| ShardOutcome {
            crashed: size,
            ..ShardOutcome::default()
        });
        outcomes.push(outcome);
    }
    let crashed: u64 = outcomes.iter().map(|o| o.crashed).sum();
    let end = Instant::now();
    monitor.finish();
    let snapshot = shared.snapshot();
    if snapshot.connected == 0 {
        if let Some(failure) = shared.take_first_failure() {
            return Err(failure.into());
        }
    }
    let report = report::build(Run {
        plan: &plan,
        started_at,
        start,
        t0,
        stopped: sending_stopped,
        end,
        drain,
        interrupted,
        connected: snapshot.connected,
        outcomes,
        series: monitor.series(),
    });
    let degraded = report::degraded(&report);
    let mut stdout = Stdout::new(16 * 1024);
    match plan.json.as_deref() {
        Some(path) if path.as_os_str() == "-" => {
            serde_json::to_writer_pretty(stdout.shown(Escape::Json), &report)
                .map_err(io::Error::from)?;
            stdout.write_all(b"\n")?;
        }
        Some(path) => {
            let json = serde_json::to_string_pretty(&report)? + "\n";
            // The text report first: it is on stdout whatever happens to the file.
            stdout.write_shown(report.to_text().as_bytes(), Escape::Text)?;
            stdout.flush()?;
            if let Some(file) = json_file.as_mut() {
                file.write_all(json.as_bytes()).map_err(|e| {
                    Failure::NoInput(format!(
                        "--json {}: cannot write the report ({})",
                        shorten_path(path),
                        io_reason(&e)
                    ))
                })?;
            }
        }
        None => stdout.write_shown(report.to_text().as_bytes(), Escape::Text)?,
    }
    stdout.flush()?;
    if crashed > 0 {
        return Err(Failure::Internal(format!(
            "bench: {crashed} clients' tasks failed; their counts are missing from the report"
        ))
        .into());
    }
    if interrupted {
        return Err(Failure::Interrupted.into());
    }
    if let Some(why) = degraded {
        return Err(Failure::BenchDegraded(why).into());
    }
    // A paced run asked for a load: not getting it through is a finding scripts must see.
    // Flat out, overload is what a run looks for: the report says it, the exit stays 0.
    if let (Some(why), Pace::Rate(_) | Pace::Interval(_)) = (&report.overload, plan.pace) {
        return Err(Failure::BenchOverloaded(format!("bench: overloaded: {why}")).into());
    }
    Ok(())
}

/// Watches the shared counters: the progress line, the per-second series, the waits.
struct Monitor {
    shared: Arc<Shared>,
    start: Instant,
    ticks: mpsc::UnboundedReceiver<Tick>,
    bar: StatusLine,
    total: u64,
    duration: Option<Duration>,
    next_second: u64,
    last: Snapshot,
    rows: Vec<(u64, Snapshot)>,
    /// Seconds whose ticks may still come in (one per shard), merged.
    pending_seconds: BTreeMap<u64, Latency>,
    /// Each finished second's p99 (histograms are not kept: one is 270 KB).
    p99_by_second: BTreeMap<u64, f64>,
    latency_so_far: Latency,
    /// Off a terminal: when the next line that shows life is due (since the start).
    next_life_line: Duration,
}

impl Monitor {
    fn new(
        plan: &Plan,
        shared: Arc<Shared>,
        start: Instant,
        ticks: mpsc::UnboundedReceiver<Tick>,
    ) -> Monitor {
        let bar = StatusLine::stderr();
        Monitor {
            shared,
            start,
            ticks,
            bar,
            total: plan.total_clients() as u64,
            duration: match plan.stop {
                Stop::Duration(d) => Some(d + plan.warmup),
                Stop::Count(_) => None,
            },
            next_second: 1,
            last: Snapshot::default(),
            rows: Vec::new(),
            pending_seconds: BTreeMap::new(),
            p99_by_second: BTreeMap::new(),
            latency_so_far: Latency::new(),
            next_life_line: LIFE_LINE,
        }
    }

    fn snapshot(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Polls until `done` holds or SIGINT/SIGTERM; true when interrupted.
    async fn wait(&mut self, mut done: impl FnMut(&Snapshot) -> bool) -> bool {
        let interrupt = signals::interrupted();
        tokio::pin!(interrupt);
        loop {
            self.poll();
            if done(&self.snapshot()) {
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = &mut interrupt => return true,
            }
        }
    }

    /// After sending stops: wait until every acknowledgement and delivery is in, at most
    /// until `cap`. A signal does not cut it short (a second one ends the process).
    async fn drain(&mut self, plan: &Plan, cap: Instant) -> Drained {
        let mut last_progress = Instant::now();
        let mut last = self.snapshot();
        let subscribed = plan.subscribers > 0;
        let acks = plan.qos > 0;
        loop {
            let now = self.snapshot();
            let settled = now.publishers_done >= u64::from(plan.publishers)
                && (!acks || now.acked + now.rejected >= now.sent)
                && (!subscribed || now.received >= now.expected);
            if settled || now.connected == now.disconnected {
                return Drained::Settled;
            }
            if (now.acked, now.received, now.rejected) != (last.acked, last.received, last.rejected)
            {
                last_progress = Instant::now();
                last = now;
            }
            if Instant::now() >= cap {
                let recently = STILL_ARRIVING.min(plan.drain / 2);
                return Drained::Cut {
                    still_arriving: last_progress.elapsed() < recently,
                };
            }
            self.poll();
            tokio::time::sleep(POLL.min(cap.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// Takes in the shards' ticks and, once a second, a row of the series and the progress line.
    fn poll(&mut self) {
        self.take_ticks();
        let elapsed = self.start.elapsed();
        if elapsed.as_secs() < self.next_second {
            return;
        }
        let now = self.snapshot();
        self.rows.push((self.next_second, now));
        let last = std::mem::replace(&mut self.last, now);
        self.next_second = elapsed.as_secs() + 1;
        let p99 = self
            .latency_so_far
            .summary()
            .map(|s| format!("  p99 {}", time_us(s.p99_us)))
            .unwrap_or_default();
        let duration = self
            .duration
            .map(|d| format!("/{}s", d.as_secs()))
            .unwrap_or_default();
        let errors = now.connect_failed + now.disconnected + now.rejected;
        let line = format!(
            "{}s{duration}  connected {}/{}  sent {}  recv {}{p99}  errors {}",
            elapsed.as_secs(),
            count(now.connected.saturating_sub(now.disconnected)),
            count(self.total),
            rate((now.sent - last.sent) as f64),
            rate((now.received - last.received) as f64),
            count(errors)
        );
        if self.bar.is_hidden() {
            if elapsed >= self.next_life_line {
                stderr!("mqtk: bench: {line}");
                self.next_life_line += LIFE_LINE;
            }
        } else {
            self.bar.show(&line);
        }
    }

    /// Merges the shards' ticks; seconds older than the last two are final (every shard
    /// has reported them) and keep only their p99.
    fn take_ticks(&mut self) {
        while let Ok(tick) = self.ticks.try_recv() {
            if tick.latency.count() == 0 {
                continue;
            }
            self.latency_so_far.merge(&tick.latency);
            self.pending_seconds
                .entry(tick.second)
                .or_default()
                .merge(&tick.latency);
        }
        let current = self.start.elapsed().as_secs();
        while let Some(entry) = self.pending_seconds.first_entry() {
            if *entry.key() + 2 > current {
                break;
            }
            let (second, latency) = entry.remove_entry();
            if let Some(summary) = latency.summary() {
                self.p99_by_second.insert(second, summary.p99_us);
            }
        }
    }

    fn finish(&mut self) {
        self.poll();
        self.take_ticks();
        for (second, latency) in std::mem::take(&mut self.pending_seconds) {
            if let Some(summary) = latency.summary() {
                self.p99_by_second.insert(second, summary.p99_us);
            }
        }
        self.bar.clear();
    }

    fn series(&self) -> Vec<Progress> {
        let mut previous = Snapshot::default();
        self.rows
            .iter()
            .map(|(second, snapshot)| {
                let row = Progress {
                    second: *second,
                    now: *snapshot,
                    previous,
                    p99_us: self.p99_by_second.get(second).copied(),
                };
                previous = *snapshot;
                row
            })
            .collect()
    }
}
