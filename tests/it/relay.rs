//! A TCP relay on 127.0.0.1:0 in front of a broker port: it forwards bytes both ways, and
//! `reset_all` aborts every current connection with a TCP RST on both sides (SO_LINGER 0,
//! then close) while new connections keep being accepted — a connection reset, as a NAT
//! or load balancer dropping its state produces, without touching the broker.
//! `start_with_limit` forwards only the first N connections and holds the others open in
//! silence: a broker at its connection limit whose kernel still completes the TCP
//! handshake but which never answers CONNECT (mosquitto out of file descriptors does this:
//! the connections wait in its listen backlog).
//! `start_throttled` carries at most N bytes a second toward each client, as a narrow
//! downlink does (`tc qdisc … tbf rate` on the client's side, a cellular or satellite link
//! in front of a broker): deliveries queue behind it once they exceed that rate, as at a
//! broker that can push no more, which gives `--find-max` a capacity known in advance.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One relayed connection: the client's socket and ours to the broker.
struct Pair {
    client: TcpStream,
    server: TcpStream,
    /// Set by `reset_all`: the pumps then end without a FIN, and their last close is the RST.
    cut: Arc<AtomicBool>,
    /// Pumps still running (0: the connection closed by itself).
    pumps: Arc<AtomicUsize>,
}

impl Pair {
    fn abort(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for socket in [&self.client, &self.server] {
            // SO_LINGER 0 (std has no stable setter; tokio's TcpSocket sets it on a dup of
            // the descriptor, no runtime needed): the last close sends RST, not FIN.
            if let Ok(dup) = socket.try_clone() {
                let _ = tokio::net::TcpSocket::from_std_stream(dup).set_zero_linger();
            }
            // Wakes the pump blocked reading this socket; sends nothing to the peer.
            let _ = socket.shutdown(Shutdown::Read);
        }
    }
}

/// The relay; stops accepting and resets what is left on drop.
pub struct Relay {
    pub port: u16,
    live: Arc<Mutex<Vec<Pair>>>,
    accepted: Arc<AtomicUsize>,
    /// The source address of each connection accepted.
    peers: Arc<Mutex<Vec<std::net::IpAddr>>>,
    /// Connections held without an answer (beyond the limit).
    held: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// Relays 127.0.0.1:`port` (new) to 127.0.0.1:`target`.
    pub fn start(target: u16) -> Relay {
        Relay::start_with_limit(target, usize::MAX)
    }

    /// Relays the first `forwarded` connections; the ones after them are accepted and
    /// never answered.
    pub fn start_with_limit(target: u16, forwarded: usize) -> Relay {
        Relay::start_inner(target, forwarded, None)
    }

    /// Relays every connection, each one's bytes toward the client at most
    /// `bytes_per_second` (toward the broker unlimited).
    pub fn start_throttled(target: u16, bytes_per_second: u64) -> Relay {
        Relay::start_inner(target, usize::MAX, Some(bytes_per_second))
    }

    fn start_inner(target: u16, forwarded: usize, downlink: Option<u64>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let live: Arc<Mutex<Vec<Pair>>> = Arc::default();
        let accepted = Arc::new(AtomicUsize::new(0));
        let peers: Arc<Mutex<Vec<std::net::IpAddr>>> = Arc::default();
        let thread_peers = peers.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (thread_live, thread_accepted, thread_stop, thread_held) =
            (live.clone(), accepted.clone(), stop.clone(), held.clone());
        let thread = std::thread::spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                let client = match listener.accept() {
                    Ok((socket, peer)) => {
                        thread_peers.lock().unwrap().push(peer.ip());
                        socket
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => break,
                };
                client.set_nonblocking(false).unwrap();
                if thread_accepted.load(Ordering::SeqCst) >= forwarded {
                    thread_held.lock().unwrap().push(client);
                    continue;
                }
                // No broker: the client sees its connection closed.
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                thread_accepted.fetch_add(1, Ordering::SeqCst);
                match relay(client, server, downlink) {
                    Ok(pair) => {
                        let mut live = thread_live.lock().unwrap();
                        live.retain(|p| p.pumps.load(Ordering::SeqCst) > 0);
                        live.push(pair);
                    }
                    Err(e) => eprintln!("relay: {e}"),
                }
            }
        });
        Relay {
            port,
            live,
            accepted,
            peers,
            held,
            stop,
            thread: Some(thread),
        }
    }

    /// Resets every connection relayed now (RST to the client and to the broker); returns
    /// how many there were. Connections made afterwards are relayed as usual.
    pub fn reset_all(&self) -> usize {
        let pairs: Vec<Pair> = self.live.lock().unwrap().drain(..).collect();
        let open: Vec<&Pair> = pairs
            .iter()
            .filter(|p| p.pumps.load(Ordering::SeqCst) > 0)
            .collect();
        for pair in &open {
            pair.abort();
        }
        open.len()
        // `pairs` is dropped here: with the pumps' clones gone too, each socket closes.
    }

    /// How many connections are held without an answer.
    pub fn held(&self) -> usize {
        self.held.lock().unwrap().len()
    }

    /// The source addresses of the connections accepted so far.
    pub fn peers(&self) -> Vec<std::net::IpAddr> {
        self.peers.lock().unwrap().clone()
    }

    /// How many client connections were accepted and relayed so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.reset_all();
    }
}

/// Starts the two pumps of a connection; `downlink` limits the one toward the client.
fn relay(client: TcpStream, server: TcpStream, downlink: Option<u64>) -> io::Result<Pair> {
    let cut = Arc::new(AtomicBool::new(false));
    let pumps = Arc::new(AtomicUsize::new(2));
    for (from, to, limit) in [
        (client.try_clone()?, server.try_clone()?, None),
        (server.try_clone()?, client.try_clone()?, downlink),
    ] {
        let (cut, pumps) = (cut.clone(), pumps.clone());
        std::thread::spawn(move || {
            pump(from, &to, &cut, limit);
            pumps.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(Pair {
        client,
        server,
        cut,
        pumps,
    })
}

/// The most a quiet throttled link lets through at once, as a token bucket that deep.
const BURST: Duration = Duration::from_millis(20);

/// Copies `from` to `to` until `from` ends; passes a clean end on as a FIN unless the
/// connection is being reset. Writes wait in short slices so a reset is noticed even
/// while the receiver is not reading. With `limit` (bytes a second), each write waits
/// until its bytes fit under it, reading small chunks so the pace stays smooth.
fn pump(mut from: TcpStream, mut to: &TcpStream, cut: &AtomicBool, limit: Option<u64>) {
    let _ = to.set_write_timeout(Some(Duration::from_millis(100)));
    let mut buffer = [0u8; 16384];
    let chunk = if limit.is_some() { 512 } else { buffer.len() };
    // When the throttled link is free again.
    let mut free_at = Instant::now();
    'copy: loop {
        let n = match from.read(&mut buffer[..chunk]) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(rate) = limit {
            let now = Instant::now();
            let floor = now.checked_sub(BURST).unwrap_or(now);
            free_at = free_at.max(floor) + Duration::from_secs_f64(n as f64 / rate as f64);
            if let Some(wait) = free_at.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let mut written = 0;
        while written < n {
            match to.write(&buffer[written..n]) {
                Ok(k) => written += k,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) && !cut.load(Ordering::SeqCst) => {}
                Err(_) => break 'copy,
            }
        }
    }
    if !cut.load(Ordering::SeqCst) {
        let _ = to.shutdown(Shutdown::Write);
    }
}

#[test]
fn reset_all_cuts_with_rst_and_keeps_accepting() {
    // An echo server as the "broker".
    let echo = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = echo.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for socket in echo.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = socket.try_clone().unwrap();
                let _ = io::copy(&mut reader, &mut &socket);
            });
        }
    });
    let relay = Relay::start(target);
    let echo_once = |socket: &mut TcpStream| {
        socket.write_all(b"hi").unwrap();
        let mut back = [0u8; 2];
        socket.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hi");
    };
    let mut first = TcpStream::connect(("127.0.0.1", relay.port)).unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    echo_once(&mut first);
    assert_eq!(relay.reset_all(), 1);
    let mut rest = [0u8; 1];
    let error = first.read(&mut rest).expect_err("reset, not a clean end");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    let mut second = TcpStream::connect(("127.0.0.1", relay.port)).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    echo_once(&mut second);
    assert_eq!(relay.accepted(), 2);
}
