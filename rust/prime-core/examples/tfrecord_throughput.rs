//! Throughput of the TFRecord reader on PRIME-schema records, stage by stage.
//! `cargo run -p prime-core --profile ci --example tfrecord_throughput -- [rows] [files]`
//! (wall-clock: on a loaded machine, read it next to `perf stat`'s task-clock).
use std::path::PathBuf;
use std::time::Instant;

use prime_core::space::{self, N_PARAMS, PARAMS};
use prime_core::tfrecord::framing::{Frame, Framer};
use prime_core::tfrecord::{read_files, write::write_file, ReadOptions, Schema};

fn main() -> prime_core::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let files: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let dir = std::env::temp_dir().join(format!("tfrecord-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| prime_core::Error::InvalidArgument(e.to_string()))?;
    let per = rows / files;
    let designs = space::sample(per, 0);
    let mut cols: Vec<Vec<f32>> = (0..N_PARAMS)
        .map(|k| {
            designs
                .iter()
                .map(|d| PARAMS[k].values[d[k] as usize] as f32)
                .collect()
        })
        .collect();
    cols.push((0..per).map(|r| 1.0 + (r % 97) as f32).collect()); // runtime
    cols.push((0..per).map(|r| 5.0 + (r % 89) as f32).collect()); // area
    let keys: Vec<String> = PARAMS
        .iter()
        .map(|p| p.key.to_string())
        .chain(["runtime".into(), "area".into()])
        .collect();
    let inf: Vec<i64> = (0..per).map(|r| i64::from(r % 4 != 0)).collect();
    let mut paths = Vec::new();
    let t = Instant::now();
    for f in 0..files {
        let p: PathBuf = dir.join(format!("part-{f}.tfrecord"));
        let floats: Vec<(&str, &[f32])> = keys
            .iter()
            .zip(&cols)
            .map(|(k, c)| (k.as_str(), c.as_slice()))
            .collect();
        write_file(&p, &floats, &[("infeasible", &inf)])?;
        paths.push(p);
    }
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!(
        "wrote {} records ({:.1} MB) in {:.2}s",
        per * files,
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    framing_only(&paths);
    let generic = Schema::new(&keys, &["infeasible".to_string()])?;
    let design = Schema::with_design(&["runtime", "area"], &["infeasible"])?;
    for (what, schema) in [
        ("12 floats + 1 int", &generic),
        ("design + 2 floats + 1 int", &design),
    ] {
        for _ in 0..3 {
            let t = Instant::now();
            let c = read_files(&paths, schema, ReadOptions::default())?;
            let s = t.elapsed().as_secs_f64();
            assert!(c.data.invalid.is_empty());
            println!(
                "{what}: read {} records in {:.3}s: {:.2} M records/s",
                c.rows(),
                s,
                c.rows() as f64 / s / 1e6
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn framing_only(paths: &[PathBuf]) {
    let t = Instant::now();
    let mut n = 0;
    for p in paths {
        let Ok(file) = std::fs::File::open(p) else {
            continue;
        };
        let mut f = Framer::new(file, false);
        while let Ok(Some(Frame::Record { .. })) = f.next_frame() {
            n += 1;
        }
    }
    println!("framing only: {n} in {:.3}s", t.elapsed().as_secs_f64());
}
