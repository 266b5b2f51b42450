//! The k best designs seen so far, by (geometric-mean latency, design id): a total order, so the
//! set kept does not depend on the order designs arrive in, nor on how partial sets are merged.

use std::collections::BinaryHeap;

/// Order key of a design: latencies are positive and finite, and for those the IEEE bit
/// pattern orders as the value does, so the key compares as (latency, id).
#[inline]
fn key(latency_ms: f64, id: u64) -> (u64, u64) {
    (latency_ms.to_bits(), id)
}

#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    /// Max-heap on the key: its top is the worst design kept, the one a better design evicts.
    heap: BinaryHeap<(u64, u64)>,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    #[inline]
    pub fn offer(&mut self, latency_ms: f64, id: u64) {
        debug_assert!(latency_ms.is_finite() && latency_ms > 0.0);
        let kv = key(latency_ms, id);
        if self.heap.len() < self.k {
            self.heap.push(kv);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if kv < *worst {
                *worst = kv;
            }
        }
    }

    pub fn merge(&mut self, other: TopK) {
        for (bits, id) in other.heap {
            self.offer(f64::from_bits(bits), id);
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The designs kept, best first: `(geometric-mean latency, id)`.
    pub fn sorted(&self) -> Vec<(f64, u64)> {
        let mut v: Vec<(u64, u64)> = self.heap.iter().copied().collect();
        v.sort_unstable();
        v.into_iter()
            .map(|(b, id)| (f64::from_bits(b), id))
            .collect()
    }
}
