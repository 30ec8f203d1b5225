//! Message delivery for the live runtime: every message waits out its
//! link's sampled latency in a delay line before it reaches its actor.
//!
//! Tokio's timer has millisecond granularity, far coarser than the links we
//! model, so one OS thread holds all messages in flight in a heap ordered by
//! delivery time, sleeps with 1 µs timer slack until shortly before the next
//! is due and spins the rest. Waking a tokio task takes tens of microseconds
//! more, so the line hands messages over that much early (a running estimate)
//! and the receiving actor spins until the due time. Each link's delivery
//! times never decrease, so links stay FIFO.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use impls::Micros;
use tokio::sync::mpsc::UnboundedSender;

/// Microseconds since the run began.
#[derive(Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    pub fn now(&self) -> Micros {
        self.0.elapsed().as_micros() as Micros
    }

    pub fn instant(&self, at: Micros) -> Instant {
        self.0 + Duration::from_micros(at)
    }
}

/// What an actor's inbox holds: an item and when it is due.
pub struct Delivery<T> {
    pub due: Micros,
    pub item: T,
}

/// Where a delivery goes: the inboxes of all actors of one run.
pub struct Router<T> {
    inboxes: Vec<UnboundedSender<Delivery<T>>>,
}

impl<T> Router<T> {
    pub fn new(inboxes: Vec<UnboundedSender<Delivery<T>>>) -> Router<T> {
        Router { inboxes }
    }

    /// An actor that has stopped drops what is sent to it: the run is over.
    fn deliver(&self, actor: usize, due: Micros, item: T) {
        if let Some(inbox) = self.inboxes.get(actor) {
            let _ = inbox.send(Delivery { due, item });
        }
    }
}

/// How punctual deliveries are.
#[derive(Default)]
struct Timing {
    /// Running estimate of how long an inbox takes to wake its task (µs).
    lead: AtomicU64,
    lag_sum: AtomicU64,
    deliveries: AtomicU64,
}

struct Timed<T> {
    at: Micros,
    seq: u64,
    actor: usize,
    item: T,
}

impl<T> PartialEq for Timed<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<T> Eq for Timed<T> {}
impl<T> PartialOrd for Timed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Timed<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// An actor's handle for sending: messages through the delay line, or
/// straight to the inbox when every latency of the run is zero; timers always
/// through the delay line.
pub struct Net<T> {
    router: Arc<Router<T>>,
    delay_line: mpsc::Sender<Timed<T>>,
    direct: bool,
    in_flight: Arc<AtomicI64>,
    timing: Arc<Timing>,
    pub clock: Clock,
}

impl<T> Clone for Net<T> {
    fn clone(&self) -> Self {
        Net {
            router: self.router.clone(),
            delay_line: self.delay_line.clone(),
            direct: self.direct,
            in_flight: self.in_flight.clone(),
            timing: self.timing.clone(),
            clock: self.clock,
        }
    }
}

impl<T: Send + 'static> Net<T> {
    /// A network for `router`'s actors; with `direct`, messages skip the
    /// delay line. The delay-line thread runs until every handle is dropped
    /// and all it holds is delivered.
    pub fn new(
        router: Router<T>,
        clock: Clock,
        direct: bool,
    ) -> std::io::Result<(Net<T>, std::thread::JoinHandle<()>)> {
        let router = Arc::new(router);
        let timing = Arc::new(Timing::default());
        let (tx, rx) = mpsc::channel();
        let (r, t) = (router.clone(), timing.clone());
        let thread = std::thread::Builder::new()
            .name("delay-line".into())
            .spawn(move || run_delay_line(rx, &r, &t, clock))?;
        let net = Net {
            router,
            delay_line: tx,
            direct,
            in_flight: Arc::new(AtomicI64::new(0)),
            timing,
            clock,
        };
        Ok((net, thread))
    }

    /// Sends a message that reaches `actor` at `at`.
    pub fn send_at(&self, at: Micros, actor: usize, item: T) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self.direct {
            self.router.deliver(actor, 0, item);
        } else {
            self.delay(at, actor, item);
        }
    }

    /// Delivers a timer event to `actor` at `at`, whatever the latencies.
    pub fn timer_at(&self, at: Micros, actor: usize, item: T) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.delay(at, actor, item);
    }

    /// Delivers a periodic tick at `at`. Ticks are not traffic: they do not
    /// count as in flight, so background work never holds up quiescence.
    pub fn tick_at(&self, at: Micros, actor: usize, item: T) {
        self.delay(at, actor, item);
    }

    fn delay(&self, at: Micros, actor: usize, item: T) {
        let timed = Timed {
            at,
            seq: 0,
            actor,
            item,
        };
        // The line only closes after the run; deliver late rather than lose.
        if let Err(mpsc::SendError(t)) = self.delay_line.send(timed) {
            self.router.deliver(t.actor, t.at, t.item);
        }
    }

    /// Sends a control message that is not part of the protocol's traffic.
    pub fn send_now(&self, actor: usize, item: T) {
        self.router.deliver(actor, 0, item);
    }

    /// Called by an actor as it takes a delivery from its inbox: waits out
    /// the rest of an early hand-over, learns how long waking took, and
    /// returns the time to handle the item at.
    pub fn arrive(&self, due: Micros) -> Micros {
        let handed = due.saturating_sub(self.timing.lead.load(Ordering::Relaxed));
        let mut now = self.clock.now();
        if due == 0 || now < handed {
            return now;
        }
        // An estimate that follows wake-up times with a 1/16 weight.
        let wake = now - handed;
        let lead = self.timing.lead.load(Ordering::Relaxed);
        let next = (lead * 15 + wake.min(MAX_LEAD_US)) / 16;
        self.timing.lead.store(next, Ordering::Relaxed);
        while now < due {
            std::hint::spin_loop();
            now = self.clock.now();
        }
        self.timing.lag_sum.fetch_add(now - due, Ordering::Relaxed);
        self.timing.deliveries.fetch_add(1, Ordering::Relaxed);
        now
    }

    /// Mean microseconds by which deliveries reached their actor after
    /// their due time: the runtime's own contribution to every latency.
    pub fn mean_lag(&self) -> f64 {
        let n = self.timing.deliveries.load(Ordering::Relaxed);
        if n == 0 {
            0.0
        } else {
            self.timing.lag_sum.load(Ordering::Relaxed) as f64 / n as f64
        }
    }

    /// An actor finished handling one delivery.
    pub fn handled(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Messages sent and not yet handled.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// The delay line sleeps until this long before a due time, then spins.
const SPIN_US: Micros = 50;
/// Early hand-over never exceeds this, whatever a stall taught the estimate.
const MAX_LEAD_US: Micros = 200;

fn run_delay_line<T>(
    rx: mpsc::Receiver<Timed<T>>,
    router: &Router<T>,
    timing: &Timing,
    clock: Clock,
) {
    precise_timer_slack();
    let mut heap: BinaryHeap<Reverse<Timed<T>>> = BinaryHeap::new();
    let mut seq = 0;
    // The sequence number keeps equal delivery times in send order.
    let mut take = |heap: &mut BinaryHeap<Reverse<Timed<T>>>, mut t: Timed<T>| {
        t.seq = seq;
        seq += 1;
        heap.push(Reverse(t));
    };
    let mut open = true;
    loop {
        // Take in everything already sent before delivering: a message sent
        // later may be due earlier (on another link), and a stalled thread
        // must not deliver out of due order.
        while let Ok(t) = rx.try_recv() {
            take(&mut heap, t);
        }
        let lead = timing.lead.load(Ordering::Relaxed);
        let now = clock.now();
        while heap.peek().is_some_and(|Reverse(t)| t.at <= now + lead) {
            if let Some(Reverse(t)) = heap.pop() {
                router.deliver(t.actor, t.at, t.item);
            }
        }
        let next = heap.peek().map(|Reverse(t)| t.at.saturating_sub(lead));
        let received = match (next, open) {
            (Some(at), true) if at > now + SPIN_US => {
                rx.recv_timeout(Duration::from_micros(at - now - SPIN_US))
            }
            (Some(_), true) => {
                std::hint::spin_loop();
                rx.try_recv().map_err(|e| match e {
                    mpsc::TryRecvError::Empty => mpsc::RecvTimeoutError::Timeout,
                    mpsc::TryRecvError::Disconnected => mpsc::RecvTimeoutError::Disconnected,
                })
            }
            (None, true) => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            (Some(at), false) => {
                std::thread::sleep(clock.instant(at).saturating_duration_since(Instant::now()));
                continue;
            }
            (None, false) => return,
        };
        match received {
            Ok(t) => take(&mut heap, t),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
        }
    }
}

/// Linux rounds timed sleeps up by the thread's timer slack (50 µs by
/// default); the delay line wants microseconds.
fn precise_timer_slack() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes a plain integer and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::unbounded_channel;

    #[test]
    fn delay_line_delivers_in_time_order_and_after_the_delay() {
        let (tx, mut rx) = unbounded_channel();
        let clock = Clock::start();
        let (net, thread) = Net::new(Router::new(vec![tx]), clock, false).unwrap();
        let now = clock.now();
        net.send_at(now + 3_000, 0, 3);
        net.send_at(now + 1_000, 0, 1);
        net.send_at(now + 1_000, 0, 2);
        drop(net);
        thread.join().unwrap();
        let mut got = Vec::new();
        while let Ok(d) = rx.try_recv() {
            assert!(clock.now() >= d.due);
            got.push(d.item);
        }
        assert_eq!(got, vec![1, 2, 3]);
        assert!(clock.now() >= now + 3_000);
    }
}
