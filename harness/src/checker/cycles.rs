//! Graph plumbing for CO and CF ∪ CO: a compact adjacency list, a topological
//! order by Kahn's algorithm (whatever it cannot order lies on or after a
//! cycle), and, for what is left, strongly connected components (Tarjan) with
//! one shortest cycle through each, to print.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

/// Why an edge exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    /// Program order.
    Po,
    /// Read-from, by this read item.
    Rf(u32),
    /// Conflict, shown by this read item.
    Cf(u32),
}

/// Edges in compressed rows: `targets[start[n]..start[n + 1]]` leave `n`.
pub(crate) struct Digraph {
    start: Vec<u32>,
    targets: Vec<(u32, Label)>,
}

impl Digraph {
    pub fn new(nodes: usize, edges: &[(u32, u32, Label)]) -> Digraph {
        let mut start = vec![0u32; nodes + 1];
        for &(from, _, _) in edges {
            start[from as usize + 1] += 1;
        }
        for i in 0..nodes {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut targets = vec![(0, Label::Po); edges.len()];
        for &(from, to, label) in edges {
            targets[fill[from as usize] as usize] = (to, label);
            fill[from as usize] += 1;
        }
        Digraph { start, targets }
    }

    pub fn out(&self, n: u32) -> &[(u32, Label)] {
        &self.targets[self.start[n as usize] as usize..self.start[n as usize + 1] as usize]
    }
}

/// The union of some edge sets over the nodes `include` admits.
pub(crate) struct View<'a> {
    pub graphs: &'a [&'a Digraph],
    pub include: &'a [bool],
}

impl View<'_> {
    fn succ(&self, n: u32) -> impl Iterator<Item = (u32, Label)> + '_ {
        self.graphs
            .iter()
            .flat_map(move |g| g.out(n).iter().copied())
            .filter(|&(m, _)| self.include[m as usize])
    }

    /// A topological order of the included nodes, taking the ready node of
    /// least `priority` (then id) first; the nodes it could not order are
    /// exactly those on or after a cycle.
    pub fn topological_order(&self, priority: impl Fn(u32) -> u64) -> Vec<u32> {
        let n = self.include.len();
        let mut indegree = vec![0u32; n];
        for v in (0..n as u32).filter(|&v| self.include[v as usize]) {
            for (m, _) in self.succ(v) {
                indegree[m as usize] += 1;
            }
        }
        let mut ready: BinaryHeap<Reverse<(u64, u32)>> = (0..n as u32)
            .filter(|&v| self.include[v as usize] && indegree[v as usize] == 0)
            .map(|v| Reverse((priority(v), v)))
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((_, v))) = ready.pop() {
            order.push(v);
            for (m, _) in self.succ(v) {
                indegree[m as usize] -= 1;
                if indegree[m as usize] == 0 {
                    ready.push(Reverse((priority(m), m)));
                }
            }
        }
        order
    }

    /// The strongly connected components with a cycle (more than one node:
    /// no edge is a self-loop), by Tarjan's algorithm without recursion.
    pub fn cyclic_components(&self) -> Vec<Vec<u32>> {
        const UNSEEN: u32 = u32::MAX;
        let n = self.include.len();
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut found = Vec::new();
        let mut next = 0u32;
        for root in (0..n as u32).filter(|&v| self.include[v as usize]) {
            if index[root as usize] != UNSEEN {
                continue;
            }
            // Frames of (node, successors still to visit).
            let mut frames: Vec<(u32, Vec<u32>)> = Vec::new();
            let mut entering = Some(root);
            loop {
                if let Some(v) = entering.take() {
                    index[v as usize] = next;
                    low[v as usize] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[v as usize] = true;
                    frames.push((v, self.succ(v).map(|(m, _)| m).collect()));
                }
                let Some((v, rest)) = frames.last_mut() else {
                    break;
                };
                let v = *v;
                if let Some(m) = rest.pop() {
                    if index[m as usize] == UNSEEN {
                        entering = Some(m);
                    } else if on_stack[m as usize] {
                        low[v as usize] = low[v as usize].min(index[m as usize]);
                    }
                    continue;
                }
                frames.pop();
                if let Some((parent, _)) = frames.last() {
                    low[*parent as usize] = low[*parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let mut component = Vec::new();
                    while let Some(m) = stack.pop() {
                        on_stack[m as usize] = false;
                        component.push(m);
                        if m == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort_unstable();
                        found.push(component);
                    }
                }
            }
        }
        found
    }

    /// A shortest cycle through the first node of `component`, as the nodes
    /// in order each with the label of the edge leaving it.
    pub fn cycle_in(&self, component: &[u32]) -> Vec<(u32, Label)> {
        let Some(&start) = component.first() else {
            return Vec::new();
        };
        let inside = |m: u32| component.binary_search(&m).is_ok();
        let mut parent: HashMap<u32, (u32, Label)> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(v) = queue.pop_front() {
            for (m, label) in self.succ(v) {
                if m == start {
                    let mut cycle = vec![(v, label)];
                    let mut at = v;
                    while let Some(&(p, l)) = parent.get(&at) {
                        cycle.push((p, l));
                        at = p;
                    }
                    cycle.reverse();
                    return cycle;
                }
                if inside(m) && !parent.contains_key(&m) {
                    parent.insert(m, (v, label));
                    queue.push_back(m);
                }
            }
        }
        Vec::new()
    }
}
