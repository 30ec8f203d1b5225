//! A simulated machine: `cores` cores serving one FIFO queue. Every message
//! takes its kind's service time on the first core free; while all are busy,
//! messages wait, so throughput saturates and the tail grows as on a real
//! server. Arrival order is handling order, as in the live node actor, which
//! handles its inbox one message at a time.

use impls::Micros;

use crate::recorder::Window;

/// Nanoseconds of virtual time; service times are far below a microsecond.
pub type Nanos = u64;

pub struct Station {
    /// When each core is next free.
    free_at: Vec<Nanos>,
    /// Start times of admitted messages not yet started, in order.
    waiting: std::collections::VecDeque<Nanos>,
    pub queue_peak: u64,
    /// Service time of messages that started in the window.
    pub busy_ns: Nanos,
}

/// When an admitted message is handled and when its handling ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: Nanos,
    pub done: Nanos,
}

impl Slot {
    /// The handler's clock: the microsecond it starts in.
    pub fn start_us(&self) -> Micros {
        self.start / 1_000
    }

    /// When what the handler sends leaves: the end of its service, rounded
    /// up to the microsecond links are timed in.
    pub fn done_us(&self) -> Micros {
        self.done.div_ceil(1_000)
    }
}

impl Station {
    pub fn new(cores: usize) -> Station {
        Station {
            free_at: vec![0; cores.max(1)],
            waiting: std::collections::VecDeque::new(),
            queue_peak: 0,
            busy_ns: 0,
        }
    }

    /// Admits a message arriving at `arrival` that takes `service`; the
    /// machine handles nothing before `resumes(t)` (a pause) for a message
    /// that would start at `t`.
    pub fn admit(
        &mut self,
        arrival: Micros,
        service: Nanos,
        window: Window,
        resumes: impl Fn(Micros) -> Micros,
    ) -> Slot {
        let arrival_ns = arrival * 1_000;
        let (core, free) = self
            .free_at
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(i, t)| (t, i))
            .unwrap_or((0, 0));
        let mut start = free.max(arrival_ns);
        let resume = resumes(start / 1_000) * 1_000;
        if resume > start {
            // A paused machine: no core works until it resumes.
            for t in &mut self.free_at {
                *t = (*t).max(resume);
            }
            start = resume;
        }
        let done = start + service;
        if let Some(t) = self.free_at.get_mut(core) {
            *t = done;
        }
        while self.waiting.front().is_some_and(|&s| s <= arrival_ns) {
            self.waiting.pop_front();
        }
        if start > arrival_ns {
            self.waiting.push_back(start);
            self.queue_peak = self.queue_peak.max(self.waiting.len() as u64);
        }
        if window.contains(start / 1_000) {
            self.busy_ns += service;
        }
        Slot { start, done }
    }

    /// Busy fraction of all cores over the window.
    pub fn utilisation(&self, window: Window) -> f64 {
        let capacity = (window.end - window.start) as f64 * 1e3 * self.free_at.len() as f64;
        if capacity > 0.0 {
            self.busy_ns as f64 / capacity
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Window = Window {
        start: 0,
        end: 1_000,
    };

    #[test]
    fn one_core_queues_and_keeps_arrival_order() {
        let mut s = Station::new(1);
        let a = s.admit(10, 5_000, ALL, |t| t);
        let b = s.admit(10, 5_000, ALL, |t| t);
        let c = s.admit(11, 1_000, ALL, |t| t);
        assert_eq!((a.start, a.done), (10_000, 15_000));
        assert_eq!((b.start, b.done), (15_000, 20_000));
        assert_eq!((c.start, c.done), (20_000, 21_000));
        assert_eq!(s.queue_peak, 2);
        assert_eq!(c.done_us(), 21);
        assert!((s.utilisation(ALL) - 11_000.0 / 1_000_000.0).abs() < 1e-12);
    }

    #[test]
    fn more_cores_serve_in_parallel() {
        let mut s = Station::new(2);
        let a = s.admit(10, 5_000, ALL, |t| t);
        let b = s.admit(10, 5_000, ALL, |t| t);
        assert_eq!(a.start, b.start);
        assert_eq!(s.queue_peak, 0);
    }

    #[test]
    fn a_pause_holds_every_core_until_it_ends() {
        let mut s = Station::new(2);
        let a = s.admit(10, 1_000, ALL, |t| if t < 50 { 50 } else { t });
        assert_eq!(a.start, 50_000);
        let b = s.admit(20, 1_000, ALL, |t| t);
        assert_eq!(b.start, 50_000, "the other core was paused too");
    }
}
