//! A TCP relay on 127.0.0.1:0 that imitates a WAN link with a fixed one-way delay, as
//! `tc netem delay D` on both ends of a link would (no root, no qdisc, no jitter, no loss,
//! no bandwidth limit): every chunk read from either side is stamped on arrival and written
//! to the other side exactly D later, in order. A request and its answer therefore cross it
//! in 2·D plus what they take without it, which is what the ground-truth tests in `truth.rs`
//! check mqtk's latency figures against. Connection setup is not delayed (the relay accepts
//! at once and connects to the target at once); the first bytes are.
//!
//! Precision: a writer thread sleeps until 200 µs before a chunk is due (a plain sleep ends
//! about 100 µs late on the test machine, more under load: timer slack and wake-up), then
//! polls the clock to the due instant, yielding the CPU between polls. Side by side on two
//! cores, writers that spun without yielding kept mosquitto and mqtk (what the relay is there
//! to measure) off a core and added 50-150 µs to `bench pubsub`'s end-to-end median; yielding
//! writers start their write a median 0.5 µs after the due instant. How late each chunk was
//! written is recorded (`lateness`), so a test can show the relay kept time. The hold runs
//! from the moment `read` returns to the moment the write begins; the extra TCP hop around it
//! (the reader thread waking up when bytes arrive, the relay's own write) is not part of D
//! and costs about 0.1 ms each way on the test machine, as
//! `each_direction_holds_every_chunk_the_delay` prints.
//!
//! [`DelayRelay::growing`] holds each chunk longer the later it arrives (a delay that grows by
//! a fixed amount per second of the relay's life): the path of a broker or a link whose queue
//! fills because it is fed faster than it drains (mosquitto behind a saturated uplink, a
//! broker cluster's forwarding queue under load), every message waiting behind more of it,
//! while the rate that gets through stays almost that of the sender. It is the ground truth
//! for bench's "latency grew through the run" verdict.
//!
//! Nagle and delayed ACKs: every relay socket has TCP_NODELAY, so the relay's own writes
//! leave at once, and each direction's reader thread does nothing but read, so bytes never
//! wait in the relay's receive buffer while a writer holds earlier ones. A peer *without*
//! TCP_NODELAY still waits, as on a real link: with mosquitto's `set_tcp_nodelay false`, a
//! QoS 1 `bench pubsub` (200 messages/s) through the relay measured a median 2-4 ms above
//! 2·D + the direct median at D = 5 ms; QoS 0 did not. Nagle's algorithm makes mosquitto
//! hold a small PUBLISH for the subscriber while its previous one is unacknowledged. The
//! relay's kernel, which also sends the subscriber's PUBACKs on that connection soon after
//! receiving, delays its ACK to piggyback it on the next of them, 2·D later (at QoS 0 the
//! relay sends nothing back and the ACK leaves when the reader reads): a wait of one round
//! trip, as a real link with this delay would impose, so not something the relay should
//! hide. The test broker sets `set_tcp_nodelay true` (broker.rs): the tests measure mqtk,
//! not Nagle.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long before a chunk is due its writer stops sleeping and starts polling the clock.
const SPIN: Duration = Duration::from_micros(200);

/// Held by every test that times something through a relay (here and in truth.rs) while it
/// measures: on two cores they would disturb each other.
pub static TIMING: Mutex<()> = Mutex::new(());

/// Takes `TIMING` (a failed test poisons it; the next one may still measure).
pub fn timing() -> MutexGuard<'static, ()> {
    TIMING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A chunk on its way through one direction: when it was read, and its bytes (`None`: the
/// sender closed its side, passed on as a FIN after the same delay).
type Chunk = (Instant, Option<Vec<u8>>);

/// The relay; stops accepting, closes every relayed connection and joins every thread on drop.
pub struct DelayRelay {
    port: u16,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the acceptor, the pumps and the relay's owner share.
#[derive(Default)]
struct Shared {
    /// Both sockets of every relayed connection, to close them on drop.
    sockets: Mutex<Vec<TcpStream>>,
    /// Every pump thread, to join on drop.
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// For every chunk written: how long after its due instant the write began.
    lateness: Mutex<Vec<Duration>>,
    accepted: AtomicUsize,
}

/// How late the relay wrote its chunks, over every chunk so far.
#[derive(Debug, Clone, Copy)]
pub struct Lateness {
    pub chunks: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl DelayRelay {
    /// Listens on 127.0.0.1:0 and relays each accepted connection to `target`, holding every
    /// chunk `delay` in each direction.
    pub fn start(target: SocketAddr, delay: Duration) -> DelayRelay {
        DelayRelay::with_hold(target, Hold::Fixed(delay))
    }

    /// As [`DelayRelay::start`], but a chunk read `t` seconds after the relay started is held
    /// `t · per_second` (so chunks still leave in the order they came).
    pub fn growing(target: SocketAddr, per_second: Duration) -> DelayRelay {
        DelayRelay::with_hold(
            target,
            Hold::Growing {
                since: Instant::now(),
                per_second,
            },
        )
    }

    fn with_hold(target: SocketAddr, hold: Hold) -> DelayRelay {
        assert!(target.ip().is_loopback(), "only 127.0.0.1 is a target");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared::default());
        let (thread_stop, thread_shared) = (stop.clone(), shared.clone());
        let acceptor = std::thread::Builder::new()
            .name(format!("delay-relay-{port}"))
            .spawn(move || {
                for client in listener.incoming() {
                    // `Drop` sets the flag, then connects once to wake this loop.
                    if thread_stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    // No target: the client sees its connection closed.
                    let Ok(server) = TcpStream::connect(target) else {
                        continue;
                    };
                    thread_shared.accepted.fetch_add(1, Ordering::SeqCst);
                    connect_pumps(client, server, hold, &thread_shared);
                }
            })
            .expect("spawn the relay's acceptor");
        DelayRelay {
            port,
            stop,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The port clients connect to (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connections accepted and relayed so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How late the chunks written so far left, after their due instants.
    pub fn lateness(&self) -> Lateness {
        let mut all = self.shared.lateness.lock().unwrap().clone();
        all.sort();
        let at = |q: f64| {
            all.get(((all.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        Lateness {
            chunks: all.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: all.last().copied().unwrap_or_default(),
        }
    }
}

impl Drop for DelayRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the acceptor blocked in accept(); it sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], self.port)),
            Duration::from_secs(5),
        );
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        // The acceptor is gone, so every connection's sockets are in the list: closing them
        // ends every reader (read returns) and so every writer (its channel ends, or its
        // next write fails).
        for socket in self.shared.sockets.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
        let threads: Vec<JoinHandle<()>> = self.shared.threads.lock().unwrap().drain(..).collect();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Display for Lateness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} chunks written late by p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            self.chunks,
            micros(self.p50),
            micros(self.p99),
            micros(self.max)
        )
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// How long a chunk is held.
#[derive(Debug, Clone, Copy)]
enum Hold {
    /// The same for every chunk.
    Fixed(Duration),
    /// `per_second` for every second between `since` and the chunk's arrival.
    Growing {
        since: Instant,
        per_second: Duration,
    },
}

impl Hold {
    /// When a chunk read at `stamp` is due.
    fn due(self, stamp: Instant) -> Instant {
        match self {
            Hold::Fixed(delay) => stamp + delay,
            Hold::Growing { since, per_second } => {
                stamp + per_second.mul_f64(stamp.saturating_duration_since(since).as_secs_f64())
            }
        }
    }
}

/// Starts the four threads of one connection: a reader and a writer per direction.
fn connect_pumps(client: TcpStream, server: TcpStream, hold: Hold, shared: &Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let clones = (|| {
        Some([
            client.try_clone().ok()?,
            server.try_clone().ok()?,
            server.try_clone().ok()?,
            client.try_clone().ok()?,
        ])
    })();
    let Some([from_client, to_server, from_server, to_client]) = clones else {
        return;
    };
    let mut threads = shared.threads.lock().unwrap();
    for (from, to) in [(from_client, to_server), (from_server, to_client)] {
        let (send, receive) = mpsc::channel::<Chunk>();
        threads.push(std::thread::spawn(move || read_side(from, send)));
        let shared = shared.clone();
        threads.push(std::thread::spawn(move || {
            write_side(receive, to, hold, &shared)
        }));
    }
    shared.sockets.lock().unwrap().extend([client, server]);
}

/// Reads whatever arrives, stamps it and queues it for the writer; nothing else, so bytes
/// never wait in the kernel while the writer holds earlier ones.
fn read_side(mut from: TcpStream, to_writer: mpsc::Sender<Chunk>) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => {
                let _ = to_writer.send((Instant::now(), None));
                return;
            }
            Ok(n) => {
                let stamp = Instant::now();
                if to_writer.send((stamp, Some(buffer[..n].to_vec()))).is_err() {
                    return; // the writer stopped: the other side is gone
                }
            }
        }
    }
}

/// Writes each chunk when `hold` says it is due, in order; passes the end on as a FIN.
fn write_side(chunks: mpsc::Receiver<Chunk>, mut to: TcpStream, hold: Hold, shared: &Shared) {
    while let Ok((stamp, bytes)) = chunks.recv() {
        let due = hold.due(stamp);
        wait_until(due);
        let late = Instant::now().saturating_duration_since(due);
        let Some(bytes) = bytes else { break };
        shared.lateness.lock().unwrap().push(late);
        if to.write_all(&bytes).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Sleeps until `SPIN` before `due`, then polls the clock to it, yielding the CPU to
/// whatever else is ready to run (with nothing else ready, a yield returns at once).
fn wait_until(due: Instant) {
    let now = Instant::now();
    if due > now + SPIN {
        std::thread::sleep(due - now - SPIN);
    }
    while Instant::now() < due {
        std::thread::yield_now();
    }
}

/// An echo server on 127.0.0.1:0, each connection on its own thread.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            let _ = socket.set_nodelay(true);
            std::thread::spawn(move || {
                let mut reader = socket.try_clone().unwrap();
                let _ = std::io::copy(&mut reader, &mut &socket);
            });
        }
    });
    address
}

fn connect(port: u16) -> TcpStream {
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_nodelay(true).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

/// Round trips of `rounds` 2-byte messages, one at a time, sorted.
fn ping_pong(socket: &mut TcpStream, rounds: usize) -> Vec<Duration> {
    let mut rtts: Vec<Duration> = (0..rounds)
        .map(|i| {
            let message = [b'p', i as u8];
            let started = Instant::now();
            socket.write_all(&message).unwrap();
            let mut back = [0u8; 2];
            socket.read_exact(&mut back).unwrap();
            let rtt = started.elapsed();
            assert_eq!(back, message);
            // Not back to back, like the probes of a ping.
            std::thread::sleep(Duration::from_millis(2));
            rtt
        })
        .collect();
    rtts.sort();
    rtts
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

#[test]
fn each_direction_holds_every_chunk_the_delay() {
    let _timing = timing();
    let echo = echo_server();
    let direct = ping_pong(&mut connect(echo.port()), 100);
    for delay_ms in [5, 20] {
        let delay = Duration::from_millis(delay_ms);
        let relay = DelayRelay::start(echo, delay);
        let relayed = ping_pong(&mut connect(relay.port()), 50);
        let lateness = relay.lateness();
        let extra = median(&relayed).saturating_sub(median(&direct) + 2 * delay);
        eprintln!(
            "D = {delay_ms} ms: direct median {:.1} µs, relayed min {:.1} µs median {:.1} µs \
             max {:.1} µs; median - direct - 2D = {:.1} µs; {lateness}",
            micros(median(&direct)),
            micros(relayed[0]),
            micros(median(&relayed)),
            micros(relayed[relayed.len() - 1]),
            micros(extra),
        );
        // Never early: each way waits the whole delay, so no round trip beats 2·D.
        assert!(relayed[0] >= 2 * delay, "{relayed:?}");
        // Every chunk (50 each way) went through the writer and was timed.
        assert_eq!(lateness.chunks, 100, "{lateness}");
        // The hold itself is precise: a plain sleep would end ~100 µs late.
        assert!(lateness.p50 < Duration::from_micros(50), "{lateness}");
        // The whole round trip, the relay's two hops included, is on time: the floor of the
        // bound the truth tests put on their paths.
        assert!(
            extra < Duration::from_micros(300),
            "relayed median {:?} vs direct {:?} + 2·{delay:?}; {lateness}",
            median(&relayed),
            median(&direct)
        );
        assert_eq!(relay.accepted(), 1);
    }
}

#[test]
fn bytes_arrive_whole_and_in_order_and_drop_closes_the_listener() {
    let _timing = timing();
    let echo = echo_server();
    let relay = DelayRelay::start(echo, Duration::from_millis(5));
    let port = relay.port();
    let mut socket = connect(port);
    // 1 MiB in writes of varied sizes, read back on another thread while writing.
    let data: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut reader = socket.try_clone().unwrap();
    let length = data.len();
    let back = std::thread::spawn(move || {
        let mut back = vec![0u8; length];
        reader.read_exact(&mut back).unwrap();
        back
    });
    let mut at = 0;
    for size in [1usize, 7, 100, 1460, 65536, 3].into_iter().cycle() {
        if at == data.len() {
            break;
        }
        let end = (at + size).min(data.len());
        socket.write_all(&data[at..end]).unwrap();
        at = end;
    }
    assert!(back.join().unwrap() == data, "bytes changed or reordered");
    // A FIN crosses too (after the delay): the echo server ends, then so does our read.
    socket.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    socket.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    drop(relay);
    let refused = TcpStream::connect(("127.0.0.1", port)).expect_err("listener closed");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}

/// A growing relay holds a chunk by its arrival's age: a round trip that starts `a` seconds
/// into the relay's life waits at least 2·a·per_second (each way at least a·per_second),
/// while one at the start waits next to nothing.
#[test]
fn a_growing_relay_holds_later_chunks_longer() {
    let _timing = timing();
    let echo = echo_server();
    let per_second = Duration::from_millis(50);
    let relay = DelayRelay::growing(echo, per_second);
    let mut socket = connect(relay.port());
    let started = Instant::now();
    let early = ping_pong(&mut socket, 1)[0];
    std::thread::sleep(Duration::from_secs(1).saturating_sub(started.elapsed()));
    let age = started.elapsed();
    let late = ping_pong(&mut socket, 1)[0];
    let floor = per_second.mul_f64(2.0 * age.as_secs_f64());
    // 20 ms of room above the hold for the relay's two hops and the echo's thread wake-ups
    // (about 0.1 ms each when idle, a scheduler slice or two on a busy machine).
    let room = Duration::from_millis(20);
    assert!(early < room, "{early:?} at the start");
    assert!(late >= floor, "{late:?} at {age:?}, at least {floor:?}");
    // ...and not much more: each way holds at most (age + the round trip)·per_second.
    let ceiling = per_second.mul_f64(2.0 * (age + late).as_secs_f64()) + room;
    assert!(late <= ceiling, "{late:?} at {age:?}, at most {ceiling:?}");
}
