//! `mqtk rr`: request/response over MQTT 5, as mosquitto_rr plus matching. Subscribes to the
//! response topic and waits for the SUBACK, then publishes the request with the Response
//! Topic and Correlation Data properties (random unless `-D publish correlation-data`), and
//! prints the responses that carry the same correlation data until `-C` of them arrived.
//! Anything else on the response topic is ignored and counted. No reconnect: a response sent
//! while the connection is down would be lost, so a lost connection ends the run.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use tokio::time::Instant;

use super::publish::{check_size, read_payload};
use crate::cli::RrArgs;
use crate::conn::{codes, validate_topic, ConnectOptions};
use crate::engine::client::{disconnect_text, Client, Stop};
use crate::engine::packets::{printable, Message, Subscription};
use crate::engine::session::Event;
use crate::error::Failure;
use crate::output::stdio::{stderr, StdoutWatch};
use crate::output::{PrintOptions, Printer};

/// QoS 1/2 messages rr keeps in flight: the request alone.
const WINDOW: u16 = 10;
/// How long to wait, when done, for the request's acknowledgement and our own acks.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);
/// The token that names the request in [`Event::Published`].
const REQUEST: u64 = 1;

/// `mqtk rr`, validated.
#[derive(Debug)]
pub struct RrOptions {
    pub conn: ConnectOptions,
    /// Where the request goes (-t).
    pub topic: String,
    /// Where the responses come back (-e), subscribed to before the request is sent.
    pub response_topic: String,
    pub payload: Bytes,
    /// QoS of the request and of the subscription.
    pub qos: u8,
    /// The request's properties: `-D publish ...`, the Response Topic and the Correlation Data.
    pub properties: PublishProperties,
    /// Matching responses to print before exiting 0 (-C).
    pub count: u64,
    pub timeout: Option<Duration>,
    pub print: PrintOptions,
}

impl RrOptions {
    /// Validates the flags and reads -f or -s input before any connection is made.
    pub fn from_args(args: &RrArgs) -> Result<RrOptions, Failure> {
        // Response Topic and Correlation Data are MQTT 5 properties: rr selects MQTT 5 and
        // refuses -V 311 and -V 31 ("mqtk rr needs MQTT 5: drop -V 311 ...").
        let conn =
            ConnectOptions::from_args_with_v5_flag(&args.conn, &args.session, Some("mqtk rr"))?;
        let topic = args.topic.clone().or(conn.url_topic.clone()).ok_or_else(|| {
            Failure::Usage(
                "-t/--topic is required: the topic the request goes to (or give it in -L mqtt://host/topic)"
                    .into(),
            )
        })?;
        validate_topic(&topic, "-t/--topic")?;
        let response_topic = args.response_topic.clone().ok_or_else(|| {
            Failure::Usage(
                "-e/--response-topic is required: the topic the responses come back on".into(),
            )
        })?;
        validate_topic(&response_topic, "-e/--response-topic")?;
        let mut properties = conn.properties.publish.clone().unwrap_or_default();
        if properties.response_topic.is_some() {
            return Err(Failure::Usage(
                "-D publish response-topic: mqtk rr sends -e as the Response Topic; give it with -e"
                    .into(),
            ));
        }
        if properties.topic_alias.is_some() {
            return Err(Failure::Usage(
                "-D publish topic-alias: mqtk rr sends one request, an alias saves nothing; drop it"
                    .into(),
            ));
        }
        let correlation = properties
            .correlation_data
            .clone()
            .unwrap_or_else(new_correlation_data);
        properties.response_topic = Some(response_topic.clone());
        properties.correlation_data = Some(correlation);
        let print = PrintOptions::from_args(&args.output)?;
        let payload = read_payload(&args.payload, conn.max_outgoing)?
            .ok_or_else(|| Failure::Usage("give the request's payload: -m, -f, -s or -n".into()))?;
        check_size(payload.len(), &topic, Some(&properties), conn.max_outgoing)
            .map_err(|why| Failure::Data(format!("the request is too large: {why}")))?;
        Ok(RrOptions {
            topic,
            response_topic,
            payload,
            qos: args.qos,
            properties,
            count: args.count,
            timeout: args.timeout,
            print,
            conn,
        })
    }

    /// The correlation data the responses must carry.
    fn correlation(&self) -> &[u8] {
        self.properties.correlation_data.as_deref().unwrap_or(&[])
    }
}

/// 16 random hex digits: unique enough to tell this request's responses from any other's.
fn new_correlation_data() -> Bytes {
    Bytes::from(format!("{:016x}", rand::random::<u64>()))
}

/// Runs `mqtk rr`.
pub async fn run(args: &RrArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let opts = RrOptions::from_args(args)?;
    let far = started + Duration::from_secs(10 * 365 * 24 * 3600);
    let deadline = opts.timeout.map_or(far, |t| started + t);
    let client = tokio::select! {
        biased;
        _ = super::interrupted() => return Err(Failure::Interrupted.into()),
        connected = tokio::time::timeout_at(deadline, Client::connect(&opts.conn, WINDOW)) => match connected {
            Ok(connected) => connected?,
            Err(_) => {
                let limit = humantime::format_duration(opts.timeout.unwrap_or_default());
                return Err(Failure::Timeout(format!(
                    "timed out after {limit} (-W) while connecting: the request was not sent"
                ))
                .into());
            }
        },
    };
    let printer = opts.print.printer();
    let mut requester = Requester {
        printer,
        client,
        requested: false,
        responses: 0,
        ignored: 0,
        opts,
    };
    let outcome = requester.run(deadline, far).await;
    requester.finish().await;
    outcome
}

struct Requester {
    opts: RrOptions,
    client: Client,
    printer: Printer,
    /// The request was handed to the session (after the SUBACK).
    requested: bool,
    /// Matching responses printed.
    responses: u64,
    /// Messages on the response topic that were not responses to this request.
    ignored: u64,
}

impl Requester {
    async fn run(&mut self, deadline: Instant, far: Instant) -> anyhow::Result<()> {
        let broker = self.opts.conn.broker_display();
        if let Err(why) = self.client.limits().check_qos(self.opts.qos, &broker) {
            return Err(Failure::Usage(why).into());
        }
        let max = self.client.max_outgoing();
        let size = self.opts.payload.len();
        if let Err(why) = check_size(size, &self.opts.topic, Some(&self.opts.properties), max) {
            return Err(
                Failure::Data(format!("the request is too large for {broker}: {why}")).into(),
            );
        }
        self.client.subscribe(Subscription {
            filters: vec![self.opts.response_topic.clone()],
            qos: self.opts.qos,
            // Our own request is never its response (when -t and -e are the same topic).
            no_local: true,
            retain_as_published: false,
            // A retained message was there before the request: never its response.
            retain_handling: 2,
            properties: self.opts.conn.properties.subscribe.clone(),
        });
        let interrupt = super::interrupted();
        tokio::pin!(interrupt);
        // `| head -1` may have had enough while no response comes.
        let stdout = StdoutWatch::new();
        let mut settle_by: Option<Instant> = None;
        loop {
            let done = self.responses >= self.opts.count;
            if done {
                if self.settled() {
                    return Ok(());
                }
                settle_by.get_or_insert_with(|| Instant::now() + SETTLE_LIMIT);
            }
            let until_written = done && self.client.unwritten() > 0;
            let polled = tokio::select! {
                biased;
                _ = &mut interrupt => return Err(Failure::Interrupted.into()),
                _ = tokio::time::sleep_until(deadline), if !done => {
                    return Err(self.timed_out().into());
                }
                _ = tokio::time::sleep_until(settle_by.unwrap_or(far)), if settle_by.is_some() => {
                    return Ok(());
                }
                closed = stdout.closed() => return Err(closed.into()),
                event = self.client.next_or_written(until_written) => event,
            };
            match polled {
                Ok(Some(event)) => self.handle(event)?,
                Ok(None) => {}
                // Answered already: only the settling was cut short.
                Err(_) if done => return Ok(()),
                Err(Stop::Lost(failure) | Stop::Fatal(failure)) => {
                    return Err(self.with_progress(failure).into());
                }
            }
        }
    }

    fn handle(&mut self, event: Event) -> anyhow::Result<()> {
        match event {
            Event::Message(message) => self.handle_message(&message)?,
            Event::SubAck { codes, .. } => {
                let code = codes.first().copied().unwrap_or(0x80);
                let topic = printable(self.opts.response_topic.as_bytes());
                if code >= 0x80 {
                    return Err(Failure::SubscribeRejected(format!(
                        "the broker refused the subscription to the response topic '{topic}': {} (0x{code:02x}); the request was not sent",
                        codes::reason_text(code)
                    ))
                    .into());
                }
                if code < self.opts.qos && !self.opts.conn.quiet {
                    stderr!(
                        "mqtk: the broker granted QoS {code} for '{topic}' (asked for {})",
                        self.opts.qos
                    );
                }
                if !self.requested {
                    self.request()?;
                }
            }
            Event::Published {
                reason,
                reason_string,
                ..
            } => {
                let text = codes::reason_text(reason);
                let detail = reason_string.map(|t| format!(": {t}")).unwrap_or_default();
                if reason >= 0x80 {
                    return Err(Failure::PublishRejected(format!(
                        "the broker rejected the request: {text} (0x{reason:02x}){detail}"
                    ))
                    .into());
                }
                if reason == 0x10 && !self.opts.conn.quiet {
                    stderr!(
                        "mqtk: warning: nobody subscribes to '{}' ({text}, 0x10): a response is unlikely",
                        printable(self.opts.topic.as_bytes())
                    );
                }
            }
            Event::Disconnect {
                reason,
                reason_string,
            } => {
                let text = disconnect_text(reason, reason_string);
                return Err(self.with_progress(Failure::ConnectionLost(text)).into());
            }
            Event::UnsubAck { .. } | Event::PingResp => {}
        }
        Ok(())
    }

    /// Publishes the request (once subscribed to the response topic).
    fn request(&mut self) -> Result<(), Failure> {
        let message = Message {
            topic: Bytes::from(self.opts.topic.clone().into_bytes()),
            payload: self.opts.payload.clone(),
            qos: self.opts.qos,
            retain: false,
            dup: false,
            pkid: 0,
            properties: Some(self.opts.properties.clone()),
        };
        self.client
            .publish(message, REQUEST)
            .map_err(|e| Failure::Data(format!("the request: {e}")))?;
        self.requested = true;
        Ok(())
    }

    /// Prints a response to this request; ignores (and counts) anything else.
    fn handle_message(&mut self, message: &Message) -> anyhow::Result<()> {
        if self.responses >= self.opts.count {
            // Not acknowledged: a kept session has it for another run.
            self.client.decline(message.qos, message.pkid);
            return Ok(());
        }
        match self.not_a_response(message) {
            Some(why) => {
                self.ignored += 1;
                if self.opts.conn.debug {
                    stderr!(
                        "mqtk: debug: ignored a message on '{}': {why}",
                        printable(&message.topic)
                    );
                }
            }
            None => {
                let topic = String::from_utf8_lossy(&message.topic);
                if let Some(warning) = self.printer.print_message(message, topic)? {
                    if !self.opts.conn.quiet {
                        stderr!("mqtk: {warning}");
                    }
                }
                self.printer.flush()?;
                self.responses += 1;
            }
        }
        // Acknowledged once written out (or once judged not ours).
        self.client.ack(message.qos, message.pkid);
        Ok(())
    }

    /// Why `message` is not a response to this request; None when it is.
    fn not_a_response(&self, message: &Message) -> Option<String> {
        if !self.requested {
            return Some("it came before the request was sent".into());
        }
        if message.topic != self.opts.response_topic.as_bytes() {
            return Some("it is not on the response topic (a kept session's subscription?)".into());
        }
        if message.retain {
            return Some("it is a retained message, older than the request".into());
        }
        let ours = self.opts.correlation();
        match message
            .properties
            .as_ref()
            .and_then(|p| p.correlation_data.as_deref())
        {
            None => Some(format!(
                "it carries no correlation data (this request's is '{}')",
                printable(ours)
            )),
            Some(theirs) if theirs != ours => Some(format!(
                "its correlation data '{}' is not this request's '{}'",
                printable(theirs),
                printable(ours)
            )),
            Some(_) => None,
        }
    }

    /// Nothing of ours is still in flight: the request acknowledged, our acks written.
    fn settled(&self) -> bool {
        self.client.unwritten() == 0
            && self.client.session().in_flight() == 0
            && self.client.session().awaiting_release() == 0
    }

    /// Where the request stands, for a failure's message.
    fn progress(&self) -> String {
        if !self.requested {
            return "the request was not sent".into();
        }
        format!(
            "the request was sent; {} of {} responses arrived",
            self.responses, self.opts.count
        )
    }

    fn with_progress(&self, failure: Failure) -> Failure {
        let progress = self.progress();
        match failure {
            Failure::ConnectionLost(m) => {
                Failure::ConnectionLost(format!("{m}; {progress} (rr does not reconnect)"))
            }
            Failure::Protocol(m) => Failure::Protocol(format!("{m}; {progress}")),
            other => other,
        }
    }

    fn timed_out(&self) -> Failure {
        let limit = humantime::format_duration(self.opts.timeout.unwrap_or_default());
        let what = if !self.requested {
            "before the request was sent (no SUBACK for the response topic)".to_string()
        } else {
            format!("with {} of {} responses", self.responses, self.opts.count)
        };
        Failure::Timeout(format!("timed out after {limit} (-W) {what}"))
    }

    /// Flushes, disconnects and says how many messages were ignored.
    async fn finish(&mut self) {
        let _ = self.printer.flush();
        self.client.disconnect(Duration::from_secs(2)).await;
        if self.ignored > 0 && !self.opts.conn.quiet {
            let what = match self.ignored {
                1 => "1 message on the response topic was ignored: not a response".to_string(),
                n => format!("{n} messages on the response topic were ignored: not responses"),
            };
            stderr!("mqtk: {what} to this request (-d shows why)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::ProtocolVersion;
    use clap::Parser;

    fn options(args: &[&str]) -> Result<RrOptions, Failure> {
        let mut argv = vec!["mqtk", "rr"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        match cli.command {
            crate::cli::Command::Rr(args) => RrOptions::from_args(&args),
            _ => unreachable!(),
        }
    }

    #[test]
    fn selects_mqtt_5_and_sends_the_response_topic_and_random_correlation_data() {
        let opts = options(&["-t", "req", "-e", "resp", "-m", "hi"]).unwrap();
        assert_eq!(opts.conn.version, ProtocolVersion::V5);
        assert_eq!((opts.qos, opts.count, opts.timeout), (0, 1, None));
        assert_eq!(opts.payload, Bytes::from_static(b"hi"));
        assert_eq!(opts.properties.response_topic.as_deref(), Some("resp"));
        let data = opts.correlation().to_vec();
        assert_eq!(data.len(), 16);
        assert!(data.iter().all(u8::is_ascii_hexdigit), "{data:?}");
        let again = options(&["-t", "req", "-e", "resp", "-n"]).unwrap();
        assert_ne!(again.correlation(), &data[..], "random per run");
        assert!(again.payload.is_empty());
    }

    #[test]
    fn given_correlation_data_and_publish_properties_are_kept() {
        let opts = options(&[
            "-t",
            "req",
            "-e",
            "resp",
            "-m",
            "x",
            "-D",
            "publish",
            "correlation-data",
            "req-7",
            "-D",
            "publish",
            "content-type",
            "text/plain",
        ])
        .unwrap();
        assert_eq!(opts.correlation(), b"req-7");
        assert_eq!(opts.properties.content_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn refuses_mqtt_3_and_what_rr_sets_itself() {
        let error = |args: &[&str]| options(args).unwrap_err().to_string();
        let base = ["-t", "req", "-e", "resp", "-m", "x"];
        for version in ["311", "31"] {
            let args = [&base[..], &["-V", version]].concat();
            assert_eq!(
                error(&args),
                format!("mqtk rr needs MQTT 5: drop -V {version} (it selects MQTT 5 by itself)")
            );
        }
        assert!(options(&[&base[..], &["-V", "5"]].concat()).is_ok());
        let args = [&base[..], &["-D", "publish", "response-topic", "x"]].concat();
        assert!(error(&args).starts_with("-D publish response-topic"));
        let args = [&base[..], &["-D", "publish", "topic-alias", "1"]].concat();
        assert!(error(&args).starts_with("-D publish topic-alias"));
        assert!(error(&["-e", "resp", "-m", "x"]).starts_with("-t/--topic is required"));
        assert!(error(&["-t", "req", "-m", "x"]).starts_with("-e/--response-topic is required"));
        assert!(error(&["-t", "req", "-e", "resp"]).contains("-m, -f, -s or -n"));
        assert!(error(&["-t", "req", "-e", "a/+", "-m", "x"]).starts_with("-e/--response-topic"));
        assert!(error(&["-t", "req", "-e", "resp", "-m", "x", "-F", "%"]).contains('%'));
    }
}
