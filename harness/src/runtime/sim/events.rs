//! The simulator's event queue: events ordered by virtual time, ties broken
//! by the order they were scheduled in, so a run is the same every time.
//! The heap holds only small (time, sequence, slot) triples; the events sit
//! in a slab whose slots are reused.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use impls::Micros;

pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<(Micros, u64, u32)>>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `at`.
    pub fn push(&mut self, at: Micros, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((at, self.seq, slot)));
        self.seq += 1;
    }

    /// The earliest event, and its time.
    pub fn pop(&mut self) -> Option<(Micros, E)> {
        let Reverse((at, _, slot)) = self.heap.pop()?;
        let event = self.slab.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some((at, event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::default();
        q.push(30, "c");
        q.push(10, "a1");
        q.push(20, "b");
        q.push(10, "a2");
        assert_eq!(q.pop(), Some((10, "a1")));
        q.push(10, "a3");
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(rest, vec![(10, "a2"), (10, "a3"), (20, "b"), (30, "c")]);
        assert!(q.is_empty());
    }

    #[test]
    fn slots_are_reused() {
        let mut q = EventQueue::default();
        for round in 0..100u64 {
            q.push(round, round);
            q.push(round, round + 1);
            assert!(q.pop().is_some() && q.pop().is_some());
        }
        assert!(q.slab.len() <= 2, "{} slots", q.slab.len());
    }
}
