//! The bench clients at work. Each worker thread runs its own single-threaded event loop (a
//! "worker") with a share of the clients; every client is one task driving one connection
//! through a single `select!`: read and decode what arrived, write what is queued, publish
//! what is due, ping when idle. Counters that the progress line needs are atomics bumped
//! once per read or write batch; histograms live in the worker and are merged at the end.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot, watch, Notify, Semaphore};
use tokio::time::Instant;

use super::header::{BenchClock, Header, HEADER_LEN};
use super::pacer::Pacer;
use super::plan::{ClientSpec, Mode, Plan, Role, Stop};
use super::stats::{Arrival, Latency, Sequence};
use super::wire::{self, Frame, PublishSpec};
use crate::conn::codes::reason_text;
use crate::conn::{ConnectOptions, ProtocolVersion};
use crate::engine::link::{self, LinkError};
use crate::engine::packets::{Packet, Subscription};
use crate::engine::session::Limits;
use crate::engine::transport::Stream;
use crate::error::Failure;
use crate::output::stdio::stderr;

/// Where the run is; every client watches it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    Connecting,
    /// Publish from `t0` on (the schedule's origin).
    Sending {
        t0: Instant,
    },
    /// Publish nothing more; wait for acknowledgements and deliveries. Carries t0 again:
    /// a watch keeps only the latest value, and a client that did not run while sending
    /// lasted (a short --count on a loaded machine) must still time what it receives.
    StopSending {
        t0: Instant,
    },
    /// Disconnect.
    Close,
}

/// Counters shared by every worker, read by the progress ticker and the drain check.
#[derive(Debug, Default)]
pub struct Shared {
    /// Clients that completed CONNACK (and SUBACK, for subscribers).
    pub connected: AtomicU64,
    /// Clients whose connection attempt is over, either way.
    pub connect_done: AtomicU64,
    pub connect_failed: AtomicU64,
    pub disconnected: AtomicU64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub rejected: AtomicU64,
    /// Deliveries our subscribers should see for what was sent (pubsub).
    pub expected: AtomicU64,
    /// Distinct messages received (duplicates not included).
    pub received: AtomicU64,
    pub duplicates: AtomicU64,
    /// Publishers that will send nothing more (done, stopped or failed).
    pub publishers_done: AtomicU64,
    /// Subscribers' read calls and the bytes they brought; publishers' write calls and the
    /// bytes they took (per second in the series: how many messages each call carried).
    pub reads: AtomicU64,
    pub read_bytes: AtomicU64,
    pub writes: AtomicU64,
    pub write_bytes: AtomicU64,
    /// The first connection failure, kept for the error when no client connects.
    pub first_failure: Mutex<Option<Failure>>,
    /// Flat-out QoS 0 pubsub: one per publisher (by index), else none.
    pub gates: Vec<Gate>,
}

impl Shared {
    pub fn for_plan(plan: &Plan) -> Shared {
        let gates = match plan.gate_window {
            Some(_) => (0..plan.publishers).map(|_| Gate::default()).collect(),
            None => Vec::new(),
        };
        Shared {
            gates,
            ..Shared::default()
        }
    }
}

/// How far one flat-out QoS 0 publisher may run ahead of its subscribers
/// ([`Plan::gate_window`]): subscribers move it, the publisher waits on it.
#[derive(Debug)]
pub struct Gate {
    /// One past the newest sequence number a subscriber received from the publisher.
    delivered: AtomicU64,
    /// The publisher waits until `delivered` reaches this (u64::MAX: it does not wait).
    wake_at: AtomicU64,
    moved: Notify,
}

impl Gate {
    /// A subscriber got message `seq` of the publisher: the gate moves, and wakes the
    /// publisher once it reaches where the publisher waits.
    fn deliver(&self, seq: u64) {
        let delivered = seq + 1;
        self.delivered.fetch_max(delivered, SeqCst);
        if delivered >= self.wake_at.load(SeqCst) && self.wake_at.swap(u64::MAX, SeqCst) != u64::MAX
        {
            self.moved.notify_one();
        }
    }
}

impl Default for Gate {
    fn default() -> Gate {
        Gate {
            delivered: AtomicU64::new(0),
            wake_at: AtomicU64::new(u64::MAX),
            moved: Notify::new(),
        }
    }
}

/// A publisher whose window stays shut this long assumes its messages in flight were
/// dropped (QoS 0 allows a broker that) and opens it from where it stands.
const GATE_PATIENCE: Duration = Duration::from_millis(250);

/// Waits for a subscriber to move the gate: true, or false after [`GATE_PATIENCE`]. Never
/// ready without a gate.
async fn gate_moved(gate: Option<&Gate>) -> bool {
    match gate {
        Some(gate) => tokio::time::timeout(GATE_PATIENCE, gate.moved.notified())
            .await
            .is_ok(),
        None => std::future::pending().await,
    }
}

/// A map keyed by publisher number. A subscriber looks one up per message: SipHash's
/// resistance to hostile keys buys nothing for our own small numbers and cost about 3 % of
/// a flat-out subscriber's CPU.
pub type ByPublisher<V> = HashMap<u32, V, BuildHasherDefault<NumberHasher>>;

/// Hashes a publisher number by one multiplication (Fibonacci hashing).
#[derive(Default)]
pub struct NumberHasher(u64);

impl Hasher for NumberHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// One second's latency of a worker (the mode's headline latency), for the time series.
pub struct Tick {
    pub second: u64,
    pub latency: Latency,
}

/// Histograms and tallies of one worker.
#[derive(Debug, Default)]
pub struct ThreadStats {
    pub connect: Latency,
    pub ack: Latency,
    pub e2e_corrected: Latency,
    pub e2e_uncorrected: Latency,
    /// Deliveries whose corrected and uncorrected latencies are the same (sent when
    /// intended: every unpaced message), recorded once and counted in both.
    pub e2e_same: Latency,
    /// Paced runs: how late mqtk put each message out, actual − intended send time.
    pub lateness: Latency,
    /// The headline latency since the last tick.
    pub interval: Latency,
    pub connect_failures: BTreeMap<String, u64>,
    pub disconnects: BTreeMap<String, u64>,
    pub last_connected: Option<Instant>,
    pub io: IoCounts,
}

/// The reads and writes of one worker's clients, by role: how many messages each syscall
/// carried is what decides how much CPU a run costs (issue: small reads).
#[derive(Debug, Default, Clone, Copy)]
pub struct IoCounts {
    pub publisher_writes: u64,
    pub publisher_write_bytes: u64,
    pub subscriber_reads: u64,
    pub subscriber_read_bytes: u64,
    /// Times a flat-out QoS 0 publisher waited for its subscribers (its window was full).
    pub gate_waits: u64,
    /// ...and gave up waiting after GATE_PATIENCE.
    pub gate_timeouts: u64,
}

/// What one worker thread used over its whole life (connecting included).
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadUsage {
    pub cpu: Duration,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

impl ThreadUsage {
    /// The calling thread's usage so far (zero where the system cannot tell).
    fn of_this_thread() -> ThreadUsage {
        #[cfg(target_os = "linux")]
        {
            use nix::sys::resource::{getrusage, UsageWho};
            if let Ok(usage) = getrusage(UsageWho::RUSAGE_THREAD) {
                let micros = |t: nix::sys::time::TimeVal| {
                    Duration::from_secs(t.tv_sec().max(0) as u64)
                        + Duration::from_micros(t.tv_usec().max(0) as u64)
                };
                return ThreadUsage {
                    cpu: micros(usage.user_time()) + micros(usage.system_time()),
                    voluntary_switches: usage.voluntary_context_switches().max(0) as u64,
                    involuntary_switches: usage.involuntary_context_switches().max(0) as u64,
                };
            }
        }
        ThreadUsage::default()
    }
}

#[derive(Debug, Default)]
pub struct PublisherOutcome {
    pub index: u32,
    pub number: u32,
    pub fanout: u32,
    pub sent: u64,
    /// Sent messages whose intended time is after the warmup.
    pub sent_measured: u64,
    pub acked: u64,
    pub acked_measured: u64,
    pub rejected: BTreeMap<u8, u64>,
    /// Sequence numbers sent but never acknowledged, or rejected.
    pub unacked: Vec<u64>,
    pub max_lag: Duration,
    /// Paced: messages whose intended time came before sending stopped (at most the
    /// schedule's), what an interrupted run had asked for by then.
    pub due: u64,
    /// How late the schedule was when sending stopped.
    pub final_lag: Duration,
    pub last_sent: Option<Instant>,
    pub last_acked: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct SubscriberOutcome {
    pub index: u32,
    /// By publisher number (from the payload header).
    pub sequences: ByPublisher<Sequence>,
    pub received_measured: u64,
    /// Messages without mqtk's header (counted, not timed).
    pub foreign: u64,
    /// The smallest and largest payload received, in bytes.
    pub sizes: Option<(u64, u64)>,
    /// pubsub: messages with mqtk's header meant before this run's t0 (an earlier run's).
    pub stale: u64,
    pub last_received: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct ThreadOutcome {
    /// Clients whose task failed (a bug in mqtk); their counts are not in the report.
    pub crashed: u64,
    pub stats: ThreadStats,
    pub usage: ThreadUsage,
    /// The clients this worker ran: publishers, subscribers, idle.
    pub roles: (u32, u32, u32),
    pub publishers: Vec<PublisherOutcome>,
    pub subscribers: Vec<SubscriberOutcome>,
}

/// How far apart shards of one run may start (and their clocks be): a subscriber takes
/// messages meant this long before its own start as the run's, not an earlier run's.
/// Shards start together through --barrier (milliseconds apart) or --start-at (as far
/// apart as the machines' clocks).
pub const SHARD_SKEW: Duration = Duration::from_secs(1);

/// Handshakes in flight at once per worker when no --connect-rate paces them: enough to keep
/// the broker busy, few enough not to overflow its listen backlog (SYN retries cost 1 s).
const CONNECTS_IN_FLIGHT: usize = 32;
/// A publisher's write batch: fill to about this much, then write.
const BATCH_BYTES: usize = 32 * 1024;
/// Read this much at a time (publishers and subscribers; idle clients read little).
const READ_BYTES: usize = 64 * 1024;

/// What every task of one worker shares.
struct Worker {
    plan: Arc<Plan>,
    shared: Arc<Shared>,
    clock: BenchClock,
    start: Instant,
    /// Each broker's addresses (by its index in the -h/-L list).
    resolved: Arc<[Option<Arc<[SocketAddr]>>]>,
    connect_slots: Semaphore,
    filler: Bytes,
    stats: RefCell<ThreadStats>,
    /// Wakes paced publishers on time.
    pacer: Pacer,
    /// Clients not connected by then never will be ([`Plan::ramp_up_limit`]).
    ramp_end: Instant,
    /// Polled subscribers read through this (see `read_now`).
    scratch: RefCell<Vec<u8>>,
}

pub struct ThreadSetup {
    pub plan: Arc<Plan>,
    pub shared: Arc<Shared>,
    pub clock: BenchClock,
    pub start: Instant,
    pub resolved: Arc<[Option<Arc<[SocketAddr]>>]>,
    pub clients: Vec<ClientSpec>,
    pub phase: watch::Receiver<Phase>,
    pub ticks: mpsc::UnboundedSender<Tick>,
}

/// Starts a worker thread with its own event loop; its outcome arrives on the receiver.
pub fn spawn_thread(
    name: String,
    setup: ThreadSetup,
) -> std::io::Result<oneshot::Receiver<ThreadOutcome>> {
    let (done_tx, done_rx) = oneshot::channel();
    std::thread::Builder::new().name(name).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds");
        let local = tokio::task::LocalSet::new();
        let outcome = local.block_on(&runtime, run_thread(setup));
        let _ = done_tx.send(outcome);
    })?;
    Ok(done_rx)
}

enum ClientOutcome {
    Idle,
    Publisher(PublisherOutcome),
    Subscriber(SubscriberOutcome),
}

async fn run_thread(setup: ThreadSetup) -> ThreadOutcome {
    let filler_len = setup.plan.size.saturating_sub(HEADER_LEN);
    let ramp_end = setup.start + setup.plan.ramp_up_limit();
    let worker = Rc::new(Worker {
        filler: Bytes::from(vec![b'.'; filler_len]),
        plan: setup.plan,
        shared: setup.shared,
        clock: setup.clock,
        start: setup.start,
        resolved: setup.resolved,
        connect_slots: Semaphore::new(CONNECTS_IN_FLIGHT),
        stats: RefCell::new(ThreadStats::default()),
        pacer: Pacer::new(),
        ramp_end,
        scratch: RefCell::new(Vec::new()),
    });
    let pacer = tokio::task::spawn_local({
        let worker = worker.clone();
        async move { worker.pacer.run().await }
    });
    let ticker = tokio::task::spawn_local(tick(worker.clone(), setup.ticks.clone()));
    let mut roles = (0, 0, 0);
    for spec in &setup.clients {
        match spec.role {
            Role::Publisher => roles.0 += 1,
            Role::Subscriber => roles.1 += 1,
            Role::Idle => roles.2 += 1,
        }
    }
    let tasks: Vec<_> = setup
        .clients
        .into_iter()
        .map(|spec| tokio::task::spawn_local(client(worker.clone(), spec, setup.phase.clone())))
        .collect();
    let mut outcome = ThreadOutcome::default();
    for task in tasks {
        match task.await {
            Ok(ClientOutcome::Publisher(p)) => outcome.publishers.push(p),
            Ok(ClientOutcome::Subscriber(s)) => outcome.subscribers.push(s),
            Ok(ClientOutcome::Idle) => {}
            // A bug: the client's counts are gone. It is reported as a failed client (and
            // the run as an internal error), never as messages the broker lost.
            Err(_) => outcome.crashed += 1,
        }
    }
    ticker.abort();
    pacer.abort();
    // The last, partial second: every client has ended, so nothing is recorded after it
    // and the series' histograms add up to the run's (the interval log is their sum).
    // Flushed when the run closed instead, it missed what clients still recorded while
    // they wound down: under load an interval log held 780 of a run's 800 latencies.
    send_interval(&worker, &setup.ticks, worker.start.elapsed().as_secs() + 1);
    outcome.stats = std::mem::take(&mut *worker.stats.borrow_mut());
    outcome.usage = ThreadUsage::of_this_thread();
    outcome.roles = roles;
    outcome
}

/// Hands the worker's headline latency of each whole second to the coordinator (the
/// thread sends the last, partial one once its clients have ended).
async fn tick(worker: Rc<Worker>, ticks: mpsc::UnboundedSender<Tick>) {
    let mut interval = tokio::time::interval_at(
        worker.start + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let at = interval.tick().await;
        if !send_interval(&worker, &ticks, (at - worker.start).as_secs()) {
            return;
        }
    }
}

/// Sends the latencies recorded since the last tick as `second`'s (nothing when there are
/// none); false once the coordinator no longer listens.
fn send_interval(worker: &Worker, ticks: &mpsc::UnboundedSender<Tick>, second: u64) -> bool {
    let latency = std::mem::take(&mut worker.stats.borrow_mut().interval);
    latency.count() == 0 || ticks.send(Tick { second, latency }).is_ok()
}

async fn client(
    worker: Rc<Worker>,
    spec: ClientSpec,
    phase: watch::Receiver<Phase>,
) -> ClientOutcome {
    let mut behaviour = match spec.role {
        Role::Idle => Behaviour::Idle,
        Role::Publisher => Behaviour::Publisher(Box::new(Publisher::new(&worker, &spec))),
        Role::Subscriber => Behaviour::Subscriber(Box::new(Subscriber::new(&spec, &worker))),
    };
    if let Some(mut link) = connect(&worker, &spec, &phase).await {
        if let Behaviour::Publisher(p) = &mut behaviour {
            p.window = p.window.min(usize::from(link.receive_max));
        }
        let ended = drive(&worker, &mut link, &mut behaviour, phase).await;
        if let Behaviour::Publisher(p) = &mut behaviour {
            p.written_part(&worker, link.written);
        }
        match ended {
            Ok(()) => link.close().await,
            Err(cause) => {
                worker.shared.disconnected.fetch_add(1, Relaxed);
                *worker
                    .stats
                    .borrow_mut()
                    .disconnects
                    .entry(cause)
                    .or_default() += 1;
            }
        }
    }
    match behaviour {
        Behaviour::Idle => ClientOutcome::Idle,
        Behaviour::Publisher(mut p) => {
            p.stop_sending();
            p.report_done(&worker);
            ClientOutcome::Publisher(p.finish())
        }
        Behaviour::Subscriber(s) => ClientOutcome::Subscriber(s.outcome),
    }
}

/// An open connection, after CONNACK (and SUBACK).
struct Link {
    io: Io,
    read_buf: BytesMut,
    write_buf: BytesMut,
    /// Bytes of `write_buf` already written.
    written: usize,
    last_write: Instant,
    v5: bool,
    receive_max: u16,
    /// The largest packet accepted (--max-packet-size).
    max_incoming: usize,
    /// With -d: the client's id, for the packet trace.
    trace: Option<String>,
    /// Bytes of `write_buf` already traced.
    traced: usize,
}

/// How a link's bytes move.
enum Io {
    /// The event loop wakes the client when bytes come or room frees up.
    Evented {
        reader: ReadHalf<Box<dyn Stream>>,
        writer: WriteHalf<Box<dyn Stream>>,
    },
    /// A flat-out QoS 0 subscriber's plain TCP socket, taken out of the event loop and read
    /// on a timer (see [`POLL_BACKOFF`]). Registered, every packet the broker writes would
    /// wake the thread, pause or not: a broker with `set_tcp_nodelay true` sends each
    /// message in its own packet (68 000 wake-ups for 123 000 messages, 10 µs of CPU each).
    Polled(std::net::TcpStream),
}

impl Io {
    /// The socket out of the event loop for a subscriber that polls (plain TCP only; TLS,
    /// WebSocket and unix sockets stay evented), else the event loop's halves.
    fn new(stream: Box<dyn Stream>, polled: bool) -> std::io::Result<Io> {
        if polled && stream.as_any().is::<tokio::net::TcpStream>() {
            return match stream.into_any().downcast::<tokio::net::TcpStream>() {
                // Deregistered; it stays non-blocking.
                Ok(tcp) => Ok(Io::Polled((*tcp).into_std()?)),
                Err(_) => Err(std::io::Error::other("not a TCP stream")),
            };
        }
        let (reader, writer) = tokio::io::split(stream);
        Ok(Io::Evented { reader, writer })
    }
}

/// Reads what the socket holds now, without waiting, through `scratch` (std's read wants
/// initialised bytes: one zeroed buffer per thread, not 64 KiB zeroed per poll): the bytes
/// read (0 when nothing was there) and the read calls it took, or Err(None) when the broker
/// closed the connection and nothing came before its end (what came is returned first, and
/// the next poll sees the end).
fn read_now(
    tcp: &std::net::TcpStream,
    buf: &mut BytesMut,
    scratch: &mut [u8],
) -> Result<(usize, u64), Option<std::io::Error>> {
    use std::io::Read;
    let (mut total, mut calls) = (0, 0);
    loop {
        let read = (&*tcp).read(scratch);
        calls += 1;
        match read {
            Ok(0) if total > 0 => return Ok((total, calls)),
            Ok(0) => return Err(None),
            Ok(n) => {
                buf.extend_from_slice(&scratch[..n]);
                total += n;
                if n < scratch.len() {
                    return Ok((total, calls));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if would_block(&e) => return Ok((total, calls)),
            // Hand over what came; the next poll meets the error again.
            Err(_) if total > 0 => return Ok((total, calls)),
            Err(e) => return Err(Some(e)),
        }
    }
}

/// Reads on the event loop; never ready for a polled link.
async fn read_evented(
    io: Option<&mut ReadHalf<Box<dyn Stream>>>,
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    match io {
        Some(reader) => reader.read_buf(buf).await,
        None => std::future::pending().await,
    }
}

/// Writes on the event loop; never ready for a polled link.
async fn write_evented(
    io: Option<&mut WriteHalf<Box<dyn Stream>>>,
    bytes: &[u8],
) -> std::io::Result<usize> {
    match io {
        Some(writer) => writer.write(bytes).await,
        None => std::future::pending().await,
    }
}

/// A polled link's next read after one that found nothing waits this many times longer,
/// up to [`POLL_BACKOFF`] times the pause: an idle subscriber costs a few hundred reads a
/// second, and the first message after a quiet spell waits at most that long.
const POLL_BACKOFF: u32 = 8;

impl Link {
    /// Sends DISCONNECT and closes. What is still unwritten is dropped, not flushed: those
    /// messages were not sent (and are not counted), and a packet cut in half cannot be
    /// followed by DISCONNECT, so then the connection is just closed.
    async fn close(self) {
        let whole = self.written == 0 || self.written == self.write_buf.len();
        match self.io {
            Io::Evented { mut writer, .. } => {
                let leave = async {
                    if whole {
                        writer.write_all(&[0xE0, 0]).await?;
                    }
                    writer.shutdown().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), leave).await;
            }
            Io::Polled(tcp) => {
                use std::io::Write;
                if whole {
                    let _ = (&tcp).write(&[0xE0, 0]);
                }
                let _ = tcp.shutdown(std::net::Shutdown::Write);
            }
        }
    }
}

/// Connects (paced by --connect-rate, or a bounded number at a time) and subscribes.
async fn connect(
    worker: &Worker,
    spec: &ClientSpec,
    phase: &watch::Receiver<Phase>,
) -> Option<Link> {
    let plan = &worker.plan;
    let _permit = match plan.connect_rate {
        Some(rate) => {
            let at = worker.start + Duration::from_secs_f64(f64::from(spec.order) / rate);
            let mut phase = phase.clone();
            // Ctrl-C during a slow ramp-up must not wait for every scheduled connect.
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                _ = phase.wait_for(|p| *p == Phase::Close) => {}
            }
            None
        }
        None => {
            let mut phase = phase.clone();
            tokio::select! {
                permit = worker.connect_slots.acquire() => permit.ok(),
                _ = phase.wait_for(|p| *p == Phase::Close) => None,
                () = tokio::time::sleep_until(worker.ramp_end) => None,
            }
        }
    };
    let (opts, broker) = plan.target(spec.order);
    let resolved = worker.resolved.get(broker).cloned().flatten();
    if *phase.borrow() == Phase::Close || Instant::now() >= worker.ramp_end {
        worker.shared.connect_done.fetch_add(1, Relaxed);
        if *phase.borrow() != Phase::Close {
            let failure = ramp_up_over(opts);
            record_connect_failure(worker, RAMP_UP_OVER.into(), failure);
        }
        return None;
    }
    let keepalive = opts.keepalive;
    let attempt = async {
        let (mut connection, phases, connack) =
            link::connect(opts, &spec.client_id, keepalive, resolved.as_deref()).await?;
        let limits = Limits::from_connack(&connack).map_err(Failure::Protocol)?;
        limits
            .check_qos(plan.qos, &opts.broker_display())
            .map_err(Failure::Usage)?;
        if spec.role == Role::Subscriber {
            subscribe(&mut connection, &spec.topic, plan.qos).await?;
        }
        let (stream, read_buf) = connection.into_parts();
        let polled = spec.role == Role::Subscriber && !plan.read_pause.is_zero();
        let io = Io::new(stream, polled).map_err(|e| {
            Failure::Unreachable(format!(
                "cannot take the connection to {} out of the event loop: {e}",
                opts.broker_display()
            ))
        })?;
        Ok::<_, Failure>(((io, read_buf), phases, connack))
    };
    // Each attempt has --connect-timeout, and all of them end with the ramp-up.
    let own_deadline = Instant::now() + opts.connect_timeout;
    // Boxed: connecting (TLS, WebSocket, proxy states) takes kilobytes that the client's
    // future would otherwise keep for the whole run; an idle `bench conn` client holds
    // only what it needs once connected.
    let attempt = Box::pin(attempt);
    let result = match tokio::time::timeout_at(own_deadline.min(worker.ramp_end), attempt).await {
        Ok(result) => result,
        Err(_) if own_deadline > worker.ramp_end => Err(ramp_up_over(opts)),
        Err(_) => Err(Failure::ConnectTimeout(format!(
            "no CONNACK from {} within --connect-timeout {}",
            opts.broker_display(),
            humantime::format_duration(opts.connect_timeout)
        ))),
    };
    worker.shared.connect_done.fetch_add(1, Relaxed);
    match result {
        Ok((connection, phases, connack)) => {
            {
                let mut stats = worker.stats.borrow_mut();
                let ns = phases.total().as_nanos() as u64;
                stats.connect.record(ns);
                if plan.mode == Mode::Conn {
                    stats.interval.record(ns);
                }
                stats.last_connected = Some(Instant::now());
            }
            worker.shared.connected.fetch_add(1, Relaxed);
            let receive_max = connack
                .properties
                .as_ref()
                .and_then(|p| p.receive_max)
                .unwrap_or(u16::MAX)
                .max(1);
            let (io, mut read_buf) = connection;
            if spec.role == Role::Idle && read_buf.is_empty() {
                // An idle client reads a PINGRESP now and then: no need for a 4 KiB buffer.
                read_buf = BytesMut::new();
            }
            Some(Link {
                io,
                read_buf,
                write_buf: BytesMut::new(),
                written: 0,
                last_write: Instant::now(),
                v5: opts.version == ProtocolVersion::V5,
                receive_max,
                max_incoming: opts.max_incoming as usize,
                trace: opts.debug.then(|| spec.client_id.clone()),
                traced: 0,
            })
        }
        Err(failure) => {
            let label = match &failure {
                Failure::ConnectTimeout(text) if text.starts_with(RAMP_UP_OVER) => {
                    RAMP_UP_OVER.into()
                }
                failure => failure_label(failure, &opts.broker_display()),
            };
            record_connect_failure(worker, label, failure);
            None
        }
    }
}

/// The failure of every client not connected when the ramp-up ends: the whole connect
/// phase lasts at most --connect-timeout after the last scheduled connect, so a broker
/// that stops accepting cannot hold the run for one timeout per batch of clients.
const RAMP_UP_OVER: &str = "not connected when the ramp-up ended";

fn ramp_up_over(opts: &ConnectOptions) -> Failure {
    Failure::ConnectTimeout(format!(
        "{RAMP_UP_OVER} (--connect-timeout {} after the last scheduled connect to {})",
        humantime::format_duration(opts.connect_timeout),
        opts.broker_display()
    ))
}

fn record_connect_failure(worker: &Worker, label: String, failure: Failure) {
    worker.shared.connect_failed.fetch_add(1, Relaxed);
    *worker
        .stats
        .borrow_mut()
        .connect_failures
        .entry(label)
        .or_default() += 1;
    let mut first = worker
        .shared
        .first_failure
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    first.get_or_insert(failure);
}

async fn subscribe(connection: &mut link::Link, filter: &str, qos: u8) -> Result<(), Failure> {
    let lost =
        |e: LinkError| Failure::ConnectionLost(format!("connection lost while subscribing: {e}"));
    connection
        .send(&Packet::Subscribe {
            pkid: 1,
            subscription: Subscription {
                filters: vec![filter.to_string()],
                qos,
                ..Subscription::default()
            },
        })
        .await
        .map_err(lost)?;
    loop {
        match connection.next().await.map_err(lost)?.0 {
            Packet::SubAck { codes, .. } => {
                return match codes.first() {
                    Some(&code) if code < 0x80 => Ok(()),
                    code => Err(Failure::SubscribeRejected(format!(
                        "the broker refused the subscription to '{filter}' (SUBACK 0x{:02X})",
                        code.copied().unwrap_or(0x80)
                    ))),
                };
            }
            Packet::Disconnect { reason, .. } => {
                return Err(Failure::ConnectionLost(format!(
                    "the broker disconnected while subscribing: {}",
                    reason_text(reason)
                )))
            }
            _ => {}
        }
    }
}

/// A connection failure in a few words, for the failures-by-reason table.
fn failure_label(failure: &Failure, broker: &str) -> String {
    match failure {
        Failure::Refused { code, reason } => format!("CONNACK refused: {reason} ({code})"),
        Failure::ConnectTimeout(_) => "no CONNACK within --connect-timeout".into(),
        Failure::SubscribeRejected(_) => "subscription refused (SUBACK)".into(),
        other => other.to_string().replace(broker, "the broker"),
    }
}

enum Behaviour {
    Idle,
    Publisher(Box<Publisher>),
    Subscriber(Box<Subscriber>),
}

/// Runs one connection until Close (Ok) or until it is lost (Err: the cause).
async fn drive(
    worker: &Worker,
    link: &mut Link,
    behaviour: &mut Behaviour,
    mut phase: watch::Receiver<Phase>,
) -> Result<(), String> {
    let keepalive = worker.plan.conn.keepalive;
    let read_chunk = if matches!(behaviour, Behaviour::Idle) {
        64
    } else {
        READ_BYTES
    };
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let mut keepalive_check = if keepalive.is_zero() {
        far
    } else {
        link.last_write + keepalive
    };
    // A PINGREQ written and not answered yet.
    let mut ping_sent: Option<Instant> = None;
    let mut full_batch = false;
    // The keepalive's timer (millisecond resolution is plenty); a paced publisher's next
    // message waits on the worker's precise pacer instead, under its own waiter number.
    let mut timer = pin!(tokio::time::sleep_until(keepalive_check));
    let mut waiter: Option<usize> = None;
    let mut armed = keepalive_check;
    let is_subscriber = matches!(behaviour, Behaviour::Subscriber(_));
    let read_pause = if is_subscriber {
        worker.plan.read_pause
    } else {
        Duration::ZERO
    };
    // While messages stream in, the next read waits for this (see plan::READ_PAUSE).
    // Boxed, and only for a subscriber that pauses: a timer in every client's future would
    // cost `bench conn` 100 bytes per connection.
    let mut pause = (!read_pause.is_zero()).then(|| Box::pin(tokio::time::sleep_until(far)));
    let mut pausing = false;
    // A polled link reads only when its pause ends: the first one is now.
    if matches!(link.io, Io::Polled(_)) {
        reset(&mut pause, Instant::now());
        pausing = true;
    }
    let mut idle_polls: u32 = 0;
    let mut last_read = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    // Packets that came with CONNACK/SUBACK (retained messages, a DISCONNECT).
    decode_all(worker, link, behaviour)?;
    // The phase may have moved on while we connected.
    let mut current = Phase::Connecting;
    loop {
        if follow(worker, &mut phase, &mut current, behaviour) == Phase::Close {
            return Ok(());
        }
        let wake = if link.written == link.write_buf.len() {
            link.write_buf.clear();
            link.written = 0;
            link.traced = 0;
            behaviour.produce(worker, &mut link.write_buf)
        } else {
            None
        };
        if let Some(client) = &link.trace {
            if link.traced < link.write_buf.len() {
                wire::trace_sent(client, &link.write_buf[link.traced..], link.v5);
                link.traced = link.write_buf.len();
            }
        }
        if keepalive_check != armed {
            timer.as_mut().reset(keepalive_check);
            armed = keepalive_check;
        }
        let due = wake.unwrap_or(far);
        let waiter = match wake {
            Some(_) => *waiter.get_or_insert_with(|| worker.pacer.waiter()),
            None => 0,
        };
        if link.read_buf.capacity() - link.read_buf.len() < read_chunk / 4 {
            link.read_buf.reserve(read_chunk);
        }
        let room = link.read_buf.capacity() - link.read_buf.len();
        if std::mem::take(&mut full_batch) {
            // A publisher whose socket always has room would keep the event loop for a
            // whole scheduling budget (128 writes, megabytes) and starve the subscribers
            // sharing it; after each full batch, the others get their turn.
            tokio::task::yield_now().await;
        }
        if let Io::Polled(tcp) = &link.io {
            if link.written < link.write_buf.len() {
                use std::io::Write;
                match (&*tcp).write(&link.write_buf[link.written..]) {
                    Ok(0) => return Err("write failed: the connection is closed".into()),
                    Ok(n) => full_batch = wrote(worker, link, behaviour, n),
                    // No room now: the next poll tries again.
                    Err(e) if would_block(&e) => {}
                    Err(e) => return Err(format!("write failed: {}", e.kind())),
                }
            }
        }
        let gate = behaviour.waits_on(worker);
        let (reader, writer) = match &mut link.io {
            Io::Evented { reader, writer } => (Some(reader), Some(writer)),
            Io::Polled(_) => (None, None),
        };
        tokio::select! {
            biased;
            changed = phase.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
            }
            () = sleep_opt(pause.as_mut()), if pausing => {
                pausing = false;
                if let Io::Polled(tcp) = &link.io {
                    let mut scratch = worker.scratch.borrow_mut();
                    if scratch.is_empty() {
                        scratch.resize(READ_BYTES, 0);
                    }
                    let polled = read_now(tcp, &mut link.read_buf, &mut scratch);
                    drop(scratch);
                    let (read, calls) = match polled {
                        Ok(read) => read,
                        Err(None) => return Err("the broker closed the connection".into()),
                        Err(Some(e)) => return Err(format!("read failed: {}", e.kind())),
                    };
                    count_reads(worker, calls, read);
                    // Every pause while bytes come; longer and longer ones after polls that
                    // found nothing.
                    idle_polls = if read > 0 { 0 } else { (idle_polls + 1).min(POLL_BACKOFF) };
                    let wait = read_pause * idle_polls.max(1).next_power_of_two().min(POLL_BACKOFF);
                    reset(&mut pause, Instant::now() + wait);
                    pausing = true;
                    if read > 0 {
                        ping_sent = None;
                        follow(worker, &mut phase, &mut current, behaviour);
                        decode_all(worker, link, behaviour)?;
                    }
                }
            }
            read = read_evented(reader, &mut link.read_buf), if !pausing => {
                let read = match read {
                    Ok(0) => return Err("the broker closed the connection".into()),
                    Err(e) => return Err(format!("read failed: {}", e.kind())),
                    Ok(n) => n,
                };
                if is_subscriber {
                    count_reads(worker, 1, read);
                }
                if !read_pause.is_zero() {
                    // Streaming: the last read was recent, and this one did not fill the
                    // buffer (when it did, more is waiting now).
                    let now = Instant::now();
                    if now - last_read < 2 * read_pause && read < room {
                        reset(&mut pause, now + read_pause);
                        pausing = true;
                    }
                    last_read = now;
                }
                ping_sent = None;
                // The phase may have changed after `changed()` was polled and before these
                // bytes came: a subscriber must know t0 before it times what they hold.
                follow(worker, &mut phase, &mut current, behaviour);
                decode_all(worker, link, behaviour)?;
            }
            written = write_evented(writer, &link.write_buf[link.written..]), if link.written < link.write_buf.len() => {
                match written {
                    Ok(0) => return Err("write failed: the connection is closed".into()),
                    Err(e) => return Err(format!("write failed: {}", e.kind())),
                    Ok(n) => full_batch = wrote(worker, link, behaviour, n),
                }
            }
            () = worker.pacer.until(waiter, due), if wake.is_some() => {}
            moved = gate_moved(gate), if gate.is_some() => {
                {
                    let mut stats = worker.stats.borrow_mut();
                    stats.io.gate_waits += 1;
                    stats.io.gate_timeouts += u64::from(!moved);
                }
                behaviour.gate_opened(worker, moved);
            }
            () = &mut timer => {
                // A fired timer stays ready: re-arm it on the next turn, whatever the deadline.
                armed = far;
                let now = Instant::now();
                if now >= keepalive_check {
                    // A dead or frozen broker must not hold the run forever: no answer to a
                    // PINGREQ, or no byte written, for a keepalive and a half ends the link.
                    let silent_for = keepalive + keepalive / 2;
                    if ping_sent.is_some_and(|at| now - at >= silent_for) {
                        return Err("no PINGRESP within 1.5 × keepalive".into());
                    }
                    if link.written < link.write_buf.len() && now - link.last_write >= silent_for {
                        return Err("the broker read nothing for 1.5 × keepalive".into());
                    }
                    if now >= link.last_write + keepalive && link.written == link.write_buf.len() {
                        link.write_buf.extend_from_slice(&wire::PINGREQ);
                        link.last_write = now;
                        ping_sent.get_or_insert(now);
                    }
                    keepalive_check = (link.last_write + keepalive).max(now + keepalive / 2);
                }
            }
        }
    }
}

/// A subscriber's read calls that brought `n` bytes, in the worker's and the run's counts.
fn count_reads(worker: &Worker, calls: u64, n: usize) {
    let mut stats = worker.stats.borrow_mut();
    stats.io.subscriber_reads += calls;
    stats.io.subscriber_read_bytes += n as u64;
    worker.shared.reads.fetch_add(calls, Relaxed);
    worker.shared.read_bytes.fetch_add(n as u64, Relaxed);
}

/// Waits for an optional timer; never ready without one.
async fn sleep_opt(sleep: Option<&mut Pin<Box<tokio::time::Sleep>>>) {
    match sleep {
        Some(sleep) => sleep.as_mut().await,
        None => std::future::pending().await,
    }
}

fn reset(sleep: &mut Option<Pin<Box<tokio::time::Sleep>>>, at: Instant) {
    if let Some(sleep) = sleep {
        sleep.as_mut().reset(at);
    }
}

/// Counts `n` bytes of the write buffer as written; true when that completed a full batch.
fn wrote(worker: &Worker, link: &mut Link, behaviour: &mut Behaviour, n: usize) -> bool {
    if !matches!(behaviour, Behaviour::Subscriber(_)) {
        let mut stats = worker.stats.borrow_mut();
        stats.io.publisher_writes += 1;
        stats.io.publisher_write_bytes += n as u64;
        worker.shared.writes.fetch_add(1, Relaxed);
        worker.shared.write_bytes.fetch_add(n as u64, Relaxed);
    }
    link.written += n;
    link.last_write = Instant::now();
    if link.written == link.write_buf.len() {
        behaviour.flushed(worker);
        return link.written >= BATCH_BYTES;
    }
    false
}

fn would_block(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
    )
}

/// Applies a new phase to the client (start the schedule, stop sending); returns it.
fn follow(
    worker: &Worker,
    phase: &mut watch::Receiver<Phase>,
    current: &mut Phase,
    behaviour: &mut Behaviour,
) -> Phase {
    let now = *phase.borrow_and_update();
    if now != *current {
        *current = now;
        match now {
            Phase::Connecting | Phase::Close => {}
            Phase::Sending { t0 } => behaviour.start(worker, t0),
            Phase::StopSending { t0 } => {
                behaviour.start(worker, t0);
                behaviour.stop_sending();
            }
        }
    }
    now
}

/// Hands every whole packet in the read buffer to the client's behaviour.
fn decode_all(worker: &Worker, link: &mut Link, behaviour: &mut Behaviour) -> Result<(), String> {
    if link.read_buf.is_empty() {
        return Ok(());
    }
    let arrived = worker.clock.now_ns();
    let mut at = 0;
    let result = loop {
        match wire::decode(&link.read_buf[at..], link.v5, link.max_incoming) {
            Ok(Some((frame, len))) => {
                at += len;
                if let Some(client) = &link.trace {
                    stderr!("mqtk: debug: {client}: received {frame}");
                }
                if let Err(e) = behaviour.on_frame(worker, frame, arrived, &mut link.write_buf) {
                    break Err(e);
                }
            }
            Ok(None) => break Ok(()),
            Err(malformed) => {
                break Err(format!("malformed packet from the broker: {}", malformed.0))
            }
        }
    };
    // One advance per read, not one split per packet.
    link.read_buf.advance(at);
    result?;
    behaviour.after_read(worker);
    Ok(())
}

impl Behaviour {
    fn start(&mut self, worker: &Worker, t0: Instant) {
        match self {
            Behaviour::Idle => {}
            Behaviour::Publisher(p) => p.t0 = Some(t0),
            Behaviour::Subscriber(s) => {
                let t0_ns = worker.clock.at_ns(t0.into_std());
                let slack = if s.sharded {
                    SHARD_SKEW.as_nanos() as u64
                } else {
                    0
                };
                s.t0_ns = Some(t0_ns);
                // Never later than it was before t0: a message counted as the run's then
                // is not an earlier run's now.
                let before = t0_ns.saturating_sub(slack);
                s.stale_before_ns = Some(s.stale_before_ns.map_or(before, |b| b.min(before)));
            }
        }
    }

    fn stop_sending(&mut self) {
        if let Behaviour::Publisher(p) = self {
            p.stop_sending();
        }
    }

    /// Queues what is due; returns when to come back for more.
    fn produce(&mut self, worker: &Worker, out: &mut BytesMut) -> Option<Instant> {
        match self {
            Behaviour::Publisher(p) => p.produce(worker, out),
            _ => None,
        }
    }

    fn flushed(&mut self, worker: &Worker) {
        if let Behaviour::Publisher(p) = self {
            p.flushed(worker);
        }
    }

    fn on_frame(
        &mut self,
        worker: &Worker,
        frame: Frame,
        arrived_ns: u64,
        out: &mut BytesMut,
    ) -> Result<(), String> {
        match frame {
            Frame::Disconnect { reason } => {
                return Err(format!(
                    "DISCONNECT from the broker: {} (0x{reason:02X})",
                    reason_text(reason)
                ))
            }
            Frame::PingResp | Frame::Other(_) => {}
            Frame::Publish { qos, pkid, payload } => {
                if let Behaviour::Subscriber(s) = self {
                    s.on_publish(worker, payload, arrived_ns);
                }
                match qos {
                    1 => wire::encode_ack(out, wire::PUBACK, pkid),
                    2 => wire::encode_ack(out, wire::PUBREC, pkid),
                    _ => {}
                }
            }
            Frame::PubRel { pkid } => wire::encode_ack(out, wire::PUBCOMP, pkid),
            Frame::PubAck { pkid, reason } => {
                if let Behaviour::Publisher(p) = self {
                    p.on_ack(worker, pkid, reason, false, out);
                }
            }
            Frame::PubRec { pkid, reason } => {
                if let Behaviour::Publisher(p) = self {
                    p.on_ack(worker, pkid, reason, true, out);
                }
            }
            Frame::PubComp { pkid } => {
                if let Behaviour::Publisher(p) = self {
                    p.on_ack(worker, pkid, 0, false, out);
                }
            }
        }
        Ok(())
    }

    /// The gate a flat-out QoS 0 publisher waits on now (its window is full).
    fn waits_on<'a>(&self, worker: &'a Worker) -> Option<&'a Gate> {
        match self {
            Behaviour::Publisher(p) => p.waits_on(worker),
            _ => None,
        }
    }

    fn gate_opened(&mut self, worker: &Worker, moved: bool) {
        if let Behaviour::Publisher(p) = self {
            p.gate_opened(worker, moved);
        }
    }

    fn after_read(&mut self, worker: &Worker) {
        match self {
            Behaviour::Subscriber(s) => s.publish_counts(worker),
            Behaviour::Publisher(p) => p.publish_counts(worker),
            Behaviour::Idle => {}
        }
    }
}

/// A QoS 1/2 message waiting for its acknowledgement.
#[derive(Debug, Clone, Copy)]
struct Slot {
    seq: u64,
    sent_at: Instant,
    measured: bool,
    /// QoS 2: PUBREC came, PUBCOMP is due.
    released: bool,
}

struct Publisher {
    outcome: PublisherOutcome,
    client_id: String,
    /// The fixed topic, or empty when it changes per message.
    topic: String,
    topic_buf: String,
    qos: u8,
    retain: bool,
    v5: bool,
    t0: Option<Instant>,
    /// The end of sending by time (t0 + warmup + duration).
    sending_time: Option<Duration>,
    count: Option<u64>,
    schedule: Option<(Duration, Duration)>,
    /// What the plan asks of this publisher (None: unbounded).
    scheduled: Option<u64>,
    seq: u64,
    done: bool,
    reported_done: bool,
    window: usize,
    /// Indexed by packet id - 1.
    slots: Vec<Option<Slot>>,
    free_ids: Vec<u16>,
    in_flight: usize,
    /// Messages in the write buffer, not yet written out.
    batch: u64,
    batch_measured: u64,
    /// Where each message of the batch ends in the write buffer, and whether it is
    /// measured: a batch cut short (the run's end, a lost connection) still delivered the
    /// messages written out whole, and they count as sent.
    batch_ends: Vec<(usize, bool)>,
    /// Counts not yet added to the shared counters.
    unreported_acked: u64,
    unreported_rejected: u64,
    /// Flat-out QoS 0 pubsub: the gate's index and this publisher's window.
    gate: Option<(usize, u64)>,
    /// The window is full: produce() waits for the gate to move.
    gated: bool,
    /// Where the window starts when deliveries stopped coming (see gate_opened).
    gate_floor: u64,
}

impl Publisher {
    fn new(worker: &Worker, spec: &ClientSpec) -> Publisher {
        let plan = &worker.plan;
        let window = if plan.qos == 0 {
            usize::MAX
        } else {
            usize::from(plan.inflight)
        };
        Publisher {
            outcome: PublisherOutcome {
                index: spec.index,
                number: spec.number,
                fanout: plan.fanout(spec),
                ..PublisherOutcome::default()
            },
            client_id: spec.client_id.clone(),
            topic: spec.topic.clone(),
            topic_buf: String::new(),
            qos: plan.qos,
            retain: plan.retain,
            v5: plan.conn.version == ProtocolVersion::V5,
            t0: None,
            sending_time: plan.sending_time(),
            count: match plan.stop {
                Stop::Count(n) => Some(n),
                Stop::Duration(_) => None,
            },
            schedule: plan.schedule(spec.index),
            scheduled: plan.scheduled(spec.index),
            seq: 0,
            done: false,
            reported_done: false,
            window,
            slots: Vec::new(),
            free_ids: Vec::new(),
            in_flight: 0,
            batch: 0,
            batch_measured: 0,
            batch_ends: Vec::new(),
            unreported_acked: 0,
            unreported_rejected: 0,
            gate: plan
                .gate_window
                .filter(|_| plan.fanout(spec) > 0)
                .map(|window| (spec.index as usize, window)),
            gated: false,
            gate_floor: 0,
        }
    }

    /// This publisher's gate and window (flat-out QoS 0 pubsub).
    fn gate<'a>(&self, worker: &'a Worker) -> Option<(&'a Gate, u64)> {
        let (index, window) = self.gate?;
        Some((worker.shared.gates.get(index)?, window))
    }

    /// The gate this publisher waits on now, if its window is full.
    fn waits_on<'a>(&self, worker: &'a Worker) -> Option<&'a Gate> {
        self.gate(worker)
            .filter(|_| self.gated)
            .map(|(gate, _)| gate)
    }

    /// The first sequence number the window does not allow yet (u64::MAX without a gate).
    /// When the window is full, asks the subscribers to say when it moves.
    fn window_end(&mut self, worker: &Worker) -> u64 {
        let Some((gate, window)) = self.gate(worker) else {
            return u64::MAX;
        };
        let end = gate.delivered.load(SeqCst).max(self.gate_floor) + window;
        if self.seq < end {
            return end;
        }
        // Wait until half the window is free, not for each delivery: a write then carries
        // half a window of messages. Say so, then look again: a delivery between the two
        // is seen either here or by the subscriber, which then wakes us.
        let wake_at = self.seq + window.div_ceil(2) - window;
        gate.wake_at.store(wake_at, SeqCst);
        let delivered = gate.delivered.load(SeqCst).max(self.gate_floor);
        if delivered >= wake_at {
            gate.wake_at.store(u64::MAX, SeqCst);
            return delivered + window;
        }
        self.gated = true;
        end
    }

    /// The wait is over: a subscriber moved the gate, or (`moved` false) the window stayed
    /// shut for GATE_PATIENCE and what is in flight was dropped. Either way produce() looks
    /// again, and until then (bytes may still be unwritten) nothing waits on the gate.
    fn gate_opened(&mut self, worker: &Worker, moved: bool) {
        self.gated = false;
        if moved {
            return;
        }
        if let Some((gate, _)) = self.gate(worker) {
            gate.wake_at.store(u64::MAX, SeqCst);
        }
        self.gate_floor = self.seq;
    }

    fn intended(&self, t0: Instant, seq: u64) -> Option<Instant> {
        self.schedule.map(|(period, offset)| {
            t0 + offset + Duration::from_nanos((period.as_nanos() as u64).saturating_mul(seq))
        })
    }

    /// Called only when the write buffer is empty.
    fn produce(&mut self, worker: &Worker, out: &mut BytesMut) -> Option<Instant> {
        let t0 = self.t0?;
        if self.done {
            // Everything it will send is written out: now the coordinator may drain.
            self.report_done(worker);
            return None;
        }
        let end = self.sending_time.map(|d| t0 + d);
        let warm_end = t0 + worker.plan.warmup;
        let mut now = Instant::now();
        self.gated = false;
        // Unpaced, the batch goes out in one write: its messages share the time it was put
        // together (a clock read each would time nothing more, at ~50 ns a message).
        let batch_ns = worker.clock.now_ns();
        // Looked up at the first message and whenever it is reached.
        let mut window_end = if self.gate.is_some() { 0 } else { u64::MAX };
        while out.len() < BATCH_BYTES {
            if self.count.is_some_and(|count| self.seq >= count) {
                return self.stop_in_produce(worker, out);
            }
            let intended = self.intended(t0, self.seq);
            if let (Some(end), Some(at)) = (end, intended.or(Some(now))) {
                if at >= end {
                    return self.stop_in_produce(worker, out);
                }
            }
            if self.in_flight >= self.window {
                // An acknowledgement (a read) brings us back.
                return None;
            }
            if self.seq >= window_end {
                window_end = self.window_end(worker);
                if self.gated {
                    // A subscriber's delivery (or GATE_PATIENCE) brings us back, and a
                    // timed run's end, so that it stops on time.
                    return end;
                }
            }
            if let Some(at) = intended {
                if at > now {
                    // Check the clock again before sleeping: filling the batch took time.
                    now = Instant::now();
                    if at > now {
                        return Some(at);
                    }
                }
                self.outcome.max_lag = self.outcome.max_lag.max(now - at);
            }
            let pkid = if self.qos > 0 { self.take_id() } else { 0 };
            let sent_ns = match intended {
                Some(_) => worker.clock.now_ns(),
                None => batch_ns,
            };
            let intended_ns = intended.map_or(sent_ns, |at| worker.clock.at_ns(at.into_std()));
            let measured = worker.plan.warmup.is_zero() || intended.unwrap_or(now) >= warm_end;
            if measured && intended.is_some() {
                let late = sent_ns.saturating_sub(intended_ns);
                worker.stats.borrow_mut().lateness.record(late);
            }
            let mut header = [0u8; HEADER_LEN];
            Header {
                publisher: self.outcome.number,
                seq: self.seq,
                intended_ns,
                sent_ns,
            }
            .write(&mut header);
            let topic: &[u8] = if self.topic.is_empty() {
                self.topic_buf.clear();
                let template = worker.plan.topic.as_ref().expect("publishers have a topic");
                template.render_into(
                    &mut self.topic_buf,
                    self.outcome.number,
                    &self.client_id,
                    self.seq,
                );
                self.topic_buf.as_bytes()
            } else {
                self.topic.as_bytes()
            };
            let spec = PublishSpec {
                topic,
                qos: self.qos,
                retain: self.retain,
                v5: self.v5,
            };
            wire::encode_publish(out, &spec, pkid, &header, &worker.filler);
            if self.qos > 0 {
                self.slots[usize::from(pkid) - 1] = Some(Slot {
                    seq: self.seq,
                    sent_at: now,
                    measured,
                    released: false,
                });
                self.in_flight += 1;
            }
            self.batch += 1;
            self.batch_measured += u64::from(measured);
            self.batch_ends.push((out.len(), measured));
            self.seq += 1;
        }
        // The batch is full: come back as soon as it is written.
        None
    }

    fn take_id(&mut self) -> u16 {
        if let Some(id) = self.free_ids.pop() {
            return id;
        }
        self.slots.push(None);
        self.slots.len() as u16
    }

    /// The whole batch is written.
    fn flushed(&mut self, worker: &Worker) {
        let (count, measured) = (self.batch, self.batch_measured);
        self.count_sent(worker, count, measured);
        self.batch_ends.clear();
    }

    /// The connection ends with the batch written up to `written` bytes: the messages
    /// written out whole were sent (the broker reads them before our FIN); the rest never
    /// left.
    fn written_part(&mut self, worker: &Worker, written: usize) {
        let whole = self
            .batch_ends
            .iter()
            .take_while(|(end, _)| *end <= written);
        let (count, measured) = whole.fold((0, 0), |(n, m), &(_, measured)| {
            (n + 1, m + u64::from(measured))
        });
        self.count_sent(worker, count, measured);
        self.batch_ends.clear();
    }

    fn count_sent(&mut self, worker: &Worker, count: u64, measured: u64) {
        if count == 0 {
            return;
        }
        self.outcome.sent += count;
        self.outcome.sent_measured += measured;
        self.outcome.last_sent = Some(Instant::now());
        worker.shared.sent.fetch_add(count, Relaxed);
        worker
            .shared
            .expected
            .fetch_add(count * u64::from(self.outcome.fanout), Relaxed);
        self.batch -= count;
        self.batch_measured -= measured;
    }

    fn on_ack(
        &mut self,
        worker: &Worker,
        pkid: u16,
        reason: u8,
        is_pubrec: bool,
        out: &mut BytesMut,
    ) {
        let Some(entry) = pkid
            .checked_sub(1)
            .and_then(|i| self.slots.get_mut(usize::from(i)))
        else {
            return;
        };
        let Some(slot) = entry.as_mut() else {
            return;
        };
        if reason >= 0x80 {
            *self.outcome.rejected.entry(reason).or_default() += 1;
            self.outcome.unacked.push(slot.seq);
            self.unreported_rejected += 1;
        } else if is_pubrec {
            if !slot.released {
                slot.released = true;
                wire::encode_ack(out, wire::PUBREL, pkid);
            }
            return;
        } else {
            let now = Instant::now();
            if slot.measured {
                let ns = (now - slot.sent_at).as_nanos() as u64;
                let mut stats = worker.stats.borrow_mut();
                stats.ack.record(ns);
                if worker.plan.mode == Mode::Pub {
                    stats.interval.record(ns);
                }
                self.outcome.acked_measured += 1;
            }
            self.outcome.acked += 1;
            self.outcome.last_acked = Some(now);
            self.unreported_acked += 1;
        }
        *entry = None;
        self.free_ids.push(pkid);
        self.in_flight -= 1;
    }

    fn publish_counts(&mut self, worker: &Worker) {
        if self.unreported_acked > 0 {
            worker
                .shared
                .acked
                .fetch_add(self.unreported_acked, Relaxed);
            self.unreported_acked = 0;
        }
        if self.unreported_rejected > 0 {
            worker
                .shared
                .rejected
                .fetch_add(self.unreported_rejected, Relaxed);
            self.unreported_rejected = 0;
        }
    }

    fn stop_in_produce(&mut self, worker: &Worker, out: &BytesMut) -> Option<Instant> {
        self.stop_sending();
        if out.is_empty() {
            self.report_done(worker);
        }
        None
    }

    fn report_done(&mut self, worker: &Worker) {
        if !self.reported_done {
            self.reported_done = true;
            // Release: whoever sees this count also sees this publisher's final counts.
            worker.shared.publishers_done.fetch_add(1, Release);
        }
    }

    /// Sends nothing more. The coordinator hears of it once the last batch is written
    /// ([`Publisher::report_done`]), so its drain never starts before the last count.
    fn stop_sending(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let Some(t0) = self.t0 else {
            return;
        };
        let scheduled = self.scheduled;
        if let Some((period, offset)) = self.schedule {
            let now = Instant::now();
            let since = now.saturating_duration_since(t0 + offset);
            let due = if now < t0 + offset {
                0
            } else {
                (since.as_nanos() / period.as_nanos().max(1)) as u64 + 1
            };
            self.outcome.due = scheduled.map_or(due, |n| due.min(n)).max(self.seq);
            let behind = match scheduled {
                Some(n) if self.seq < n => self.intended(t0, self.seq),
                _ => self
                    .seq
                    .checked_sub(1)
                    .and_then(|last| self.intended(t0, last)),
            };
            self.outcome.final_lag = behind.map_or(Duration::ZERO, |at| {
                let reference = if scheduled.is_some_and(|n| self.seq < n) {
                    now.min(self.sending_time.map_or(now, |d| t0 + d))
                } else {
                    self.outcome.last_sent.unwrap_or(now)
                };
                reference.saturating_duration_since(at)
            });
        }
    }

    fn finish(mut self) -> PublisherOutcome {
        // Messages still in the write buffer (the last `batch` numbers) were never sent;
        // the others in flight were sent and never acknowledged.
        let unsent_from = self.seq - self.batch;
        for slot in self.slots.iter().flatten() {
            if slot.seq < unsent_from {
                self.outcome.unacked.push(slot.seq);
            }
        }
        self.outcome.unacked.sort_unstable();
        self.outcome
    }
}

struct Subscriber {
    outcome: SubscriberOutcome,
    /// `sub` mode: the publishers were running before we subscribed, so a sequence starts
    /// at its first arrival (pubsub: at 0).
    joins_late: bool,
    /// A member of a `--shared` group: keeps every number it got, for the group's union.
    shared: bool,
    /// t0 on the payload clock, once known.
    t0_ns: Option<u64>,
    /// Headers meant before this (payload clock) are an earlier run's: t0, or with shards
    /// t0 less [`SHARD_SKEW`], since other shards' clocks and starts differ a little.
    stale_before_ns: Option<u64>,
    /// Part of a sharded run: without a warmup, messages count before this process's t0.
    sharded: bool,
    unreported_received: u64,
    unreported_duplicates: u64,
}

impl Subscriber {
    fn new(spec: &ClientSpec, worker: &Worker) -> Subscriber {
        let plan = &worker.plan;
        let sharded = !plan.shard.is_whole();
        // Other shards' publishers may start a moment before this process hears it is
        // time: their messages are this run's.
        let stale_before_ns = sharded.then(|| {
            let started = worker.clock.at_ns(worker.start.into_std());
            started.saturating_sub(SHARD_SKEW.as_nanos() as u64)
        });
        Subscriber {
            joins_late: plan.mode == Mode::Sub,
            shared: plan.shared.is_some(),
            outcome: SubscriberOutcome {
                index: spec.index,
                ..SubscriberOutcome::default()
            },
            t0_ns: None,
            stale_before_ns,
            sharded,
            unreported_received: 0,
            unreported_duplicates: 0,
        }
    }

    /// From when on (payload clock) messages are measured; None before t0 is known.
    /// Without a warmup everything counts, whatever the clocks of two CPUs say about a
    /// message encoded a microsecond after t0 (and, in `sub`, whenever it was meant).
    fn warm_end_ns(&self, warmup: Duration) -> Option<u64> {
        if self.sharded && warmup.is_zero() {
            return Some(0);
        }
        self.t0_ns.map(|t0| {
            if warmup.is_zero() {
                0
            } else {
                t0 + warmup.as_nanos() as u64
            }
        })
    }

    fn on_publish(&mut self, worker: &Worker, payload: &[u8], arrived_ns: u64) {
        let warm_end_ns = self.warm_end_ns(worker.plan.warmup);
        let size = payload.len() as u64;
        self.outcome.sizes = Some(match self.outcome.sizes {
            Some((min, max)) => (min.min(size), max.max(size)),
            None => (size, size),
        });
        let Some(header) = Header::read(payload) else {
            self.outcome.foreign += 1;
            self.unreported_received += 1;
            if warm_end_ns.is_some_and(|warm_end| arrived_ns >= warm_end) {
                self.outcome.received_measured += 1;
            }
            return;
        };
        // pubsub: our publishers send nothing meant before t0. A header meant earlier is an
        // earlier run's leftover on the same topics (a broker still reading what its
        // publishers had queued, a retained message): counted apart, never as received.
        if !self.joins_late
            && self
                .stale_before_ns
                .is_none_or(|before| header.intended_ns < before)
        {
            self.outcome.stale += 1;
            return;
        }
        let (joined_late, shared) = (self.joins_late, self.shared);
        let sequence = self
            .outcome
            .sequences
            .entry(header.publisher)
            .or_insert_with(|| {
                let first = if joined_late { header.seq } else { 0 };
                if shared {
                    Sequence::member_from(first)
                } else {
                    Sequence::starting_at(first)
                }
            });
        if sequence.record(header.seq) == Arrival::Duplicate {
            self.unreported_duplicates += 1;
            return;
        }
        // Publisher numbers start at --start-number; one below wraps past every gate.
        let index = header.publisher.wrapping_sub(worker.plan.start_number) as usize;
        if let Some(gate) = worker.shared.gates.get(index) {
            gate.deliver(header.seq);
        }
        self.unreported_received += 1;
        if warm_end_ns.is_some_and(|warm_end| header.intended_ns >= warm_end) {
            let corrected = arrived_ns.saturating_sub(header.intended_ns);
            let mut stats = worker.stats.borrow_mut();
            if header.sent_ns == header.intended_ns {
                stats.e2e_same.record(corrected);
            } else {
                stats.e2e_corrected.record(corrected);
                stats
                    .e2e_uncorrected
                    .record(arrived_ns.saturating_sub(header.sent_ns));
            }
            stats.interval.record(corrected);
            self.outcome.received_measured += 1;
        }
    }

    fn publish_counts(&mut self, worker: &Worker) {
        if self.unreported_received > 0 {
            worker
                .shared
                .received
                .fetch_add(self.unreported_received, Relaxed);
            self.unreported_received = 0;
            self.outcome.last_received = Some(Instant::now());
        }
        if self.unreported_duplicates > 0 {
            worker
                .shared
                .duplicates
                .fetch_add(self.unreported_duplicates, Relaxed);
            self.unreported_duplicates = 0;
        }
    }
}

/// The counters of the shared struct at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub connected: u64,
    pub connect_done: u64,
    pub connect_failed: u64,
    pub disconnected: u64,
    pub sent: u64,
    pub acked: u64,
    pub rejected: u64,
    pub expected: u64,
    pub received: u64,
    pub duplicates: u64,
    pub publishers_done: u64,
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub write_bytes: u64,
}

impl Shared {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            connected: self.connected.load(Relaxed),
            connect_done: self.connect_done.load(Relaxed),
            connect_failed: self.connect_failed.load(Relaxed),
            disconnected: self.disconnected.load(Relaxed),
            sent: self.sent.load(Relaxed),
            acked: self.acked.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            expected: self.expected.load(Relaxed),
            received: self.received.load(Relaxed),
            duplicates: self.duplicates.load(Relaxed),
            publishers_done: self.publishers_done.load(Acquire),
            reads: self.reads.load(Relaxed),
            read_bytes: self.read_bytes.load(Relaxed),
            writes: self.writes.load(Relaxed),
            write_bytes: self.write_bytes.load(Relaxed),
        }
    }

    pub fn take_first_failure(&self) -> Option<Failure> {
        self.first_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}
