//! Bench statistics: latency in HDR histograms (nanoseconds, 3 significant digits, never a
//! sort of samples) summarised as min / percentiles / max / mean / stdev, and the accounting
//! of one publisher's sequence as seen by one subscriber: received, duplicated, reordered,
//! lost.

use std::collections::HashSet;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The longest latency recorded exactly; longer ones are clamped to it (and counted).
const MAX_NS: u64 = 3_600_000_000_000;

/// A latency histogram in nanoseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    histogram: Histogram<u64>,
    clamped: u64,
}

/// A latency histogram's summary, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub min_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p99_9_us: f64,
    pub p99_99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    pub stdev_us: f64,
}

impl Latency {
    pub fn new() -> Latency {
        Latency {
            histogram: Histogram::new_with_bounds(1, MAX_NS, 3)
                .expect("constant histogram bounds are valid"),
            clamped: 0,
        }
    }

    pub fn record(&mut self, ns: u64) {
        let value = ns.clamp(1, MAX_NS);
        if value != ns.max(1) {
            self.clamped += 1;
        }
        // Within the bounds by construction.
        let _ = self.histogram.record(value);
    }

    pub fn merge(&mut self, other: &Latency) {
        let _ = self.histogram.add(&other.histogram);
        self.clamped += other.clamped;
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    pub fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// The histogram in HdrHistogram's standard form (V2, deflate-compressed, base64: what
    /// HistogramLogAnalyzer and every HdrHistogram library read), values in nanoseconds;
    /// None when nothing was recorded.
    pub fn encoded(&self) -> Option<String> {
        use base64::Engine;
        use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
        if self.histogram.is_empty() {
            return None;
        }
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.histogram, &mut bytes)
            .ok()?;
        Some(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Reads back what [`Latency::encoded`] wrote (another shard's report); None when the
    /// text is not such a histogram.
    pub fn decode(text: &str) -> Option<Latency> {
        use base64::Engine;
        use hdrhistogram::serialization::Deserializer;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        // The decoder sizes its buffer by the length the header claims: a few bytes of a
        // hostile file must not claim gigabytes.
        if claimed_payload(&bytes)? > MAX_PAYLOAD {
            return None;
        }
        let decoded: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .ok()?;
        let mut latency = Latency::new();
        latency.histogram.add(&decoded).ok()?;
        Some(latency)
    }

    /// None when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        let h = &self.histogram;
        if h.is_empty() {
            return None;
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Some(LatencySummary {
            count: h.len(),
            min_us: us(h.min()),
            p50_us: us(h.value_at_quantile(0.50)),
            p90_us: us(h.value_at_quantile(0.90)),
            p99_us: us(h.value_at_quantile(0.99)),
            p99_9_us: us(h.value_at_quantile(0.999)),
            p99_99_us: us(h.value_at_quantile(0.9999)),
            max_us: us(h.max()),
            mean_us: h.mean() / 1000.0,
            stdev_us: h.stdev() / 1000.0,
        })
    }
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

/// The largest histogram payload read back: a whole 1 ns-1 h histogram at 3 digits, every
/// bucket counted, takes under 0.5 MB.
const MAX_PAYLOAD: u32 = 4 << 20;

/// The payload length an encoded histogram's header claims (inside the deflate stream of
/// the compressed form); None when there is no such header.
fn claimed_payload(bytes: &[u8]) -> Option<u32> {
    use std::io::Read;
    const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304;
    let word = |b: &[u8]| Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?));
    if word(bytes)? != V2_COMPRESSED_COOKIE {
        return word(bytes.get(4..)?);
    }
    let mut header = [0u8; 8];
    flate2::read::ZlibDecoder::new(bytes.get(8..)?)
        .read_exact(&mut header)
        .ok()?;
    word(&header[4..])
}

/// What one arrival meant for its sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The next number expected.
    InOrder,
    /// Later than expected: the numbers in between are missing (for now).
    AfterGap,
    /// A missing number arriving late.
    Reordered,
    /// A number already received.
    Duplicate,
}

/// One publisher's sequence (numbers from 0) as received by one subscriber, or by the
/// members of a shared-subscription group together ([`Sequence::group`]). In a report it
/// is a [`SequenceRecord`], so shards' reports merge to the same accounting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(into = "SequenceRecord", try_from = "SequenceRecord")]
pub struct Sequence {
    /// The first number expected (a subscriber that joined a running publisher).
    first: u64,
    /// One more than the highest number received (`first` before any).
    next: u64,
    /// Numbers from `first` below `next` that have not arrived. Not kept by a member of a
    /// shared group: it sees a share of every sequence, so nearly all numbers would be here.
    missing: HashSet<u64>,
    /// A shared group's member: every number it received (one bit each). A group (see
    /// [`Sequence::group`]): the union of its members', instead of a missing set.
    seen: Option<Bits>,
    /// A group: the numbers from `first` below `next` no member received.
    group_gaps: Option<u64>,
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

impl Sequence {
    /// A sequence whose numbers before `first` are not expected (a subscriber that joined
    /// a running publisher).
    pub fn starting_at(first: u64) -> Sequence {
        Sequence {
            first,
            next: first,
            ..Sequence::default()
        }
    }

    /// The share of a sequence one member of a shared-subscription group receives.
    pub fn member_from(first: u64) -> Sequence {
        Sequence {
            seen: Some(Bits::default()),
            ..Sequence::starting_at(first)
        }
    }

    pub fn record(&mut self, seq: u64) -> Arrival {
        if let Some(seen) = &mut self.seen {
            if !seen.insert(seq) {
                self.duplicates += 1;
                return Arrival::Duplicate;
            }
            self.received += 1;
            self.first = self.first.min(seq);
            return if seq >= self.next {
                let gap = seq > self.next;
                self.next = seq + 1;
                if gap {
                    Arrival::AfterGap
                } else {
                    Arrival::InOrder
                }
            } else {
                self.reordered += 1;
                Arrival::Reordered
            };
        }
        if seq == self.next {
            self.next += 1;
            self.received += 1;
            Arrival::InOrder
        } else if seq > self.next {
            self.missing.extend(self.next..seq);
            self.next = seq + 1;
            self.received += 1;
            Arrival::AfterGap
        } else if self.missing.remove(&seq) {
            self.received += 1;
            self.reordered += 1;
            Arrival::Reordered
        } else {
            self.duplicates += 1;
            Arrival::Duplicate
        }
    }

    /// What the members of a shared group received of one publisher, together: a number
    /// is missing when no member got it, and one that two members got is a duplicate.
    /// Members must come from [`Sequence::member_from`].
    pub fn group<'a>(members: impl IntoIterator<Item = &'a Sequence>) -> Sequence {
        let mut union = Bits::default();
        let mut group = Sequence::default();
        let mut first = u64::MAX;
        let mut delivered = 0;
        for member in members {
            if let Some(seen) = &member.seen {
                union.or(seen);
            }
            if member.received > 0 {
                first = first.min(member.first);
            }
            group.next = group.next.max(member.next);
            group.duplicates += member.duplicates;
            group.reordered += member.reordered;
            delivered += member.received;
        }
        group.first = first.min(group.next);
        group.received = union.count();
        group.duplicates += delivered.saturating_sub(group.received);
        // Counted, not listed: a group's span can be large, its union answers `has`.
        group.group_gaps = Some((group.next - group.first).saturating_sub(group.received));
        group.seen = Some(union);
        group
    }

    /// Whether number `seq` has arrived.
    pub fn has(&self, seq: u64) -> bool {
        if let Some(seen) = &self.seen {
            return seen.contains(seq);
        }
        seq >= self.first && seq < self.next && !self.missing.contains(&seq)
    }

    /// Numbers missing between arrivals (after the last arrival nothing is known).
    pub fn gaps(&self) -> u64 {
        self.group_gaps.unwrap_or(self.missing.len() as u64)
    }

    /// One more than the highest number received (the first number after the last arrival).
    pub fn end(&self) -> u64 {
        self.next
    }

    /// Messages of the first `expected` numbers that never arrived.
    pub fn lost(&self, expected: u64) -> u64 {
        expected.saturating_sub(self.received)
    }
}

/// A [`Sequence`] as the JSON report carries it: the missing numbers as half-open ranges
/// `[from, to)`, which stay short when little is lost, and a shared group member's received
/// numbers as its bitmap. Read back only within bounds a real run could reach, so a
/// hostile report cannot make `bench merge` allocate without limit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceRecord {
    pub first: u64,
    pub next: u64,
    pub missing: Vec<[u64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<SeenRecord>,
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

/// A shared group member's received numbers: bit i of `words` (64-bit little-endian words,
/// base64) is number `base + i`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeenRecord {
    pub base: u64,
    pub words: String,
}

/// The most numbers one sequence record may span, and may list as missing, when read back.
const MAX_SPAN: u64 = 1 << 32;
const MAX_MISSING: u64 = 1 << 26;

thread_local! {
    /// What the records read back on this thread may still hold in all, since
    /// [`reset_read_budget`]: a report of many small forged records must not add up to
    /// gigabytes either (2^26 missing numbers, 2^25 bitmap words: 256 MB each at most).
    static MISSING_NUMBERS: std::cell::Cell<u64> = const { std::cell::Cell::new(MAX_MISSING) };
    static SEEN_WORDS: std::cell::Cell<u64> = const { std::cell::Cell::new(1 << 25) };
}

/// Restores the budget of [`SequenceRecord`]s read back (`bench merge` calls it once).
pub fn reset_read_budget() {
    MISSING_NUMBERS.with(|b| b.set(MAX_MISSING));
    SEEN_WORDS.with(|b| b.set(1 << 25));
}

fn take_budget(
    budget: &'static std::thread::LocalKey<std::cell::Cell<u64>>,
    amount: u64,
    what: &str,
) -> Result<(), String> {
    budget.with(|left| match left.get().checked_sub(amount) {
        Some(rest) => {
            left.set(rest);
            Ok(())
        }
        None => Err(format!("more {what} in all than a merge reads back")),
    })
}

impl From<Sequence> for SequenceRecord {
    fn from(s: Sequence) -> SequenceRecord {
        use base64::Engine;
        let mut missing: Vec<u64> = s.missing.into_iter().collect();
        missing.sort_unstable();
        SequenceRecord {
            first: s.first,
            next: s.next,
            missing: ranges(missing),
            seen: s.seen.map(|bits| SeenRecord {
                base: bits.base,
                words: base64::engine::general_purpose::STANDARD.encode(
                    bits.words
                        .iter()
                        .flat_map(|w| w.to_le_bytes())
                        .collect::<Vec<u8>>(),
                ),
            }),
            received: s.received,
            duplicates: s.duplicates,
            reordered: s.reordered,
        }
    }
}

impl TryFrom<SequenceRecord> for Sequence {
    type Error = String;

    fn try_from(r: SequenceRecord) -> Result<Sequence, String> {
        use base64::Engine;
        if r.first > r.next || r.next - r.first > MAX_SPAN {
            return Err(format!(
                "a sequence from {} to {} (at most {MAX_SPAN} numbers)",
                r.first, r.next
            ));
        }
        let mut missing = HashSet::new();
        for &[from, to] in &r.missing {
            if from >= to || from < r.first || to > r.next {
                return Err(format!(
                    "missing [{from}, {to}) outside the sequence [{}, {})",
                    r.first, r.next
                ));
            }
            if missing.len() as u64 + (to - from) > MAX_MISSING {
                return Err(format!("more than {MAX_MISSING} missing numbers"));
            }
            take_budget(&MISSING_NUMBERS, to - from, "missing numbers")?;
            missing.extend(from..to);
        }
        let seen = match r.seen {
            None => None,
            Some(seen) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(seen.words.as_bytes())
                    .map_err(|e| format!("seen: not base64 ({e})"))?;
                if seen.base % 64 != 0 || bytes.len() % 8 != 0 {
                    return Err("seen: not a bitmap of 64-bit words from a multiple of 64".into());
                }
                let end = seen.base.saturating_add((bytes.len() / 8) as u64 * 64);
                if seen.base < r.first / 64 * 64 || end > r.next.div_ceil(64) * 64 {
                    return Err(format!(
                        "seen: numbers {} to {end} outside the sequence [{}, {})",
                        seen.base, r.first, r.next
                    ));
                }
                take_budget(
                    &SEEN_WORDS,
                    (bytes.len() / 8) as u64,
                    "received-number words",
                )?;
                let words = bytes
                    .chunks_exact(8)
                    .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
                    .collect();
                Some(Bits {
                    base: seen.base,
                    words,
                })
            }
        };
        Ok(Sequence {
            first: r.first,
            next: r.next,
            missing,
            group_gaps: None,
            seen,
            received: r.received,
            duplicates: r.duplicates,
            reordered: r.reordered,
        })
    }
}

/// Sorted, distinct numbers as half-open ranges.
pub fn ranges(sorted: impl IntoIterator<Item = u64>) -> Vec<[u64; 2]> {
    let mut out: Vec<[u64; 2]> = Vec::new();
    for n in sorted {
        match out.last_mut() {
            Some(last) if last[1] == n => last[1] = n + 1,
            _ => out.push([n, n + 1]),
        }
    }
    out
}

/// A set of sequence numbers, one bit each, from a base that moves down as needed.
#[derive(Debug, Clone, Default)]
struct Bits {
    /// The number of the first bit (a multiple of 64).
    base: u64,
    words: Vec<u64>,
}

impl Bits {
    /// Adds `n`; false when it was there already.
    fn insert(&mut self, n: u64) -> bool {
        if self.words.is_empty() {
            self.base = n / 64 * 64;
        } else if n < self.base {
            let new_base = n / 64 * 64;
            let extra = ((self.base - new_base) / 64) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, extra));
            self.base = new_base;
        }
        let index = ((n - self.base) / 64) as usize;
        if index >= self.words.len() {
            self.words.resize(index + 1, 0);
        }
        let bit = 1u64 << ((n - self.base) % 64);
        let had = self.words[index] & bit != 0;
        self.words[index] |= bit;
        !had
    }

    fn contains(&self, n: u64) -> bool {
        if n < self.base {
            return false;
        }
        let index = ((n - self.base) / 64) as usize;
        self.words
            .get(index)
            .is_some_and(|w| w & (1u64 << ((n - self.base) % 64)) != 0)
    }

    fn or(&mut self, other: &Bits) {
        let (Some(_), Some(_)) = (self.words.first(), other.words.first()) else {
            if self.words.is_empty() {
                self.clone_from(other);
            }
            return;
        };
        if other.base < self.base {
            let extra = ((self.base - other.base) / 64) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, extra));
            self.base = other.base;
        }
        let offset = ((other.base - self.base) / 64) as usize;
        if offset + other.words.len() > self.words.len() {
            self.words.resize(offset + other.words.len(), 0);
        }
        for (mine, theirs) in self.words[offset..].iter_mut().zip(&other.words) {
            *mine |= theirs;
        }
    }

    fn count(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut latency = Latency::new();
        // 1..=10_000 µs, one sample each.
        for us in 1..=10_000u64 {
            latency.record(us * 1000);
        }
        let s = latency.summary().unwrap();
        assert_eq!(s.count, 10_000);
        assert_eq!(s.min_us, 1.0);
        let close = |got: f64, want: f64| (got - want).abs() / want < 0.001;
        assert!(close(s.p50_us, 5000.0), "{}", s.p50_us);
        assert!(close(s.p90_us, 9000.0), "{}", s.p90_us);
        assert!(close(s.p99_us, 9900.0), "{}", s.p99_us);
        assert!(close(s.p99_9_us, 9990.0), "{}", s.p99_9_us);
        assert!(close(s.max_us, 10_000.0), "{}", s.max_us);
        assert!(close(s.mean_us, 5000.5), "{}", s.mean_us);
        assert!(close(s.stdev_us, 2886.75), "{}", s.stdev_us);
        assert_eq!(Latency::new().summary(), None);
    }

    #[test]
    fn the_encoded_histogram_decodes_to_the_same_counts() {
        use base64::Engine;
        use hdrhistogram::serialization::Deserializer;
        let mut latency = Latency::new();
        for us in [5u64, 50, 500, 5_000, 50_000] {
            latency.record(us * 1_000);
        }
        let text = latency.encoded().unwrap();
        assert!(text.starts_with("HISTF"), "{text}");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        let decoded: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(decoded.len(), 5);
        assert_eq!(decoded.count_between(400_000, 60_000_000), 3);
        assert_eq!(Latency::new().encoded(), None);
    }

    #[test]
    fn merge_adds_counts_and_keeps_extremes() {
        let mut a = Latency::new();
        let mut b = Latency::new();
        a.record(1_000);
        b.record(5_000_000);
        b.record(0);
        a.merge(&b);
        let s = a.summary().unwrap();
        assert_eq!(s.count, 3);
        assert_eq!(s.min_us, 0.001);
        assert!((s.max_us - 5000.0).abs() < 5.0);
    }

    #[test]
    fn sequence_counts_gaps_reorders_and_duplicates() {
        let mut seq = Sequence::default();
        let arrivals: Vec<Arrival> = [0, 1, 3, 2, 2, 5, 7]
            .iter()
            .map(|&n| seq.record(n))
            .collect();
        assert_eq!(
            arrivals,
            [
                Arrival::InOrder,
                Arrival::InOrder,
                Arrival::AfterGap,
                Arrival::Reordered,
                Arrival::Duplicate,
                Arrival::AfterGap,
                Arrival::AfterGap,
            ]
        );
        assert_eq!((seq.received, seq.duplicates, seq.reordered), (6, 1, 1));
        // 0..=9 were sent: 4, 6, 8 and 9 never came.
        assert_eq!(seq.lost(10), 4);
        assert!(seq.has(3) && seq.has(7) && !seq.has(4) && !seq.has(8));
        assert_eq!(seq.gaps(), 2);
        // Joined at 100: nothing before it is missing.
        let mut late = Sequence::starting_at(100);
        assert_eq!(late.record(100), Arrival::InOrder);
        assert_eq!(late.record(102), Arrival::AfterGap);
        assert_eq!((late.received, late.gaps()), (2, 1));
        assert_eq!(Sequence::default().lost(3), 3);
    }

    /// A sequence read back from its report form accounts exactly as the original did.
    #[test]
    fn a_sequence_survives_its_record() {
        let mut seq = Sequence::starting_at(3);
        for n in [3, 4, 7, 9, 5, 5] {
            seq.record(n);
        }
        let json = serde_json::to_string(&seq).unwrap();
        assert!(json.contains(r#""missing":[[6,7],[8,9]]"#), "{json}");
        let back: Sequence = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (back.received, back.duplicates, back.reordered, back.end()),
            (seq.received, seq.duplicates, seq.reordered, seq.end())
        );
        assert_eq!((back.gaps(), back.lost(12)), (seq.gaps(), seq.lost(12)));
        assert!(back.has(5) && !back.has(6) && !back.has(2));
        let mut member = Sequence::member_from(0);
        for n in [0, 1, 2, 64, 65, 200] {
            member.record(n);
        }
        let back: Sequence =
            serde_json::from_str(&serde_json::to_string(&member).unwrap()).unwrap();
        let (a, b) = (Sequence::group([&member]), Sequence::group([&back]));
        assert_eq!(
            (a.received, a.gaps(), a.end()),
            (b.received, b.gaps(), b.end())
        );
        assert!(back.has(65) && !back.has(66));
    }

    /// What a hostile report claims is refused, not allocated.
    #[test]
    fn a_sequence_record_beyond_what_a_run_could_hold_is_refused() {
        for json in [
            r#"{"first":0,"next":1000000000000000000,"missing":[],"received":0,"duplicates":0,"reordered":0}"#,
            r#"{"first":0,"next":100,"missing":[[50,200]],"received":0,"duplicates":0,"reordered":0}"#,
            r#"{"first":0,"next":4294967296,"missing":[[0,4294967296]],"received":0,"duplicates":0,"reordered":0}"#,
            r#"{"first":0,"next":10,"missing":[],"seen":{"base":3,"words":""},"received":0,"duplicates":0,"reordered":0}"#,
            r#"{"first":0,"next":10,"missing":[],"seen":{"base":1099511627776,"words":"AAAAAAAAAAA="},"received":0,"duplicates":0,"reordered":0}"#,
        ] {
            assert!(serde_json::from_str::<Sequence>(json).is_err(), "{json}");
        }
        // A histogram whose header claims 4 GiB of payload.
        let mut bytes = vec![0x1c, 0x84, 0x93, 0x03, 0xff, 0xff, 0xff, 0xff];
        bytes.extend([0u8; 32]);
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert!(Latency::decode(&text).is_none());
    }

    #[test]
    fn a_decoded_histogram_merges_like_the_original() {
        let mut latency = Latency::new();
        for us in [5u64, 50, 500] {
            latency.record(us * 1_000);
        }
        let back = Latency::decode(&latency.encoded().unwrap()).unwrap();
        assert_eq!(back.summary(), latency.summary());
        assert!(Latency::decode("not a histogram").is_none());
    }

    #[test]
    fn a_shared_group_is_accounted_as_one_subscriber() {
        // Members see alternate numbers of 0..10; 7 reached nobody; 4 reached both.
        let mut a = Sequence::member_from(0);
        let mut b = Sequence::member_from(1);
        for n in [0, 2, 4, 6, 8] {
            assert_ne!(a.record(n), Arrival::Duplicate);
        }
        for n in [1, 3, 4, 5, 9] {
            b.record(n);
        }
        assert_eq!(b.record(9), Arrival::Duplicate);
        // Each member on its own: no missing set kept.
        assert_eq!((a.gaps(), b.gaps()), (0, 0));
        let group = Sequence::group([&a, &b]);
        assert_eq!(group.received, 9, "0-9 except 7");
        assert_eq!(group.duplicates, 2, "4 twice, 9 twice at b");
        assert_eq!(group.gaps(), 1);
        assert!(group.has(4) && !group.has(7) && !group.has(10));
        assert_eq!(group.end(), 10);
        assert_eq!(group.lost(12), 3, "7, 10 and 11");
        // A number far below the first moves the base down.
        let mut late = Sequence::member_from(1_000);
        late.record(1_000);
        late.record(3);
        assert!(late.has(3) && late.has(1_000) && !late.has(4));
        assert_eq!(Sequence::group([&late]).received, 2);
    }
}
