//! Thread pools for the native kernels, and the fork guard.
//!
//! `threads=None` runs on rayon's global pool. An explicit count runs on a dedicated pool,
//! cached so that a caller simulating one design at a time with `threads=1` does not pay for
//! starting threads on every call. Counts above [`MAX_THREADS`] are an `InvalidArgumentError`:
//! starting a million OS threads would hang the process for minutes, and no machine this runs on
//! has that many cores.
//!
//! Fork guard: rayon's pools do not survive `fork()` (the child inherits the pool's bookkeeping
//! but not its threads, so the first parallel call would wait forever). The binding records the
//! process id when the module is imported; in any other process (a `multiprocessing` child made
//! by `fork`), parallel work runs on a pool started in that process instead, and the parent's
//! pools are left untouched (they are never dropped in the child, whose copy of them is dead).

use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Largest thread count accepted by the native entry points.
pub const MAX_THREADS: usize = 1024;

static IMPORT_PID: OnceLock<u32> = OnceLock::new();

/// The cached dedicated pool: (process id, threads, pool).
type Cached = (u32, usize, Arc<ThreadPool>);
static DEDICATED: Mutex<Option<Cached>> = Mutex::new(None);

/// Called once from the module initialiser.
pub fn record_import_pid() {
    IMPORT_PID.get_or_init(std::process::id);
}

fn forked() -> bool {
    IMPORT_PID
        .get()
        .is_some_and(|&pid| pid != std::process::id())
}

fn dedicated(threads: usize) -> prime_core::Result<Arc<ThreadPool>> {
    let pid = std::process::id();
    // A poisoned lock only means a panic elsewhere while holding it; the cache stays usable.
    let lock = || DEDICATED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((p, t, pool)) = lock().as_ref() {
        if *p == pid && *t == threads {
            return Ok(Arc::clone(pool));
        }
    }
    // Started outside the lock: a fork while threads start cannot leave the child a held lock.
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map(Arc::new)
        .map_err(|e| {
            prime_core::Error::InvalidArgument(format!("cannot start {threads} threads: {e}"))
        })?;
    if let Some(stale) = lock().replace((pid, threads, Arc::clone(&pool))) {
        if stale.0 != pid {
            // Inherited across fork: its threads do not exist here, so dropping it could block.
            std::mem::forget(stale);
        }
    }
    Ok(pool)
}

/// Check a thread count given by the caller.
pub fn check_threads(threads: Option<usize>) -> prime_core::Result<Option<usize>> {
    match threads {
        Some(t) if t == 0 || t > MAX_THREADS => Err(prime_core::Error::InvalidArgument(format!(
            "threads must be in 1..={MAX_THREADS}, got {t}"
        ))),
        other => Ok(other),
    }
}

/// Run `f` on the pool for `threads` (checked with [`check_threads`]).
pub fn install<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> prime_core::Result<T> {
    match check_threads(threads)? {
        None if !forked() => Ok(f()),
        None => {
            let all = std::thread::available_parallelism().map_or(1, |n| n.get());
            Ok(dedicated(all.min(MAX_THREADS))?.install(f))
        }
        Some(t) => Ok(dedicated(t)?.install(f)),
    }
}

/// Threads that work submitted through [`install`] would use (for sizing chunks).
pub fn width(threads: Option<usize>) -> usize {
    match threads {
        Some(t) => t,
        None if !forked() => rayon::current_num_threads(),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}
