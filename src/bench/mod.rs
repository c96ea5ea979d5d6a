//! `mqtk bench`: the coordinator. It validates the plan, starts one worker thread per core
//! (each an event loop with its share of the clients), moves every client through the run's
//! phases (connect → warmup → measure → drain → close), draws the progress line from the
//! shared counters, and builds the report from what the workers hand back.
//!
//! The measuring parts are apart and tested on fixed inputs: the payload header, the HDR
//! statistics and per-sequence accounting, the hot-path wire codec, the plan.

pub mod barrier;
pub mod evidence;
pub mod header;
pub mod hlog;
pub mod merge;
pub mod pacer;
pub mod plan;
pub mod plot;
pub mod report;
pub mod search;
pub mod stats;
pub mod wire;
pub mod worker;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::cli::{BenchArgs, BenchMode};
use crate::engine::transport;
use crate::error::{io_reason, shorten_path, Failure};
use crate::output::bench::{count, rate, time_us, Report};
use crate::output::escape::Escape;
use crate::output::stdio::{stderr, StatusLine, Stdout};
use crate::signals;
use barrier::Barrier;
use evidence::DrainEnd;
use header::BenchClock;
use plan::{Mode, Pace, Plan, Role, Stop};
use report::{Progress, Run};
use stats::Latency;
use worker::{Phase, Shared, Snapshot, ThreadOutcome, ThreadSetup, Tick};

/// How often the coordinator looks at the counters.
const POLL: Duration = Duration::from_millis(50);
/// A drain cut by its cap counts what has not arrived as outstanding, not lost, when
/// deliveries or acknowledgements came in this recently (or in the drain's last half).
const STILL_ARRIVING: Duration = Duration::from_secs(1);
/// Off a terminal, a progress line this often shows that a long run is alive.
const LIFE_LINE: Duration = Duration::from_secs(10);

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.mode {
        BenchMode::Merge(merge) => return merge::run(merge),
        BenchMode::Plot(args) => return plot::run(args),
        BenchMode::PubSub(pubsub) if pubsub.search.find_max => {
            return search::run(&args.mode, &pubsub.search).await
        }
        _ => {}
    }
    let plan = Arc::new(Plan::from_args(&args.mode)?);
    let mut outputs = Outputs::create(plan.json.as_deref(), plan.hlog.as_deref())?;
    let ran = execute(plan.clone()).await?;
    outputs.write(&ran.report)?;
    ran.verdict(&plan)
}

/// Where a report goes besides the text on stdout: `--json` and `--hlog` files, created
/// before any client connects (a path that cannot be written is a usage error now, not a
/// lost report after the run).
pub struct Outputs {
    json: Option<(PathBuf, Option<std::fs::File>)>,
    hlog: Option<(PathBuf, std::fs::File)>,
}

impl Outputs {
    pub fn create(json: Option<&Path>, hlog: Option<&Path>) -> anyhow::Result<Outputs> {
        let create = |flag: &str, path: &Path| {
            std::fs::File::create(path).map_err(|e| {
                Failure::Usage(format!(
                    "{flag} {}: cannot create it ({}); give a file in a writable directory{}",
                    shorten_path(path),
                    io_reason(&e),
                    if flag == "--json" {
                        ", or - for stdout"
                    } else {
                        ""
                    }
                ))
            })
        };
        let json = match json {
            Some(path) if path.as_os_str() == "-" => Some((path.to_path_buf(), None)),
            Some(path) => Some((path.to_path_buf(), Some(create("--json", path)?))),
            None => None,
        };
        let hlog = match hlog {
            Some(path) => Some((path.to_path_buf(), create("--hlog", path)?)),
            None => None,
        };
        Ok(Outputs { json, hlog })
    }

    /// The text report on stdout (or, with `--json -`, the JSON report as one line: the
    /// last line of the output, which `kubectl logs | mqtk bench merge -` picks up), then
    /// the files.
    pub fn write(&mut self, report: &Report) -> anyhow::Result<()> {
        let mut stdout = Stdout::new(16 * 1024);
        match &self.json {
            Some((_, None)) => {
                serde_json::to_writer(stdout.shown(Escape::Json), report)
                    .map_err(io::Error::from)?;
                stdout.write_all(b"\n")?;
            }
            _ => stdout.write_shown(report.to_text().as_bytes(), Escape::Text)?,
        }
        stdout.flush()?;
        let written = |flag: &str, path: &Path, e: io::Error| {
            Failure::NoInput(format!(
                "{flag} {}: cannot write the report ({})",
                shorten_path(path),
                io_reason(&e)
            ))
        };
        if let Some((path, Some(file))) = &mut self.json {
            let json = serde_json::to_string_pretty(report)? + "\n";
            file.write_all(json.as_bytes())
                .map_err(|e| written("--json", path, e))?;
        }
        if let Some((path, file)) = &mut self.hlog {
            file.write_all(hlog::interval_log(report).as_bytes())
                .map_err(|e| written("--hlog", path, e))?;
        }
        Ok(())
    }
}

/// A finished run: its report and what decides the exit status.
pub struct Ran {
    pub report: Report,
    pub crashed: u64,
    pub interrupted: bool,
}

impl Ran {
    /// The exit status: failures first, then an interrupt, losses, a paced run's overload.
    pub fn verdict(&self, plan: &Plan) -> anyhow::Result<()> {
        if self.crashed > 0 {
            return Err(Failure::Internal(format!(
                "bench: {} clients' tasks failed; their counts are missing from the report",
                self.crashed
            ))
            .into());
        }
        if self.interrupted {
            return Err(Failure::Interrupted.into());
        }
        verdict(&self.report, plan.pace)
    }
}

/// A report's exit status (a run's or a merge's): degraded (77), then a paced run's
/// overload (79).
pub fn verdict(report: &Report, pace: Pace) -> anyhow::Result<()> {
    if let Some(why) = report::degraded(report) {
        return Err(Failure::BenchDegraded(why).into());
    }
    // A paced run asked for a load: not getting it through is a finding scripts must see.
    // Flat out, overload is what a run looks for: the report says it, the exit stays 0.
    if let (Some(why), Pace::Rate(_) | Pace::Interval(_)) = (&report.overload, pace) {
        return Err(Failure::BenchOverloaded(format!("bench: overloaded: {why}")).into());
    }
    Ok(())
}

/// Runs the plan's clients in this process through every phase and builds the report.
pub async fn execute(plan: Arc<Plan>) -> anyhow::Result<Ran> {
    let mut resolved = Vec::new();
    for broker in plan.each_broker() {
        resolved.push(transport::resolve(broker).await?.map(Arc::from));
    }
    let resolved: Arc<[Option<Arc<[std::net::SocketAddr]>>]> = resolved.into();
    let started_at = chrono::Local::now();
    let shared = Arc::new(Shared::for_plan(&plan));
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let (tick_tx, tick_rx) = mpsc::unbounded_channel();
    let clock = BenchClock::new();
    let start = Instant::now();

    let local = plan.local_clients();
    let thread_count = plan.threads.clamp(1, local.len().max(1));
    let mut thread_clients = vec![Vec::new(); thread_count];
    for (client, thread) in local.iter().zip(plan::placement(&plan, thread_count)) {
        thread_clients[thread].push(client.clone());
    }
    let mut threads = Vec::new();
    let thread_sizes: Vec<u64> = thread_clients.iter().map(|c| c.len() as u64).collect();
    for (i, clients) in thread_clients.into_iter().enumerate() {
        let setup = ThreadSetup {
            plan: plan.clone(),
            shared: shared.clone(),
            clock,
            start,
            resolved: resolved.clone(),
            clients,
            phase: phase_rx.clone(),
            ticks: tick_tx.clone(),
        };
        threads.push(
            worker::spawn_thread(format!("mqtk-bench-{i}"), setup)
                .map_err(|e| Failure::Internal(format!("cannot start a worker thread: {e}")))?,
        );
    }
    drop(tick_tx);

    let mut monitor = Monitor::new(&plan, shared.clone(), start, tick_rx);
    let total = local.len() as u64;

    // Ramp-up: every client connects (or fails) before anyone publishes. SIGINT or
    // SIGTERM stops sending and drains; a second one ends the process (`signals`).
    // The waits return early on a signal; whether one came is `signals`' to say.
    let mut stopped = monitor.wait(|s| s.connect_done >= total).await;
    // Shards start together: through the broker, or at a given time. A shard whose
    // clients all failed still meets the others, so that they do not wait in vain.
    let mut leaving = None;
    if !stopped {
        if let Some(run) = &plan.barrier {
            // Connecting the control client may take --connect-timeout: a signal ends it.
            let joined = {
                let joining = Barrier::join(&plan, run);
                tokio::pin!(joining);
                loop {
                    tokio::select! {
                        result = &mut joining => break Some(result),
                        () = tokio::time::sleep(POLL) => monitor.poll(),
                    }
                    if signals::was_interrupted() {
                        break None;
                    }
                }
            };
            let mut barrier = match joined {
                Some(joined) => joined?,
                None => return Err(Failure::Interrupted.into()),
            };
            let met = {
                let waiting = barrier.wait();
                tokio::pin!(waiting);
                loop {
                    tokio::select! {
                        result = &mut waiting => break Some(result),
                        () = tokio::time::sleep(POLL) => monitor.poll(),
                    }
                    if signals::was_interrupted() {
                        break None;
                    }
                }
            };
            stopped = met.is_none();
            if let Some(Err(e)) = met {
                barrier.leave().await;
                return Err(e.into());
            }
            // Its retained message is cleared while the run goes on.
            leaving = Some(tokio::spawn(barrier.leave()));
        }
    }
    if !stopped {
        if let Some(start_at) = plan.start_at {
            if let Ok(late) = std::time::SystemTime::now().duration_since(start_at) {
                stderr!(
                    "mqtk: bench: --start-at was {:.3} s ago when every client had connected; starting now",
                    late.as_secs_f64()
                );
            }
            let at = clock.instant_at(start_at);
            // On the time, not on the next poll.
            let interrupt = signals::interrupted();
            tokio::pin!(interrupt);
            stopped = loop {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => break false,
                    () = tokio::time::sleep(POLL) => monitor.poll(),
                    _ = &mut interrupt => break true,
                }
            };
        }
    }
    let mut t0 = None;
    // When sending stopped: the end of the schedule, or the signal.
    let mut sending_stopped = None;
    let mut drain = DrainEnd::Settled;
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
        let publishers = plan.local_count(Role::Publisher);
        // Timed runs end after warmup + duration; --count runs when the publishers are done.
        let end = at + plan.sending_time().unwrap_or(plan.warmup);
        match plan.mode {
            // Publishers stop themselves: after --count, or once every message scheduled
            // before the end is out (late ones included: the lag is reported, not hidden).
            // A publisher that cannot finish (its window never opens) is stopped after the
            // end plus --drain.
            Mode::Pub | Mode::PubSub => {
                let timed = matches!(plan.stop, Stop::Duration(_));
                let give_up = timed.then(|| end + plan.drain);
                // A shard without publishers sends for as long as the schedule runs
                // elsewhere: its window is the run's, not an instant.
                let hold_until = (timed && publishers == 0).then_some(end);
                monitor
                    .wait(|s| {
                        (s.publishers_done >= publishers
                            && (hold_until.is_none_or(|at| Instant::now() >= at)
                                || s.disconnected >= s.connected))
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
            let mut cap = match plan.stop {
                Stop::Duration(_) => (end + plan.drain).max(now),
                Stop::Count(_) => now + plan.drain,
            };
            // A shard's subscribers wait for publishers elsewhere: at least until a paced
            // --count schedule has ended.
            if !plan.shard.is_whole() {
                let until = plan
                    .count_schedule_span()
                    .and_then(|span| at.checked_add(span.saturating_add(plan.drain)));
                if let Some(until) = until {
                    cap = cap.max(until);
                }
            }
            drain = monitor.drain(&plan, cap).await;
        }
    }
    let interrupted = signals::was_interrupted();
    phase_tx.send_replace(Phase::Close);
    let mut outcomes: Vec<ThreadOutcome> = Vec::new();
    for (thread, size) in threads.into_iter().zip(thread_sizes) {
        // A worker thread that died took its clients' counts with it: they are failed
        // clients in the report, not silent losses.
        let outcome = thread.await.unwrap_or_else(|_| ThreadOutcome {
            crashed: size,
            ..ThreadOutcome::default()
        });
        outcomes.push(outcome);
    }
    let crashed: u64 = outcomes.iter().map(|o| o.crashed).sum();
    if let Some(leaving) = leaving {
        let _ = leaving.await;
    }
    let end = Instant::now();
    monitor.finish();
    let snapshot = shared.snapshot();
    // Alone, a run where nothing connected is the connection's failure; a shard reports
    // it, so that the merge shows the shard's clients as failed.
    if snapshot.connected == 0 && plan.shard.is_whole() {
        if let Some(failure) = shared.take_first_failure() {
            return Err(failure.into());
        }
    }
    let report = report::build(Run {
        plan: &plan,
        started_at,
        clock,
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
    Ok(Ran {
        report,
        crashed,
        interrupted,
    })
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
    /// Seconds whose ticks may still come in (one per worker thread), merged.
    pending_seconds: BTreeMap<u64, Latency>,
    /// Each finished second's p99 and its histogram, encoded (a live one is 270 KB; its
    /// compressed form, what a merge and --hlog need, a few hundred bytes).
    by_second: BTreeMap<u64, (f64, Option<String>)>,
    /// A sharded run: what this shard's subscribers should receive, when the plan says
    /// (see [`Plan::local_expected`]).
    local_expected: Option<u64>,
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
            total: plan.local_clients().len() as u64,
            duration: match plan.stop {
                Stop::Duration(d) => Some(d + plan.warmup),
                Stop::Count(_) => None,
            },
            next_second: 1,
            last: Snapshot::default(),
            rows: Vec::new(),
            pending_seconds: BTreeMap::new(),
            by_second: BTreeMap::new(),
            local_expected: plan.local_expected(),
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
    ///
    /// A shard cannot see other shards' publishers: its subscribers wait for what the
    /// plan says they should receive (a --count or paced run), and the cap moves on while
    /// deliveries keep coming (a flat-out --count run elsewhere may not be done yet).
    async fn drain(&mut self, plan: &Plan, mut cap: Instant) -> DrainEnd {
        let mut last_progress = Instant::now();
        let mut last = self.snapshot();
        let sharded = !plan.shard.is_whole();
        let subscribed = plan.local_count(Role::Subscriber) > 0;
        let publishers = plan.local_count(Role::Publisher);
        let acks = plan.qos > 0;
        loop {
            let now = self.snapshot();
            let delivered = if sharded {
                self.local_expected.is_some_and(|e| now.received >= e)
            } else {
                now.received >= now.expected
            };
            let settled = now.publishers_done >= publishers
                && (!acks || now.acked + now.rejected >= now.sent)
                && (!subscribed || delivered);
            if settled || now.connected == now.disconnected {
                return DrainEnd::Settled;
            }
            if (now.acked, now.received, now.rejected) != (last.acked, last.received, last.rejected)
            {
                last_progress = Instant::now();
                last = now;
                if sharded && subscribed {
                    cap = cap.max(last_progress + plan.drain);
                }
            }
            if Instant::now() >= cap {
                let recently = STILL_ARRIVING.min(plan.drain / 2);
                return if last_progress.elapsed() < recently {
                    DrainEnd::CutWhileArriving
                } else {
                    DrainEnd::Cut
                };
            }
            self.poll();
            tokio::time::sleep(POLL.min(cap.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// Takes in the worker threads' ticks and, once a second, a row of the series and the progress line.
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

    /// Merges the worker threads' ticks; seconds older than the last two are final (every
    /// thread has reported them) and keep their p99 and encoded histogram.
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
            self.keep_second(second, &latency);
        }
    }

    fn keep_second(&mut self, second: u64, latency: &Latency) {
        if let Some(summary) = latency.summary() {
            self.by_second
                .insert(second, (summary.p99_us, latency.encoded()));
        }
    }

    fn finish(&mut self) {
        self.poll();
        self.take_ticks();
        // The last, partial second gets its row (labelled by the second it ends in), so
        // the series adds up to the run.
        let second = self.start.elapsed().as_secs() + 1;
        if self.rows.last().is_none_or(|(last, _)| *last < second) {
            self.rows.push((second, self.snapshot()));
        }
        for (second, latency) in std::mem::take(&mut self.pending_seconds) {
            self.keep_second(second, &latency);
        }
        self.bar.clear();
    }

    fn series(&self) -> Vec<Progress> {
        let mut previous = Snapshot::default();
        self.rows
            .iter()
            .map(|(second, snapshot)| {
                let kept = self.by_second.get(second);
                let row = Progress {
                    second: *second,
                    now: *snapshot,
                    previous,
                    p99_us: kept.map(|(p99, _)| *p99),
                    latency: kept.and_then(|(_, encoded)| encoded.clone()),
                };
                previous = *snapshot;
                row
            })
            .collect()
    }
}
