//! `--barrier RUN`: the shards of one run meet through the broker under test before they
//! send, so their measured windows start together without synced clocks.
//!
//! Each shard subscribes to `mqtk/bench/RUN/ready/+`, then publishes a retained QoS 1
//! message on `mqtk/bench/RUN/ready/I`. A shard that comes later gets the earlier ones'
//! messages as retained; an earlier one gets the later ones' live. Every shard is released
//! by the same last message, which the broker hands to all of them at once: the starts
//! differ by its fan-out time (milliseconds), whatever the machines' clocks say. Once met,
//! a shard clears its retained message (the others have it by then: a shard publishes only
//! after its subscription took effect). The cost: one more connection per shard, and a
//! killed shard leaves its retained message behind (RUN is unique per run, so no later run
//! reads it).

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;

use super::plan::Plan;
use crate::engine::client::{Client, Stop};
use crate::engine::packets::{Message, Subscription};
use crate::engine::session::Event;
use crate::error::{shorten, Failure};
use crate::output::stdio::stderr;

/// How long a shard waits for the others (pods may wait minutes for a node or an image).
const PATIENCE: Duration = Duration::from_secs(600);
/// How often a waiting shard says so on stderr.
const WAITING_LINE: Duration = Duration::from_secs(10);

/// The control topics of run `run`.
fn ready_topic(run: &str, index: Option<u32>) -> String {
    match index {
        Some(index) => format!("mqtk/bench/{run}/ready/{index}"),
        None => format!("mqtk/bench/{run}/ready/+"),
    }
}

/// This shard at the barrier: its control connection, kept until its message is cleared.
pub struct Barrier {
    client: Client,
    run: String,
    index: u32,
    count: u32,
}

impl Barrier {
    /// Connects this shard's control client to the first broker.
    pub async fn join(plan: &Plan, run: &str) -> Result<Barrier, Failure> {
        let shard = plan.shard;
        let mut opts = plan.conn.clone();
        opts.client_id = format!("mqtk-barrier-{run}-{}", shard.index);
        opts.clean_session = true;
        opts.session_expiry = None;
        opts.will = None;
        // The failure keeps its own exit code (refused, TLS, no CONNACK...).
        let client = Client::connect(&opts, 16).await.inspect_err(|_| {
            stderr!(
                "mqtk: bench: --barrier {}: the control client could not connect",
                shorten(run)
            );
        })?;
        Ok(Barrier {
            client,
            run: run.to_string(),
            index: shard.index,
            count: shard.count,
        })
    }

    /// Announces this shard and waits until every shard of the run has: returns as soon
    /// as this shard may start (clearing its message is [`Barrier::leave`]'s, later: the
    /// start must not wait for a round trip). Cancel-safe: a signal may drop it, and
    /// `leave` still clears what was announced.
    pub async fn wait(&mut self) -> Result<(), Failure> {
        wait_for_all(&mut self.client, &self.run, self.index, self.count).await
    }

    /// Clears this shard's retained message and disconnects (every shard has its
    /// subscription in place once all have met: each subscribed before it announced).
    pub async fn leave(mut self) {
        let clear = Message {
            topic: Bytes::from(ready_topic(&self.run, Some(self.index))),
            payload: Bytes::new(),
            qos: 1,
            retain: true,
            ..Message::default()
        };
        if self.client.publish(clear, 1).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                while let Ok(Some(event)) = self.client.next_or_written(false).await {
                    if matches!(event, Event::Published { token: 1, .. }) {
                        break;
                    }
                }
            })
            .await;
        }
        self.client.disconnect(Duration::from_secs(1)).await;
    }
}

async fn wait_for_all(
    client: &mut Client,
    run: &str,
    index: u32,
    count: u32,
) -> Result<(), Failure> {
    let lost = |why: Failure| Failure::Unreachable(format!("--barrier {}: {why}", shorten(run)));
    client.subscribe(Subscription {
        filters: vec![ready_topic(run, None)],
        qos: 1,
        ..Subscription::default()
    });
    let mut subscribed = false;
    let mut ready: BTreeSet<u32> = BTreeSet::new();
    let give_up = tokio::time::Instant::now() + PATIENCE;
    let mut next_line = tokio::time::Instant::now() + WAITING_LINE;
    loop {
        let event = tokio::select! {
            event = client.next_or_written(false) => event,
            () = tokio::time::sleep_until(next_line) => {
                stderr!(
                    "mqtk: bench: shard {index}/{count} waiting at --barrier {}: {} of {count} shards ready",
                    shorten(run),
                    ready.len()
                );
                next_line += WAITING_LINE;
                if tokio::time::Instant::now() >= give_up {
                    return Err(Failure::Timeout(format!(
                        "--barrier {}: {} of {count} shards were ready after {}; start every shard of the run (--shard I/{count}) with the same --barrier",
                        shorten(run),
                        ready.len(),
                        humantime::format_duration(PATIENCE)
                    )));
                }
                continue;
            }
        };
        match event {
            Ok(Some(Event::SubAck { codes, .. })) if !subscribed => {
                if codes.iter().any(|&code| code >= 0x80) {
                    return Err(Failure::SubscribeRejected(format!(
                        "--barrier {}: the broker refused the subscription to {}",
                        shorten(run),
                        ready_topic(run, None)
                    )));
                }
                subscribed = true;
                let announce = Message {
                    topic: Bytes::from(ready_topic(run, Some(index))),
                    payload: Bytes::from(format!("{index}/{count}")),
                    qos: 1,
                    retain: true,
                    ..Message::default()
                };
                client.publish(announce, 0).map_err(lost)?;
            }
            Ok(Some(Event::Message(message))) => {
                client.ack(message.qos, message.pkid);
                let shard = std::str::from_utf8(&message.topic)
                    .ok()
                    .and_then(|topic| topic.rsplit('/').next())
                    .and_then(|i| i.parse::<u32>().ok());
                // An empty payload is a shard clearing its message after it met the others;
                // a message of a run in another number of shards is not this run's.
                let of_this_run = std::str::from_utf8(&message.payload)
                    .ok()
                    .and_then(|p| p.split_once('/'))
                    .is_some_and(|(_, n)| n.parse::<u32>() == Ok(count));
                match shard.filter(|&s| s < count) {
                    Some(shard) if of_this_run => {
                        ready.insert(shard);
                    }
                    // A shard that gave up before all met is no longer ready.
                    Some(shard) if message.payload.is_empty() => {
                        ready.remove(&shard);
                    }
                    _ => {}
                }
                if ready.len() == count as usize {
                    return Ok(());
                }
            }
            Ok(Some(Event::Published { reason, .. })) if reason >= 0x80 => {
                return Err(Failure::PublishRejected(format!(
                    "--barrier {}: the broker refused the ready message on {}",
                    shorten(run),
                    ready_topic(run, Some(index))
                )));
            }
            Ok(_) => {}
            Err(Stop::Lost(why) | Stop::Fatal(why)) => return Err(lost(why)),
        }
    }
}
