//! `mqtt-latency-reference`: the options, the run (subscriber thread up and subscribed, the
//! publishers connected, the schedule, the drain, the shutdown) and the one-line JSON report.
//! The smallest publisher/subscriber pair that can measure a broker's end-to-end latency at
//! a paced rate: the floor `mqtk bench pubsub --interval` is judged against (bench/pacing.sh).

mod publisher;
mod stats;
mod subscriber;
mod wire;

use std::io::Write;
use std::net::Shutdown;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: mqtt-latency-reference [-h HOST] [-p PORT] [--publishers N] [--interval-us U]
                              [--duration-s S] [--warmup-s W] [--size B] [-t PREFIX]
                              [--drain-s D] [--spin-us U]
  N publishers (default 10) publish QoS 0 to PREFIX/I (default mqtt-ref/I), each every U µs
  (default 1000), publisher I offset by U*I/N, for W + S seconds (default 1 + 10); one
  subscriber on PREFIX/+ times the messages intended after the warmup. Payloads are B bytes
  (default 64, at least 32). The drain ends after D seconds (default 2) without a delivery.
  The publishing thread sleeps until U µs (default 200) before each send, then spins.
  Prints one JSON line; exits 77 when messages were lost, 1 on errors, 2 on usage errors.
  Host defaults to 127.0.0.1, port to 1883.";

struct Options {
    host: String,
    port: u16,
    publishers: u32,
    interval_us: f64,
    duration_s: f64,
    warmup_s: f64,
    size: usize,
    prefix: String,
    drain_s: f64,
    spin_us: f64,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        host: "127.0.0.1".into(),
        port: 1883,
        publishers: 10,
        interval_us: 1000.0,
        duration_s: 10.0,
        warmup_s: 1.0,
        size: 64,
        prefix: "mqtt-ref".into(),
        drain_s: 2.0,
        spin_us: 200.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} {value}: {what}");
        let number = |v: &str| v.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
        match flag.as_str() {
            "-h" | "--host" => o.host = value,
            "-p" | "--port" => o.port = value.parse().map_err(|_| bad("not a port"))?,
            "--publishers" => {
                o.publishers = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| bad("not a positive count"))?
            }
            "--interval-us" => {
                o.interval_us = number(&value)
                    .filter(|&x| x >= 1.0)
                    .ok_or_else(|| bad("at least 1 µs"))?
            }
            "--duration-s" => {
                o.duration_s = number(&value)
                    .filter(|&x| x > 0.0)
                    .ok_or_else(|| bad("positive seconds"))?
            }
            "--warmup-s" => o.warmup_s = number(&value).ok_or_else(|| bad("seconds, 0 or more"))?,
            "--drain-s" => {
                o.drain_s = number(&value)
                    .filter(|&x| x > 0.0)
                    .ok_or_else(|| bad("positive seconds"))?
            }
            "--size" => {
                o.size = value
                    .parse()
                    .ok()
                    .filter(|b| (wire::HEADER_LEN..65_536).contains(b))
                    .ok_or_else(|| bad("32 to 65535 bytes"))?
            }
            "--spin-us" => o.spin_us = number(&value).ok_or_else(|| bad("µs, 0 or more"))?,
            "-t" | "--topic" => o.prefix = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mqtt-latency-reference: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(lost) => ExitCode::from(if lost > 0 { 77 } else { 0 }),
        Err(e) => {
            eprintln!("mqtt-latency-reference: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(o: &Options) -> Result<u64, String> {
    let addr = format!("{}:{}", o.host, o.port);
    let base = Instant::now();
    let schedule = publisher::Schedule {
        publishers: o.publishers,
        interval_ns: (o.interval_us * 1e3).round() as u64,
        end_ns: ((o.warmup_s + o.duration_s) * 1e9).round() as u64,
        spin_ns: (o.spin_us * 1e3).round() as u64,
    };
    let scheduled: Vec<u64> = (0..o.publishers).map(|i| schedule.scheduled(i)).collect();
    let ids = format!("mqtt-ref-{}-", std::process::id());

    let progress = Arc::new(AtomicU64::new(0));
    let sub = subscriber::Subscriber::connect(
        &addr,
        &format!("{ids}sub"),
        &format!("{}/+", o.prefix),
        base,
        &scheduled,
        progress.clone(),
    )
    .map_err(|e| format!("subscriber on {addr}: {e}"))?;
    let mut sub_handle = sub.handle().map_err(|e| e.to_string())?;
    let mut streams = publisher::connect_all(&addr, &ids, o.publishers)
        .map_err(|e| format!("publisher on {addr}: {e}"))?;
    let topics: Vec<String> = (0..o.publishers)
        .map(|i| format!("{}/{i}", o.prefix))
        .collect();

    // Everyone is connected and subscribed; start a little later so the subscriber thread is
    // blocked in its read before the first message.
    let t0 = base.elapsed().as_nanos() as u64 + 20_000_000;
    let warmup_end = t0 + (o.warmup_s * 1e9).round() as u64;
    let reader = std::thread::Builder::new()
        .name("subscriber".into())
        .spawn(move || sub.run(warmup_end))
        .map_err(|e| e.to_string())?;
    let sent = publisher::run(
        &mut streams,
        &topics,
        o.size,
        &schedule,
        base,
        t0,
        warmup_end,
    );
    let send_end = Instant::now();

    // Drain: until everything sent arrived, or nothing arrived for drain_s.
    let (mut last, mut last_change) = (progress.load(Ordering::Relaxed), Instant::now());
    while last < sent.sent && last_change.elapsed() < Duration::from_secs_f64(o.drain_s) {
        std::thread::sleep(Duration::from_millis(5));
        let now = progress.load(Ordering::Relaxed);
        if now != last {
            (last, last_change) = (now, Instant::now());
        }
    }
    let _ = sub_handle.write_all(&wire::DISCONNECT);
    let _ = sub_handle.shutdown(Shutdown::Both);
    let mut got = reader
        .join()
        .map_err(|_| "the subscriber thread panicked".to_string())?;
    drop(streams);
    let elapsed = base.elapsed().as_secs_f64();

    let lost = sent.sent.saturating_sub(got.received);
    let mut lateness = sent.lateness;
    println!(
        concat!(
            "{{\"tool\":\"mqtt-latency-reference\",\"broker\":{},",
            "\"config\":{{\"publishers\":{},\"interval_us\":{},\"duration_s\":{},\"warmup_s\":{},\"size\":{},\"spin_us\":{},\"topic\":{},\"qos\":0}},",
            "\"elapsed_s\":{:.3},\"send_s\":{:.3},",
            "\"messages\":{{\"scheduled\":{},\"sent\":{},\"received\":{},\"lost\":{},\"duplicates\":{},\"foreign\":{},",
            "\"measured_sent\":{},\"measured_received\":{}}},",
            "\"latency\":{{\"e2e_corrected\":{},\"e2e_uncorrected\":{},\"send_lateness\":{}}}",
            "{}}}"
        ),
        json_str(&addr),
        o.publishers,
        o.interval_us,
        o.duration_s,
        o.warmup_s,
        o.size,
        o.spin_us,
        json_str(&format!("{}/%i", o.prefix)),
        elapsed,
        send_end.duration_since(base).as_secs_f64() - t0 as f64 / 1e9,
        scheduled.iter().sum::<u64>(),
        sent.sent,
        got.received,
        lost,
        got.duplicates,
        got.foreign,
        sent.measured,
        got.measured,
        stats::summary(&mut got.corrected, stats::LATENCY),
        stats::summary(&mut got.uncorrected, stats::LATENCY),
        stats::summary(&mut lateness, stats::LATENESS),
        match &sent.error {
            Some(e) => format!(",\"error\":{}", json_str(e)),
            None => String::new(),
        },
    );
    if let Some(e) = sent.error {
        return Err(e);
    }
    Ok(lost)
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_str() {
        assert_eq!(super::json_str("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
