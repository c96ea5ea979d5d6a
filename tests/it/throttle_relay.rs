//! A TCP relay on 127.0.0.1:0 whose direction toward the client carries at most a fixed
//! number of bytes per second, as a narrow downlink does (`tc qdisc … tbf rate` on the
//! client's side, a cellular or satellite link in front of a broker): the broker's
//! deliveries queue behind it once they exceed that rate, exactly as they would at a broker
//! that can push no more. The direction toward the broker is not limited. It gives
//! `--find-max` a capacity known in advance: the bytes per second over the bytes of one
//! delivery.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct ThrottleRelay {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ThrottleRelay {
    /// Relays 127.0.0.1:`port` (new) to 127.0.0.1:`target`, each connection's bytes toward
    /// the client at most `bytes_per_second`.
    pub fn start(target: u16, bytes_per_second: u64) -> ThrottleRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread = std::thread::spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                let client = match listener.accept() {
                    Ok((socket, _)) => socket,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => break,
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(client, server, None));
                std::thread::spawn(move || pump(s2, c2, Some(bytes_per_second)));
            }
        });
        ThrottleRelay {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

/// Copies `from` to `to`; with a limit, each write waits until its bytes fit under it. Idle
/// time builds up at most [`BURST`] of credit, as a token bucket of that depth would.
fn pump(mut from: TcpStream, mut to: TcpStream, limit: Option<u64>) {
    let mut buf = vec![0u8; if limit.is_some() { 512 } else { 64 * 1024 }];
    // When the link is free again.
    let mut free_at = Instant::now();
    loop {
        let n = match from.read(&mut buf) {
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
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// The most a quiet link lets through at once.
const BURST: Duration = Duration::from_millis(20);

impl Drop for ThrottleRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
