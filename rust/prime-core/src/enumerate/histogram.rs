//! The latency histogram of an enumeration: fixed log-spaced bins over the geometric-mean
//! latency, so histograms of different id ranges add bin by bin.

/// Lower edge of the first regular bin, in ms. Faster designs fall in the underflow bin.
pub const HIST_MIN_MS: f64 = 1e-4;
/// Decades covered by the regular bins (up to 1e6 ms); slower designs fall in the overflow bin.
pub const HIST_DECADES: usize = 10;
/// Bins per decade: each bin spans a factor 10^(1/100), 2.3%, of latency.
pub const HIST_BINS_PER_DECADE: usize = 100;

/// The bin edges, increasing: `HIST_DECADES * HIST_BINS_PER_DECADE + 1` of them. Bin `0` holds
/// latencies below `edges[0]`, bin `i` those in `[edges[i-1], edges[i])`, the last bin those at
/// or above the last edge, so there is one bin more than there are edges.
pub fn edges() -> Vec<f64> {
    let n = HIST_DECADES * HIST_BINS_PER_DECADE;
    (0..=n)
        .map(|i| HIST_MIN_MS * 10f64.powf(i as f64 / HIST_BINS_PER_DECADE as f64))
        .collect()
}

/// The bin of a latency: the number of edges at or below it. Defined by comparisons with the
/// edges themselves, so a reader holding the edges can tell exactly which bin holds a value.
#[inline]
pub fn bin_of(edges: &[f64], latency_ms: f64) -> usize {
    edges.partition_point(|&e| e <= latency_ms)
}
