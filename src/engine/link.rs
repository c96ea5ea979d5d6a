//! One open MQTT connection: the transport's byte stream with the packet codec on top.
//! [`connect`] opens it and completes CONNECT/CONNACK under `--connect-timeout`, turning
//! every way that can fail into one clear line. A [`Link`] batches the packets queued
//! between two awaits into one write, and keeps writing while it waits to read (and
//! reading while it waits to write), so neither side can stall the other; every method
//! that waits is cancel-safe. With `-d` it traces every packet sent and received.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use super::packets::{describe_connect, Codec, ConnAck, Packet};
use super::transport::{self, connack_refusal, Phases, Stream};
use crate::conn::{ConnectOptions, ProtocolVersion};
use crate::error::Failure;
use crate::output::stdio::stderr;

/// Bytes read ahead while a write waits, at most (the rest stays in the kernel).
const READ_AHEAD: usize = 1 << 20;
/// Room made for each read: many small packets arrive in one.
const READ_CHUNK: usize = 64 * 1024;

/// Why a link stopped.
#[derive(Debug)]
pub enum LinkError {
    /// The byte stream failed or closed.
    Io(std::io::Error),
    /// The broker sent something MQTT (or our announced limits) forbids.
    Protocol(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                f.write_str("the broker closed the connection")
            }
            LinkError::Io(e) => f.write_str(&crate::error::io_reason(e)),
            LinkError::Protocol(why) => f.write_str(why),
        }
    }
}

/// An open connection after a successful CONNACK.
pub struct Link {
    stream: Box<dyn Stream>,
    codec: Codec,
    rbuf: BytesMut,
    wbuf: BytesMut,
    flush_pending: bool,
    trace: bool,
    last_read: Instant,
    last_write: Instant,
}

/// Opens the transport and completes CONNECT/CONNACK within `--connect-timeout`.
/// `keepalive` is what CONNECT announces (a ping's interval may differ from `-k`);
/// `resolved` are addresses looked up once for many connections (`bench`).
pub async fn connect(
    opts: &ConnectOptions,
    client_id: &str,
    keepalive: Duration,
    resolved: Option<&[SocketAddr]>,
) -> Result<(Link, Phases, ConnAck), Failure> {
    match tokio::time::timeout(
        opts.connect_timeout,
        connect_unbounded(opts, client_id, keepalive, resolved),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(Failure::ConnectTimeout(format!(
            "no CONNACK from {} within {} (--connect-timeout): is it an MQTT broker, and reachable?",
            opts.broker_display(),
            humantime::format_duration(opts.connect_timeout)
        ))),
    }
}

async fn connect_unbounded(
    opts: &ConnectOptions,
    client_id: &str,
    keepalive: Duration,
    resolved: Option<&[SocketAddr]>,
) -> Result<(Link, Phases, ConnAck), Failure> {
    let mut phases = Phases::default();
    let stream = transport::open_stream(opts, resolved, &mut phases).await?;
    let now = Instant::now();
    let mut link = Link {
        stream,
        codec: Codec::new(opts),
        rbuf: BytesMut::with_capacity(4096),
        wbuf: BytesMut::with_capacity(4096),
        flush_pending: false,
        trace: opts.debug,
        last_read: now,
        last_write: now,
    };
    let keep_alive = u16::try_from(keepalive.as_secs()).unwrap_or(u16::MAX);
    if link.trace {
        stderr!(
            "mqtk: debug: sending {}",
            describe_connect(opts, client_id, keep_alive)
        );
    }
    let broker = opts.broker_display();
    link.codec
        .encode_connect(opts, client_id, keep_alive, &mut link.wbuf)
        .map_err(|e| Failure::Usage(format!("cannot encode CONNECT: {e}")))?;
    let started = Instant::now();
    link.flush().await.map_err(|e| {
        Failure::Unreachable(format!(
            "{broker} closed the connection before CONNECT: {e}"
        ))
    })?;
    let connack = loop {
        if let Some(failure) = not_mqtt(&link.rbuf, opts) {
            return Err(failure);
        }
        match link.codec.decode(&mut link.rbuf) {
            Ok(Some(Packet::ConnAck(ack))) => break ack,
            Ok(Some(other)) => {
                return Err(Failure::Unreachable(format!(
                    "{broker} answered CONNECT with {other}: is it an MQTT broker?"
                )))
            }
            Ok(None) => {}
            Err(e) => {
                return Err(Failure::Unreachable(format!(
                    "{broker} is not an MQTT broker (bad CONNACK: {e})"
                )))
            }
        }
        if let Err(e) = link.fill().await {
            return Err(closed_before_connack(opts, &e));
        }
    };
    phases.connack = started.elapsed();
    if link.trace {
        stderr!("mqtk: debug: received {}", Packet::ConnAck(connack.clone()));
    }
    if connack.code != 0 {
        return Err(connack_refusal(connack.code));
    }
    Ok((link, phases, connack))
}

/// Bytes that show the other end is not an MQTT broker of the version we speak.
fn not_mqtt(bytes: &[u8], opts: &ConnectOptions) -> Option<Failure> {
    let broker = opts.broker_display();
    if bytes.starts_with(b"HTTP/") {
        return Some(Failure::Unreachable(format!(
            "{broker} answered in HTTP: it is a WebSocket port (add --ws, or use ws://)"
        )));
    }
    if opts.tls.is_none()
        && matches!(bytes.first(), Some(0x15 | 0x16))
        && bytes.len() >= 3
        && bytes[1] == 3
    {
        return Some(Failure::Unreachable(format!(
            "{broker} answered in TLS: it is a TLS port (give --cafile, or use mqtts://)"
        )));
    }
    if opts.version == ProtocolVersion::V5 && bytes.len() >= 4 && bytes[0] == 0x20 && bytes[1] == 2
    {
        // A 3.1.1 CONNACK: "unacceptable protocol version" (or any other code).
        return Some(Failure::Refused {
            code: 1,
            reason: format!(
                "{broker} answered in MQTT 3.1.1 (code {}): it does not speak MQTT 5, try -V 311",
                bytes[3]
            ),
        });
    }
    None
}

fn closed_before_connack(opts: &ConnectOptions, e: &LinkError) -> Failure {
    let broker = opts.broker_display();
    if let LinkError::Io(io) = e {
        // TLS 1.3 refuses a client certificate after the handshake, with an alert.
        if let Some(tls) = transport::find_rustls_error(io) {
            return Failure::Tls(transport::tls_message(tls, &broker));
        }
    }
    let hint = match (opts.version, opts.tls.is_some()) {
        (ProtocolVersion::V5, _) => " (a broker that does not speak MQTT 5 does this: try -V 311)",
        (ProtocolVersion::V31, _) => {
            " (a broker that does not speak MQTT 3.1 does this: try -V 311)"
        }
        (_, false) => {
            " (is it a TLS port? give --cafile or use mqtts://; a WebSocket port? add --ws)"
        }
        (_, true) => "",
    };
    Failure::Unreachable(format!(
        "{broker} closed the connection instead of answering CONNECT: {e}{hint}"
    ))
}

impl Link {
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// Lowers the outgoing packet limit (the broker's CONNACK maximum).
    pub fn limit_outgoing(&mut self, max: u32) {
        self.codec.max_outgoing = self.codec.max_outgoing.min(max);
    }

    pub fn last_read(&self) -> Instant {
        self.last_read
    }

    pub fn last_write(&self) -> Instant {
        self.last_write
    }

    /// Bytes queued and not yet written.
    pub fn unwritten(&self) -> usize {
        self.wbuf.len()
    }

    /// Queues a packet for the next write; fails (queueing nothing) when it is too large.
    pub fn queue(&mut self, packet: &Packet) -> Result<(), String> {
        self.codec.encode(packet, &mut self.wbuf)?;
        if self.trace {
            stderr!("mqtk: debug: sending {packet}");
        }
        Ok(())
    }

    /// Queues and writes one packet; returns the instant just before the write, as ping(8)
    /// stamps its packets.
    pub async fn send(&mut self, packet: &Packet) -> Result<Instant, LinkError> {
        self.queue(packet).map_err(LinkError::Protocol)?;
        let at = Instant::now();
        self.flush().await?;
        Ok(at)
    }

    /// The next packet from the broker, with the instant it was read; queued packets are
    /// written meanwhile. Cancel-safe.
    pub async fn next(&mut self) -> Result<(Packet, Instant), LinkError> {
        loop {
            if let Some(read) = self.next_or_written(false).await? {
                return Ok(read);
            }
        }
    }

    /// A packet already read, if any: no I/O.
    pub fn next_buffered(&mut self) -> Result<Option<Packet>, LinkError> {
        match self.codec.decode(&mut self.rbuf) {
            Ok(Some(packet)) => {
                if self.trace {
                    stderr!("mqtk: debug: received {packet}");
                }
                Ok(Some(packet))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(LinkError::Protocol(e.to_string())),
        }
    }

    /// As [`Link::next`], but with `until_written` it also returns (None) as soon as
    /// everything queued is written, so the caller can queue more. Cancel-safe.
    pub async fn next_or_written(
        &mut self,
        until_written: bool,
    ) -> Result<Option<(Packet, Instant)>, LinkError> {
        loop {
            if let Some(packet) = self.next_buffered()? {
                return Ok(Some((packet, Instant::now())));
            }
            if until_written && self.wbuf.is_empty() && !self.flush_pending {
                return Ok(None);
            }
            let read = poll_fn(|cx| {
                match self.poll_write_side(cx) {
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(LinkError::Io(e))),
                    Poll::Ready(Ok(())) if until_written => return Poll::Ready(Ok(false)),
                    _ => {}
                }
                self.poll_read_side(cx)
                    .map_ok(|()| true)
                    .map_err(LinkError::Io)
            })
            .await?;
            if !read && until_written {
                return Ok(None);
            }
        }
    }

    /// Writes everything queued (reading ahead meanwhile). Cancel-safe.
    pub async fn flush(&mut self) -> Result<(), LinkError> {
        poll_fn(|cx| {
            if let Poll::Ready(Err(e)) = self.poll_write_side(cx) {
                return Poll::Ready(Err(LinkError::Io(e)));
            }
            if self.wbuf.is_empty() && !self.flush_pending {
                return Poll::Ready(Ok(()));
            }
            if self.rbuf.len() < READ_AHEAD {
                if let Poll::Ready(Err(e)) = self.poll_read_side(cx) {
                    return Poll::Ready(Err(LinkError::Io(e)));
                }
            }
            Poll::Pending
        })
        .await
    }

    /// Reads more bytes, writing queued ones meanwhile.
    async fn fill(&mut self) -> Result<(), LinkError> {
        poll_fn(|cx| {
            if let Poll::Ready(Err(e)) = self.poll_write_side(cx) {
                return Poll::Ready(Err(LinkError::Io(e)));
            }
            self.poll_read_side(cx).map_err(LinkError::Io)
        })
        .await
    }

    /// Writes what it can; Ready(Ok) once everything is written and flushed.
    fn poll_write_side(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.wbuf.is_empty() {
            match Pin::new(&mut self.stream).poll_write(cx, &self.wbuf) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => {
                    self.wbuf.advance(n);
                    self.flush_pending = true;
                    self.last_write = Instant::now();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        if self.flush_pending {
            match Pin::new(&mut self.stream).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.flush_pending = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        if self.wbuf.capacity() > 1 << 20 {
            // One large write (a big -f payload) should not pin its buffer for good.
            self.wbuf = BytesMut::with_capacity(4096);
        }
        Poll::Ready(Ok(()))
    }

    /// Ready(Ok) when bytes were read; an error at end of stream.
    fn poll_read_side(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.rbuf.reserve(READ_CHUNK);
        match tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.rbuf) {
            Poll::Ready(Ok(0)) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the broker closed the connection",
            ))),
            Poll::Ready(Ok(_)) => {
                self.last_read = Instant::now();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The transport and whatever was read past the last packet returned, for a caller that
    /// takes over the byte stream (`bench`'s hot path).
    pub fn into_parts(self) -> (Box<dyn Stream>, BytesMut) {
        (self.stream, self.rbuf)
    }

    /// Sends DISCONNECT after what is queued and closes the stream (errors ignored: we are
    /// leaving), within `limit`.
    pub async fn close(mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, async {
            let _ = self.queue(&Packet::Disconnect {
                reason: 0,
                reason_string: None,
            });
            if self.flush().await.is_ok() {
                let _ = self.stream.shutdown().await;
                // Read until the broker closes, so unread bytes do not make the kernel
                // reset the connection (and the broker drop what we sent last).
                while self.fill().await.is_ok() {
                    self.rbuf.clear();
                }
            }
        })
        .await;
    }
}
