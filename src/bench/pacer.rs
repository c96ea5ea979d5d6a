//! Precise wake-ups for paced publishers, one timer per worker thread.
//!
//! tokio's timers have a resolution of one millisecond and fire at the end of the
//! millisecond, so a publisher that slept with them went out 0-1 ms late and that lateness
//! landed in every corrected latency. On Linux a shard owns one `timerfd` (a kernel
//! high-resolution timer, no slack) armed for its earliest due publisher; its readiness
//! wakes the event loop within microseconds, and every publisher due by then is woken
//! together. Elsewhere the pacer falls back to tokio's timers (and the report's send
//! lateness line shows what that costs).

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::poll_fn;
use std::task::{Poll, Waker};
use std::time::Duration;

use tokio::time::Instant;

/// One shard's high-resolution timer and the publishers waiting on it.
pub struct Pacer {
    #[cfg(target_os = "linux")]
    timer: Option<tokio::io::unix::AsyncFd<linux::Timer>>,
    /// (due, waiter) for every wait registered; stale ones are skipped when they come up.
    due: RefCell<BinaryHeap<Reverse<(Instant, usize)>>>,
    /// Each waiter's current deadline and task.
    waiters: RefCell<Vec<Option<(Instant, Waker)>>>,
    /// What the timer is set for.
    armed: Cell<Option<Instant>>,
    /// How long after its expiry the timer is seen to fire, averaged: the timer is set
    /// that much early, and a waiter woken before its instant spins for the rest.
    wake_delay: Cell<Duration>,
    /// Waiters spinning now. A firing seen while one spins was late because the thread was
    /// busy spinning, not because the kernel woke it late: it is not measured (it would
    /// feed back, each spin making the next estimate and spin longer).
    spinning: Cell<usize>,
}

/// Counts a spinning waiter while it lives.
struct Spinning<'a>(&'a Cell<usize>);

impl<'a> Spinning<'a> {
    fn new(count: &'a Cell<usize>) -> Spinning<'a> {
        count.set(count.get() + 1);
        Spinning(count)
    }
}

impl Drop for Spinning<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// The longest a waiter spins (yielding to the shard's other tasks) instead of waiting on
/// the timer, and the most the timer is set early.
const MAX_EARLY: Duration = Duration::from_micros(100);
/// The estimate before the first measurement.
const INITIAL_WAKE_DELAY: Duration = Duration::from_micros(30);

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

impl Pacer {
    /// Must be called inside the shard's runtime (the timer registers with its reactor).
    pub fn new() -> Pacer {
        Pacer {
            #[cfg(target_os = "linux")]
            timer: linux::Timer::new().and_then(linux::register),
            due: RefCell::default(),
            waiters: RefCell::default(),
            armed: Cell::new(None),
            wake_delay: Cell::new(INITIAL_WAKE_DELAY),
            spinning: Cell::new(0),
        }
    }

    /// Whether waits are precise (false: tokio's millisecond timers).
    pub fn precise(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.timer.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// A waiter's number, for [`Pacer::until`]; one per publisher.
    pub fn waiter(&self) -> usize {
        let mut waiters = self.waiters.borrow_mut();
        waiters.push(None);
        waiters.len() - 1
    }

    /// Returns at `at` (at once when it has passed). Cancel-safe: a dropped wait at most
    /// wakes its task once for nothing.
    pub async fn until(&self, waiter: usize, at: Instant) {
        if !self.precise() {
            return tokio::time::sleep_until(at).await;
        }
        loop {
            let now = Instant::now();
            if now >= at {
                return;
            }
            if at - now <= self.wake_delay.get() {
                // Too close for the timer: spin, letting the shard's other tasks run between
                // turns. (`yield_now`, which also polls the sockets every turn, measured
                // worse: a syscall per turn, p99 lateness 0.4-1 ms instead of 0.14 ms.)
                let _spinning = Spinning::new(&self.spinning);
                let mut spun = false;
                poll_fn(|cx| {
                    if std::mem::replace(&mut spun, true) {
                        return Poll::Ready(());
                    }
                    cx.waker().wake_by_ref();
                    Poll::Pending
                })
                .await;
                continue;
            }
            let mut registered = false;
            poll_fn(|cx| {
                if std::mem::replace(&mut registered, true) {
                    // Woken (by the timer, or polled again by a select): look at the clock.
                    return Poll::Ready(());
                }
                self.register(waiter, at, cx.waker());
                Poll::Pending
            })
            .await;
        }
    }

    /// Puts `waker` on the timer for `at` (once per deadline; a new task's waker replaces
    /// the old one).
    fn register(&self, waiter: usize, at: Instant, task: &Waker) {
        let mut waiters = self.waiters.borrow_mut();
        match &mut waiters[waiter] {
            Some((due, waker)) if *due == at => {
                if !waker.will_wake(task) {
                    waker.clone_from(task);
                }
            }
            slot => {
                *slot = Some((at, task.clone()));
                self.due.borrow_mut().push(Reverse((at, waiter)));
                if self.armed.get().is_none_or(|armed| at < armed) {
                    self.arm(at);
                }
            }
        }
    }

    /// The shard runs this as a task of its own: wakes the publishers that are due each
    /// time the timer fires. Returns at once without a precise timer.
    pub async fn run(&self) {
        #[cfg(target_os = "linux")]
        if let Some(timer) = &self.timer {
            loop {
                let Ok(mut ready) = timer.readable().await else {
                    return;
                };
                ready.get_inner().expired();
                ready.clear_ready();
                let now = Instant::now();
                let armed = self.armed.take().filter(|_| self.spinning.get() == 0);
                if let Some(armed) = armed {
                    let early = self.early();
                    let fired_late = now.saturating_duration_since(armed - early);
                    // An average over about 16 firings, bounded.
                    let delay = (self.wake_delay.get() * 15 + fired_late) / 16;
                    self.wake_delay.set(delay.min(MAX_EARLY));
                }
                self.wake_due(now);
            }
        }
    }

    fn early(&self) -> Duration {
        self.wake_delay.get().min(MAX_EARLY)
    }

    /// Wakes every waiter due by now (or so soon that it spins the rest).
    fn wake_due(&self, now: Instant) {
        let mut due = self.due.borrow_mut();
        let mut waiters = self.waiters.borrow_mut();
        let horizon = now + self.early();
        while let Some(&Reverse((at, waiter))) = due.peek() {
            let current = matches!(&waiters[waiter], Some((d, _)) if *d == at);
            if current && at > horizon {
                drop(due);
                self.arm(at);
                return;
            }
            due.pop();
            if current {
                if let Some((_, waker)) = waiters[waiter].take() {
                    waker.wake();
                }
            }
        }
    }

    /// Sets the timer to fire early enough for `at` (see `wake_delay`).
    fn arm(&self, at: Instant) {
        #[cfg(target_os = "linux")]
        if let Some(timer) = &self.timer {
            let fire_at = at - self.early();
            timer
                .get_ref()
                .set(fire_at.saturating_duration_since(Instant::now()));
        }
        self.armed.set(Some(at));
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::os::fd::{AsFd, AsRawFd, RawFd};
    use std::time::Duration;

    use nix::sys::time::TimeSpec;
    use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};

    /// A non-blocking one-shot timerfd on the monotonic clock (tokio's and std's Instant).
    pub struct Timer(TimerFd);

    impl Timer {
        pub fn new() -> Option<Timer> {
            TimerFd::new(
                ClockId::CLOCK_MONOTONIC,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )
            .ok()
            .map(Timer)
        }

        /// Fires once, `after` from now (a zero would disarm it: at least 1 ns).
        pub fn set(&self, after: Duration) {
            let after = after.max(Duration::from_nanos(1));
            let _ = self.0.set(
                Expiration::OneShot(TimeSpec::from_duration(after)),
                TimerSetTimeFlags::empty(),
            );
        }

        /// Consumes the expiry, if any (non-blocking), so the descriptor stops being readable.
        pub fn expired(&self) {
            let _ = self.0.wait();
        }
    }

    /// Registers the timer with the shard's reactor. tokio 1.54 deprecates the safe
    /// `AsyncFd::new` in favour of an `unsafe` `register` (tokio#8587: a type whose
    /// `as_raw_fd` could change or close its descriptor while registered would be unsound).
    /// `Timer` owns its descriptor and never changes it, so the safe call is sound here,
    /// and this crate forbids `unsafe`.
    #[allow(deprecated)]
    pub fn register(timer: Timer) -> Option<tokio::io::unix::AsyncFd<Timer>> {
        tokio::io::unix::AsyncFd::new(timer).ok()
    }

    impl AsRawFd for Timer {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_fd().as_raw_fd()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// Waits at staggered times from several tasks sharing one timer: every wait ends,
    /// none before its deadline. (How soon after is a benchmark, bench/pacing.sh, not a test.)
    #[test]
    fn waiters_wake_at_their_deadlines_in_any_order() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            let pacer = Rc::new(Pacer::new());
            let driver = tokio::task::spawn_local({
                let pacer = pacer.clone();
                async move { pacer.run().await }
            });
            let start = Instant::now();
            let offsets_us = [900u64, 300, 2_500, 300, 1_200, 50];
            let tasks: Vec<_> = offsets_us
                .iter()
                .map(|&us| {
                    let pacer = pacer.clone();
                    let waiter = pacer.waiter();
                    tokio::task::spawn_local(async move {
                        let mut woke = Vec::new();
                        for round in 0..20u64 {
                            let at = start + Duration::from_micros(us + round * 3_000);
                            pacer.until(waiter, at).await;
                            assert!(Instant::now() >= at, "woke before its deadline");
                            woke.push(at);
                        }
                        woke
                    })
                })
                .collect();
            #[cfg(target_os = "linux")]
            assert!(
                pacer.precise(),
                "no timerfd: paced publishers fall back to 1 ms timers"
            );
            let mut all = Vec::new();
            for task in tasks {
                let woke = tokio::time::timeout(Duration::from_secs(10), task)
                    .await
                    .expect("a waiter was never woken");
                all.extend(woke.unwrap());
            }
            driver.abort();
            assert_eq!(all.len(), offsets_us.len() * 20);
        });
    }
}
