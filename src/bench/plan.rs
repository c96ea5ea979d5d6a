//! What a bench run will do, validated from the command line before anything connects: the
//! clients and their ids, topics and filters, the pace and the end of the run.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{
    BenchMode, BenchPublishArgs, BenchRunArgs, BenchSubscribeArgs, ConnArgs, SessionArgs,
};
use crate::conn::{filter_matches, validate_filter, validate_topic, ConnectOptions};
use crate::error::Failure;

use super::evidence::{Shape, ShardOf};
use super::header::HEADER_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Conn,
    Pub,
    Sub,
    PubSub,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Conn => "conn",
            Mode::Pub => "pub",
            Mode::Sub => "sub",
            Mode::PubSub => "pubsub",
        }
    }

    pub fn from_name(name: &str) -> Option<Mode> {
        [Mode::Conn, Mode::Pub, Mode::Sub, Mode::PubSub]
            .into_iter()
            .find(|mode| mode.name() == name)
    }
}

/// How publishers space their messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Each publisher sends as soon as its window and the socket allow.
    Unlimited,
    /// Messages per second across all publishers, spread evenly.
    Rate(f64),
    /// Time between two messages of one publisher.
    Interval(Duration),
}

/// When publishers stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// This many messages each.
    Count(u64),
    /// After the warmup plus this long.
    Duration(Duration),
}

/// One piece of a topic template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// `%i`: the client's number.
    Number,
    /// `%c`: the client id.
    ClientId,
    /// `%n`: the message's sequence number.
    Sequence,
}

/// A topic (or filter) template with `%i`, `%c`, `%n` and `%%`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
    source: String,
}

impl Template {
    pub fn parse(source: &str, flag: &str, allow_sequence: bool) -> Result<Template, Failure> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            let piece = match chars.next() {
                Some('%') => {
                    text.push('%');
                    continue;
                }
                Some('i') => Piece::Number,
                Some('c') => Piece::ClientId,
                Some('n') if allow_sequence => Piece::Sequence,
                other => {
                    let field = other.map(|c| format!("%{c}")).unwrap_or("%".into());
                    let allowed = if allow_sequence {
                        "%i, %c, %n or %%"
                    } else {
                        "%i, %c or %%"
                    };
                    return Err(Failure::Usage(format!(
                        "{flag} '{source}': unknown field '{field}'; use {allowed}"
                    )));
                }
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(piece);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template {
            pieces,
            source: source.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the topic changes from message to message (`%n`).
    pub fn per_message(&self) -> bool {
        self.pieces.contains(&Piece::Sequence)
    }

    /// Appends the template filled in for one client and message.
    pub fn render_into(&self, out: &mut String, number: u32, client_id: &str, seq: u64) {
        use std::fmt::Write;
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Number => {
                    let _ = write!(out, "{number}");
                }
                Piece::ClientId => out.push_str(client_id),
                Piece::Sequence => {
                    let _ = write!(out, "{seq}");
                }
            }
        }
    }

    pub fn render(&self, number: u32, client_id: &str, seq: u64) -> String {
        let mut out = String::new();
        self.render_into(&mut out, number, client_id, seq);
        out
    }

    /// The filter that matches every topic of the template: each level holding a field
    /// becomes `+`.
    pub fn wildcard_filter(&self) -> Template {
        // Render with a marker no topic contains, then replace the levels that hold it.
        const MARK: &str = "\u{0}";
        let mut marked = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => marked.push_str(text),
                _ => marked.push_str(MARK),
            }
        }
        let filter = marked
            .split('/')
            .map(|level| if level.contains(MARK) { "+" } else { level })
            .collect::<Vec<_>>()
            .join("/");
        Template {
            pieces: vec![Piece::Text(filter.clone())],
            source: filter,
        }
    }
}

/// One client of the run.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub role: Role,
    /// Index within its role, from 0.
    pub index: u32,
    /// `--start-number` + index: `%i`, and the publisher number in the payload header.
    pub number: u32,
    pub client_id: String,
    /// Publishers: the topic (when it does not change per message). Subscribers: the filter.
    pub topic: String,
    /// Publishers in pubsub: the subscribers (by index) whose filter matches the topic.
    pub audience: Vec<u32>,
    /// Position in the connect order (paces `--connect-rate`).
    pub order: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Idle,
    Publisher,
    Subscriber,
}

/// A validated bench run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub conn: ConnectOptions,
    pub clients: Vec<ClientSpec>,
    pub publishers: u32,
    pub subscribers: u32,
    pub topic: Option<Template>,
    /// `sub`: the publishers' template the filter came from (for the report).
    pub topic_echo: Option<String>,
    pub filter: Option<Template>,
    pub shared: Option<String>,
    pub qos: u8,
    pub retain: bool,
    pub size: usize,
    pub inflight: u16,
    pub pace: Pace,
    pub stop: Stop,
    pub warmup: Duration,
    pub drain: Duration,
    pub connect_rate: Option<f64>,
    pub id_prefix: String,
    pub start_number: u32,
    pub json: Option<PathBuf>,
    pub threads: usize,
    /// Flat-out QoS 0 pubsub: while messages stream in, a subscriber reads at most this
    /// often (zero: on every wake-up). See [`READ_PAUSE`].
    pub read_pause: Duration,
    /// Flat-out QoS 0 pubsub: how many messages each publisher may have sent beyond the
    /// newest one a subscriber received (see [`IN_FLIGHT`]); None: no such limit.
    pub gate_window: Option<u64>,
    /// Which shard of a sharded run this process is.
    pub shard: ShardOf,
    /// The positions in `clients` this process runs (all, unless sharded).
    pub local: std::ops::Range<usize>,
    /// How many brokers `-h`/`-L` listed: clients take them in turn.
    pub brokers: usize,
    /// Each broker's connection with each `--bind` address (broker-major); see [`Plan::target`].
    pub targets: Vec<ConnectOptions>,
    /// `--start-at`: when sending begins (once connected).
    pub start_at: Option<std::time::SystemTime>,
    /// `--barrier`: the run whose shards meet through the broker before sending.
    pub barrier: Option<String>,
    /// `--hlog`: where the interval log goes.
    pub hlog: Option<PathBuf>,
}

/// Flat-out QoS 0 pubsub keeps at most about this many messages in flight in all (each
/// publisher gets its share, at least [`MIN_GATE_WINDOW`]). A send-buffer cap bounds one
/// socket, not a thousand: 1 000 publishers put 2.0 M messages into sockets and the
/// broker's queues while 0.44 M were delivered, p50 3.4 s. In flight means sent after the
/// newest message a subscriber got from that publisher, so messages the broker dropped
/// (QoS 0 allows it) do not hold the window.
pub const IN_FLIGHT: u64 = 4096;
/// The smallest per-publisher window: below it, writes carry too few messages to be cheap.
pub const MIN_GATE_WINDOW: u64 = 8;

/// The send buffer (SO_SNDBUF) asked for each client socket of a flat-out QoS 0 run.
/// Without a cap the kernel grows it to megabytes per socket, publishers race ahead of the
/// broker, and a run measures how much the buffers hold: 10 publishers to mosquitto put
/// 1.25 M messages into sockets while 1.03 M were delivered, p50 4 s. With 16 KiB (Linux
/// doubles it for its own bookkeeping) everything was delivered, p50 0.1 s, at the same rate.
pub const SEND_BUFFER: usize = 16 * 1024;

/// How long a flat-out QoS 0 subscriber waits before its next read while messages stream
/// in (tokio's millisecond timer makes it 1 to 2 ms). Reading every message as it comes
/// costs a wake-up, a read and an ACK per one or two messages: that ACK lets the broker's
/// Nagle release the next small packet at once, and both sides spend their time waking
/// each other (mqtk 7-9 µs of CPU per delivered message, a slower broker). A short pause
/// lets the broker coalesce; reads then carry a hundred messages or more.
pub const READ_PAUSE: Duration = Duration::from_millis(2);

const DEFAULT_DURATION: Duration = Duration::from_secs(10);
/// The largest payload accepted: far above any sensible bench, far below the protocol limit.
const MAX_SIZE: u32 = 16 * 1024 * 1024;

impl Plan {
    pub fn from_args(mode: &BenchMode) -> Result<Plan, Failure> {
        let (kind, run) = match mode {
            BenchMode::Merge(_) | BenchMode::Plot(_) => {
                return Err(Failure::Internal(
                    "bench merge and plot run no clients".into(),
                ))
            }
            BenchMode::Conn(a) => (Mode::Conn, &a.run),
            BenchMode::Publish(a) => (Mode::Pub, &a.run),
            BenchMode::Subscribe(a) => (Mode::Sub, &a.run),
            BenchMode::PubSub(a) => (Mode::PubSub, &a.run),
        };
        let single = |n: u32| (u64::from(n), format!("-c {n}"));
        let (clients, flag) = match mode {
            BenchMode::Conn(a) => single(a.clients),
            BenchMode::Publish(a) => single(a.clients),
            BenchMode::Subscribe(a) => single(a.clients),
            BenchMode::Merge(_) | BenchMode::Plot(_) => unreachable!("refused above"),
            BenchMode::PubSub(a) => (
                u64::from(a.publishers) + u64::from(a.subscribers),
                format!(
                    "--publishers {} --subscribers {}",
                    a.publishers, a.subscribers
                ),
            ),
        };
        let shard = shard_of(run, clients)?;
        // Before anything is allocated for the clients (a million of them took 5 GB before
        // the first connect failed for want of descriptors).
        let local = shard.slice(clients as usize).len() as u64;
        let flag = if shard.is_whole() {
            flag
        } else {
            format!("{flag} --shard {}/{}", shard.index, shard.count)
        };
        check_descriptors(local, &flag)?;
        let mut plan = Plan::base(kind, run, shard)?;
        match mode {
            BenchMode::Conn(a) => {
                plan.add_clients(Role::Idle, a.clients, "")?;
            }
            BenchMode::Publish(a) => {
                plan.publishing(&a.publish, &a.run)?;
                plan.publishers = a.clients;
                plan.add_clients(Role::Publisher, a.clients, "")?;
            }
            BenchMode::Subscribe(a) => {
                plan.qos = a.qos;
                let topic = Template::parse(&a.topic, "-t/--topic", true)?;
                plan.subscribing(&a.subscribe, &topic)?;
                plan.topic_echo = Some(a.topic.clone());
                plan.subscribers = a.clients;
                plan.add_clients(Role::Subscriber, a.clients, "")?;
            }
            BenchMode::PubSub(a) => {
                plan.publishing(&a.publish, &a.run)?;
                let topic = plan.topic.clone().expect("set by publishing");
                plan.subscribing(&a.subscribe, &topic)?;
                plan.publishers = a.publishers;
                plan.subscribers = a.subscribers;
                plan.add_clients(Role::Publisher, a.publishers, "pub-")?;
                plan.add_clients(Role::Subscriber, a.subscribers, "sub-")?;
                plan.find_audiences();
            }
            BenchMode::Merge(_) | BenchMode::Plot(_) => unreachable!("refused above"),
        }
        plan.fill_topics()?;
        plan.shard = shard;
        plan.local = shard.slice(plan.clients.len());
        if plan.threads == 0 {
            plan.threads = default_threads(plan.qos);
        }
        plan.threads = plan.threads.min(plan.local.len()).max(1);
        plan.set_pace(plan.pace);
        Ok(plan)
    }

    /// Sets the pace, and with it what a flat-out QoS 0 run needs (a capped send buffer on
    /// every connection, the subscribers' read pause, the publishers' in-flight window)
    /// or, paced, does not (`--find-max` steps a flat-out plan's rate).
    pub fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
        let flat_out = pace == Pace::Unlimited && self.qos == 0 && self.publishers > 0;
        let send_buffer = flat_out.then_some(SEND_BUFFER);
        self.conn.send_buffer = send_buffer;
        for target in &mut self.targets {
            target.send_buffer = send_buffer;
        }
        // QoS 1 and 2 subscribers acknowledge what they read: a pause would hold the
        // broker's in-flight window to its size per pause. Paced runs measure latency:
        // they read on every wake-up.
        let pubsub = flat_out && self.mode == Mode::PubSub;
        self.read_pause = if pubsub { READ_PAUSE } else { Duration::ZERO };
        // The window moves with deliveries to this process's subscribers: with shards, a
        // publisher's subscribers may be elsewhere.
        self.gate_window = (pubsub && self.shard.is_whole())
            .then(|| (IN_FLIGHT / u64::from(self.publishers)).max(MIN_GATE_WINDOW));
    }

    fn base(mode: Mode, run: &BenchRunArgs, shard: ShardOf) -> Result<Plan, Failure> {
        let brokers = broker_list(&run.conn)?;
        let conn = brokers[0].clone();
        let targets = brokers
            .iter()
            .flat_map(|broker| {
                let binds: Vec<Option<std::net::IpAddr>> = if run.bind.is_empty() {
                    vec![None]
                } else {
                    run.bind.iter().copied().map(Some).collect()
                };
                binds.into_iter().map(move |bind| {
                    let mut target = broker.clone();
                    if let Some(ip) = bind {
                        target.bind = vec![ip];
                    }
                    target
                })
            })
            .collect();
        let threads = run.threads.map(usize::from);
        Ok(Plan {
            mode,
            conn,
            clients: Vec::new(),
            publishers: 0,
            subscribers: 0,
            topic: None,
            topic_echo: None,
            filter: None,
            shared: None,
            qos: 0,
            retain: false,
            size: 0,
            inflight: 0,
            pace: Pace::Unlimited,
            stop: Stop::Duration(run.duration.unwrap_or(DEFAULT_DURATION)),
            warmup: run.warmup,
            drain: run.drain,
            connect_rate: run.connect_rate,
            id_prefix: run.id_prefix.clone().unwrap_or_else(|| {
                // Shards share one numbering, so one prefix: the run's name.
                let run_name = run.barrier.clone().or_else(|| {
                    run.start_at.map(|start| {
                        let since = start.at.duration_since(std::time::UNIX_EPOCH);
                        since.map_or(0, |d| d.as_secs()).to_string()
                    })
                });
                match run_name {
                    Some(name) if !shard.is_whole() => format!("mqtk-bench-{name}-"),
                    _ => format!("mqtk-bench-{}-", std::process::id()),
                }
            }),
            start_number: run.start_number,
            json: run.json.clone(),
            threads: threads.unwrap_or(0),
            read_pause: Duration::ZERO,
            gate_window: None,
            shard: ShardOf::WHOLE,
            local: 0..0,
            brokers: brokers.len(),
            targets,
            start_at: run.start_at.map(|start| start.at),
            barrier: run.barrier.clone(),
            hlog: run.hlog.clone(),
        })
    }

    fn publishing(&mut self, args: &BenchPublishArgs, run: &BenchRunArgs) -> Result<(), Failure> {
        if args.size < HEADER_LEN as u32 || args.size > MAX_SIZE {
            return Err(Failure::Usage(format!(
                "-s/--size {}: give {HEADER_LEN} to {MAX_SIZE} bytes (every payload starts with \
                 mqtk's {HEADER_LEN}-byte header)",
                args.size
            )));
        }
        if args.count.is_some() && run.duration.is_some() {
            return Err(Failure::Usage(
                "--count and --duration both say when to stop; give one".into(),
            ));
        }
        self.topic = Some(Template::parse(&args.topic, "-t/--topic", true)?);
        self.qos = args.qos;
        self.retain = args.retain;
        self.size = args.size as usize;
        self.inflight = args.inflight;
        self.pace = match (args.rate, args.interval) {
            (Some(rate), _) => Pace::Rate(rate),
            (None, Some(interval)) => Pace::Interval(interval),
            (None, None) => Pace::Unlimited,
        };
        if let Some(count) = args.count {
            self.stop = Stop::Count(count);
        }
        Ok(())
    }

    fn subscribing(&mut self, args: &BenchSubscribeArgs, topic: &Template) -> Result<(), Failure> {
        let filter = match &args.filter {
            Some(filter) => Template::parse(filter, "--filter", false)?,
            None => topic.wildcard_filter(),
        };
        if let Some(group) = &args.shared {
            if group.is_empty() || group.contains(['/', '+', '#']) {
                return Err(Failure::Usage(format!(
                    "--shared '{group}': a group name is not empty and has no '/', '+' or '#'"
                )));
            }
        }
        self.filter = Some(filter);
        self.shared = args.shared.clone();
        Ok(())
    }

    fn add_clients(&mut self, role: Role, count: u32, role_prefix: &str) -> Result<(), Failure> {
        // Every client's number is its own (payload headers and windows are keyed by it).
        if u64::from(self.start_number) + u64::from(count) > u64::from(u32::MAX) + 1 {
            return Err(Failure::Usage(format!(
                "--start-number {}: {count} clients would number past {}; give at most {}",
                self.start_number,
                u32::MAX,
                u64::from(u32::MAX) + 1 - u64::from(count)
            )));
        }
        for index in 0..count {
            let number = self.start_number + index;
            let order = self.clients.len() as u32;
            self.clients.push(ClientSpec {
                role,
                index,
                number,
                client_id: format!("{}{role_prefix}{number}", self.id_prefix),
                topic: String::new(),
                audience: Vec::new(),
                order,
            });
        }
        Ok(())
    }

    /// Renders each client's topic or filter and checks it.
    fn fill_topics(&mut self) -> Result<(), Failure> {
        let filter = self.filter.as_ref();
        for client in &mut self.clients {
            match client.role {
                Role::Idle => {}
                Role::Publisher => {
                    let topic = self.topic.as_ref().expect("publishers have a topic");
                    let sample = topic.render(client.number, &client.client_id, 0);
                    validate_topic(&sample, "-t/--topic")?;
                    if !topic.per_message() {
                        client.topic = sample;
                    }
                }
                Role::Subscriber => {
                    let filter = filter.expect("subscribers have a filter");
                    let rendered = filter.render(client.number, &client.client_id, 0);
                    validate_filter(&rendered, "--filter")?;
                    client.topic = match &self.shared {
                        Some(group) => format!("$share/{group}/{rendered}"),
                        None => rendered,
                    };
                }
            }
        }
        Ok(())
    }

    /// For pubsub: which subscribers each publisher's messages reach, judged on the
    /// publisher's first topic.
    fn find_audiences(&mut self) {
        let (Some(filter), Some(topic)) = (&self.filter, &self.topic) else {
            return;
        };
        let subscriber_filters: Vec<String> = self
            .clients
            .iter()
            .filter(|c| c.role == Role::Subscriber)
            .map(|c| filter.render(c.number, &c.client_id, 0))
            .collect();
        let topics: Vec<Option<String>> = self
            .clients
            .iter()
            .map(|c| (c.role == Role::Publisher).then(|| topic.render(c.number, &c.client_id, 0)))
            .collect();
        for (client, first_topic) in self.clients.iter_mut().zip(topics) {
            if let Some(first_topic) = first_topic {
                client.audience = (0..)
                    .zip(&subscriber_filters)
                    .filter(|(_, f)| filter_matches(f, &first_topic))
                    .map(|(index, _)| index)
                    .collect();
            }
        }
    }

    /// How many deliveries each message of this publisher should make (a shared group
    /// receives each message once).
    pub fn fanout(&self, publisher: &ClientSpec) -> u32 {
        let matching = publisher.audience.len() as u32;
        if self.shared.is_some() {
            matching.min(1)
        } else {
            matching
        }
    }

    pub fn total_clients(&self) -> usize {
        self.clients.len()
    }

    /// How long the connect phase may last: --connect-timeout after the last connect that
    /// --connect-rate schedules (after the start without it).
    pub fn ramp_up_limit(&self) -> Duration {
        let scheduled = self.connect_rate.map_or(Duration::ZERO, |rate| {
            Duration::from_secs_f64(self.clients.len().saturating_sub(1) as f64 / rate)
        });
        scheduled + self.conn.connect_timeout
    }

    /// The duration publishers publish for, when the run is timed.
    pub fn sending_time(&self) -> Option<Duration> {
        match self.stop {
            Stop::Duration(d) => Some(self.warmup + d),
            Stop::Count(_) => None,
        }
    }

    /// What the report's accounting needs of these settings.
    pub fn shape(&self) -> Shape {
        Shape {
            mode: self.mode,
            qos: self.qos,
            publishers: self.publishers,
            subscribers: self.subscribers,
            shared: self.shared.is_some(),
            pace: self.pace,
            stop: self.stop,
            warmup: self.warmup,
            drain: self.drain,
        }
    }

    /// Messages per second offered by the schedule; None when unlimited.
    pub fn offered_rate(&self) -> Option<f64> {
        self.shape().offered_rate()
    }

    /// Messages publisher `index` is asked to send (see [`Shape::scheduled`]).
    pub fn scheduled(&self, index: u32) -> Option<u64> {
        self.shape().scheduled(index)
    }

    /// Publisher `index`'s period and offset (see [`Shape::schedule`]).
    pub fn schedule(&self, index: u32) -> Option<(Duration, Duration)> {
        self.shape().schedule(index)
    }

    /// A paced `--count` run: from t0 to the last message's intended time.
    pub fn count_schedule_span(&self) -> Option<Duration> {
        let Stop::Count(count) = self.stop else {
            return None;
        };
        (0..self.publishers)
            .filter_map(|index| self.schedule(index))
            .map(|(period, offset)| {
                let last = period.as_secs_f64() * count.saturating_sub(1) as f64;
                offset.saturating_add(Duration::try_from_secs_f64(last).unwrap_or(Duration::MAX))
            })
            .max()
    }

    /// Publisher `index`'s spec (publishers are added together, in index order).
    pub fn publisher(&self, index: u32) -> Option<&ClientSpec> {
        let first = self
            .clients
            .iter()
            .position(|c| c.role == Role::Publisher)?;
        self.clients
            .get(first + index as usize)
            .filter(|c| c.role == Role::Publisher && c.index == index)
    }

    /// Client `order`'s connection (the broker and source address it takes in turn), and
    /// the broker's index in the `-h`/`-L` list.
    pub fn target(&self, order: u32) -> (&ConnectOptions, usize) {
        let order = order as usize;
        let brokers = self.brokers.max(1);
        let binds = (self.targets.len() / brokers).max(1);
        // The address turns once per round of brokers, so every (broker, address) pair
        // gets its share, whatever the two counts.
        let broker = order % brokers;
        let bind = (order / brokers) % binds;
        (&self.targets[broker * binds + bind], broker)
    }

    /// Each broker of the `-h`/`-L` list once, in order (its first `--bind` variant).
    pub fn each_broker(&self) -> impl Iterator<Item = &ConnectOptions> {
        let binds = (self.targets.len() / self.brokers.max(1)).max(1);
        self.targets.iter().step_by(binds)
    }

    /// The clients this process runs: all of them, or its shard's slice.
    pub fn local_clients(&self) -> &[ClientSpec] {
        &self.clients[self.local.clone()]
    }

    /// A sharded pubsub run: the deliveries this shard's subscribers should get, from every
    /// publisher whose topic they match, when the schedule bounds it (--count, or a paced
    /// run); None when it does not, or with a shared group (any member may get a message).
    pub fn local_expected(&self) -> Option<u64> {
        // Audiences are judged on each publisher's first topic: with a topic per message
        // (`%n`) they say nothing about the rest.
        let per_message = self.topic.as_ref().is_some_and(Template::per_message);
        if self.mode != Mode::PubSub || self.shared.is_some() || per_message {
            return None;
        }
        let local: Vec<u32> = self
            .local_clients()
            .iter()
            .filter(|c| c.role == Role::Subscriber)
            .map(|c| c.index)
            .collect();
        let (Some(&first), Some(&last)) = (local.first(), local.last()) else {
            return Some(0);
        };
        let mut expected = 0;
        for publisher in self.clients.iter().filter(|c| c.role == Role::Publisher) {
            let reached = publisher
                .audience
                .iter()
                .filter(|&&s| (first..=last).contains(&s))
                .count() as u64;
            if reached > 0 {
                expected += reached * self.scheduled(publisher.index)?;
            }
        }
        Some(expected)
    }

    /// How many of this process's clients have `role`.
    pub fn local_count(&self, role: Role) -> u64 {
        self.local_clients()
            .iter()
            .filter(|c| c.role == role)
            .count() as u64
    }
}

/// Which worker thread (of `threads`) runs each client of the plan, in the plan's order.
/// With publishers and subscribers both, and two threads or more, the subscribers get half
/// the threads to themselves: a subscriber sharing its event loop with publishers reads
/// what arrives only between their sends (and their pacer's last-microseconds spin), which
/// measured 50-70 µs on every end-to-end latency at 10 × 1 000 msg/s. Otherwise clients
/// are dealt round-robin.
pub fn placement(plan: &Plan, threads: usize) -> Vec<usize> {
    let split = plan.publishers > 0 && plan.subscribers > 0 && threads >= 2;
    let subscriber_threads = if split { threads / 2 } else { threads };
    let publisher_threads = if split {
        threads - subscriber_threads
    } else {
        threads
    };
    let mut dealt = [0usize; 2];
    plan.clients
        .iter()
        .map(|client| match client.role {
            Role::Subscriber if split => {
                dealt[1] += 1;
                publisher_threads + (dealt[1] - 1) % subscriber_threads
            }
            _ if split => {
                dealt[0] += 1;
                (dealt[0] - 1) % publisher_threads
            }
            _ => {
                dealt[0] += 1;
                (dealt[0] - 1) % threads
            }
        })
        .collect()
}

/// Descriptors mqtk keeps for itself besides one socket per client: those open now
/// (stdio, the runtime's), each worker thread's event loop, waker and timer, and a few for
/// the report files and a --barrier connection. Counted, not guessed, so that a shard can
/// hold nearly as many clients as its limit allows (a 20 000 limit: 19 980 clients).
fn own_descriptors() -> u64 {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let open_now = std::fs::read_dir("/proc/self/fd").map_or(64, |dir| dir.count() as u64);
    open_now + 3 * threads + 8
}

/// Raises the soft limit on open files to the hard one, then refuses a run whose sockets
/// cannot fit under it, naming the numbers.
fn check_descriptors(clients: u64, flag: &str) -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use nix::sys::resource::{getrlimit, setrlimit, Resource};
        let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
            return Ok(());
        };
        let soft = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
            hard
        } else {
            soft
        };
        let own = own_descriptors();
        let needed = clients + own;
        if needed > soft {
            let raise = if soft < hard {
                format!("it could not be raised to the hard limit {hard}")
            } else {
                "that is also the hard limit".to_string()
            };
            return Err(Failure::Usage(format!(
                "{flag}: the clients need {needed} open files (a socket each, and {own} for mqtk) but this process may open {soft} (ulimit -n; {raise}): raise it (ulimit -Hn, limits.conf, LimitNOFILE=) or run fewer clients per process"
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (clients, flag);
    Ok(())
}

/// One event loop per CPU, except at QoS 1/2: there the flow is a ping-pong of small
/// packets with the broker (mosquitto keeps 20 messages in flight to a subscriber), and a
/// second, mostly idle thread adds a wake-up to every round trip. Measured on 2 cores with a
/// local mosquitto, 10 publishers → 1 subscriber: QoS 1 delivered 29 000/s on one thread and
/// 13 000-16 000/s on two; QoS 0 delivered 78 000-84 000/s on two and 48 000-62 000/s on one.
fn default_threads(qos: u8) -> usize {
    if qos > 0 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Which shard this process is: `--shard I/N`, else `--shards N` (or MQTK_SHARDS) with the
/// index in JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it; else the whole run.
fn shard_of(run: &BenchRunArgs, clients: u64) -> Result<ShardOf, Failure> {
    if let Some(name) = &run.barrier {
        if name.is_empty() || name.contains(['/', '+', '#']) {
            return Err(Failure::Usage(format!(
                "--barrier '{}': a run name is not empty and has no '/', '+' or '#'",
                crate::error::shorten(name)
            )));
        }
    }
    let (index, count) = match (run.shard, run.shards) {
        (Some((index, count)), _) => (index, count),
        (None, None) => return Ok(ShardOf::WHOLE),
        (None, Some(1)) => return Ok(ShardOf::WHOLE),
        (None, Some(count)) => {
            let given = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
                Failure::Usage(format!(
                    "--shards {count} (or MQTK_SHARDS): this shard's index comes from JOB_COMPLETION_INDEX, which is not set; give --shard I/{count}"
                ))
            })?;
            match given.trim().parse::<u32>() {
                Ok(index) if index < count => (index, count),
                _ => {
                    return Err(Failure::Usage(format!(
                        "JOB_COMPLETION_INDEX '{}': give 0 to {} for {count} shards (--shards, MQTK_SHARDS)",
                        crate::error::shorten(&given),
                        count - 1
                    )))
                }
            }
        }
    };
    if count > 1 && run.start_at.is_some_and(|start| start.relative) {
        return Err(Failure::Usage(format!(
            "--shard {index}/{count} --start-at +DURATION: each shard would count from its own start; give every shard the same RFC 3339 time, e.g. --start-at \"$(date -u -d +1min +%FT%TZ)\""
        )));
    }
    if count > 1 && run.barrier.is_none() && run.start_at.is_none() {
        return Err(Failure::Usage(format!(
            "--shard {index}/{count}: shards must start sending together; give every shard the same --barrier RUN (they meet through the broker) or --start-at TIME (synced clocks)"
        )));
    }
    if u64::from(count) > clients {
        return Err(Failure::Usage(format!(
            "--shard {index}/{count}: {count} shards for {clients} clients would leave some without any; give at most {clients} shards"
        )));
    }
    Ok(ShardOf { index, count })
}

/// `-h a,b,c` or `-L url1,url2`: the brokers of a cluster, each with every other
/// connection flag; a single broker otherwise.
fn broker_list(args: &ConnArgs) -> Result<Vec<ConnectOptions>, Failure> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let hosts = args.host.clone().or_else(|| from_env("MQTK_HOST"));
    let urls = args.url.clone().or_else(|| from_env("MQTK_URL"));
    let split = |list: &str| -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(String::from)
            .collect()
    };
    let each: Vec<ConnArgs> = match (&urls, &hosts) {
        (Some(list), _) if list.contains(',') => split(list)
            .into_iter()
            .map(|url| ConnArgs {
                url: Some(url),
                ..args.clone()
            })
            .collect(),
        (None, Some(list)) if list.contains(',') => split(list)
            .into_iter()
            .map(|host| ConnArgs {
                host: Some(host),
                ..args.clone()
            })
            .collect(),
        _ => vec![args.clone()],
    };
    if each.is_empty() {
        return Err(Failure::Usage(
            "-h/-L: the list names no broker; give HOST[,HOST...] or URL[,URL...]".into(),
        ));
    }
    each.iter().map(connect_options).collect()
}

/// The bench clients' connection: every connection flag applies, the session is always
/// clean (a bench starts from nothing), and ids come from `--id-prefix`.
fn connect_options(args: &ConnArgs) -> Result<ConnectOptions, Failure> {
    let session = SessionArgs {
        id: Some("mqtk-bench".into()),
        ..SessionArgs::default()
    };
    ConnectOptions::from_args(args, &session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_and_derive_their_filter() {
        let t = Template::parse("bench/%i/x%c/%n/100%%", "-t", true).unwrap();
        assert_eq!(t.render(7, "id-7", 42), "bench/7/xid-7/42/100%");
        assert_eq!(t.wildcard_filter().source(), "bench/+/+/+/100%");
        assert!(t.per_message());
        let fixed = Template::parse("a/b", "-t", true).unwrap();
        assert_eq!(fixed.wildcard_filter().source(), "a/b");
        assert!(!fixed.per_message());
    }

    #[test]
    fn templates_reject_unknown_fields_naming_the_flag() {
        let e = Template::parse("a/%x", "-t/--topic", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "-t/--topic 'a/%x': unknown field '%x'; use %i, %c, %n or %%"
        );
        let e = Template::parse("a/%n", "--filter", false).unwrap_err();
        assert!(e.to_string().contains("use %i, %c or %%"), "{e}");
        assert!(Template::parse("a/%", "-t", true).is_err());
    }

    fn plan_of(args: &[&str]) -> Plan {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["mqtk", "bench"].iter().chain(args)).unwrap();
        let crate::cli::Command::Bench(bench) = cli.command else {
            unreachable!("a bench command line")
        };
        Plan::from_args(&bench.mode).unwrap()
    }

    /// Every connection of a flat-out QoS 0 run gets the capped send buffer, whichever
    /// broker and address it takes; a paced step of the same plan gets none of it.
    #[test]
    fn flat_out_settings_reach_every_connection_and_leave_with_a_pace() {
        let mut plan = plan_of(&[
            "pubsub",
            "--publishers",
            "4",
            "-h",
            "a.example,b.example",
            "--bind",
            "127.0.0.2,127.0.0.3",
        ]);
        assert_eq!(plan.targets.len(), 4);
        assert!(plan
            .targets
            .iter()
            .all(|t| t.send_buffer == Some(SEND_BUFFER)));
        assert!(plan.gate_window.is_some() && !plan.read_pause.is_zero());
        plan.set_pace(Pace::Rate(1000.0));
        assert!(plan.targets.iter().all(|t| t.send_buffer.is_none()));
        assert!(plan.conn.send_buffer.is_none());
        assert!(plan.gate_window.is_none() && plan.read_pause.is_zero());
    }

    /// Brokers and source addresses: every pair is used, each about as often.
    #[test]
    fn clients_take_every_broker_and_address_pair_in_turn() {
        let plan = plan_of(&[
            "conn",
            "-c",
            "8",
            "-h",
            "a.example,b.example",
            "--bind",
            "127.0.0.2,127.0.0.3",
        ]);
        let pairs: Vec<(usize, String)> = (0..8)
            .map(|order| {
                let (target, broker) = plan.target(order);
                (broker, target.bind[0].to_string())
            })
            .collect();
        for broker in 0..2 {
            for ip in ["127.0.0.2", "127.0.0.3"] {
                let n = pairs
                    .iter()
                    .filter(|(b, i)| *b == broker && i == ip)
                    .count();
                assert_eq!(n, 2, "{pairs:?}");
            }
        }
    }

    #[test]
    fn subscribers_get_threads_of_their_own() {
        let fan_in = plan_of(&["pubsub", "--publishers", "10", "--subscribers", "1"]);
        let threads = placement(&fan_in, 2);
        assert_eq!(threads, [vec![0; 10], vec![1]].concat());
        let many = plan_of(&["pubsub", "--publishers", "3", "--subscribers", "3"]);
        assert_eq!(placement(&many, 4), [0, 1, 0, 2, 3, 2]);
        assert_eq!(placement(&many, 1), [0; 6]);
        let publishers = plan_of(&["pub", "-c", "5"]);
        assert_eq!(placement(&publishers, 2), [0, 1, 0, 1, 0]);
    }
}
