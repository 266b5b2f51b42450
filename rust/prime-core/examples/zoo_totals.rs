//! Print every built-in's MACs and parameters against its reference figures.
fn main() {
    for name in prime_core::workload::names() {
        match prime_core::workload::load(&name) {
            Ok(w) => {
                let pm = w.published_macs.unwrap_or(0) as f64;
                let pp = w.published_params.unwrap_or(0) as f64;
                println!(
                    "{:<20} MACs {:>15} vs {:>15} ({:+.2}%)  params {:>11} vs {:>11} ({:+.2}%)  ops {}",
                    w.name,
                    w.macs,
                    pm,
                    100.0 * (w.macs as f64 / pm - 1.0),
                    w.params,
                    pp,
                    100.0 * (w.params as f64 / pp - 1.0),
                    w.ops.len()
                );
            }
            Err(e) => println!("{name}: ERROR {e}"),
        }
    }
}
