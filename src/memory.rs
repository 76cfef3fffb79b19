//! What the server process keeps from its allocator. The heap a long-running `serve` uses is
//! small (about 20 MB at its peak in a soak run, measured with heaptrack; RELIABILITY.md), but
//! glibc's malloc keeps much of what is freed in its arenas: the resident size grew 12–24 MB a
//! minute in the ten-minute soak while the heap did not. Two measures, Linux with glibc only
//! (elsewhere both are no-ops):
//! - [`cap_arenas`]: at most [`MALLOC_ARENAS`] arenas (glibc's default is eight per core),
//!   unless the operator set `MALLOC_ARENA_MAX`;
//! - [`start_trimming`]: a thread that hands freed memory back to the kernel every few seconds
//!   (`malloc_trim`, which releases the free pages inside every arena, not only at its top).
//!
//! Error policy: nothing here can fail a request; both are best effort.

use std::time::Duration;

/// glibc malloc arenas of the process. Measured at national size on SQLite (BENCHMARKS.md,
/// "Peak memory"): peak RSS 216–218 MB with glibc's default, 162 MB with 4, 133–142 MB with 2;
/// 4 cost no throughput beyond the run's noise, 2 cost 5–12 % on the ranking.
pub const MALLOC_ARENAS: i32 = 4;

/// How often `serve` trims by default, in milliseconds (`--malloc-trim-ms`).
pub const TRIM_INTERVAL_MS: u64 = 10_000;

/// Caps glibc's malloc at [`MALLOC_ARENAS`] arenas unless `MALLOC_ARENA_MAX` is set (glibc
/// reads that itself). Call it first thing in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn cap_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only tunes the allocator; the caller runs it while the process has
        // one thread and nothing else is allocating.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

/// Caps glibc's malloc arenas (a no-op without glibc).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn cap_arenas() {}

/// Starts a thread that returns the allocator's free pages to the kernel every `interval`
/// (`None`: never). A thread of its own rather than a task: a trim walks every arena under its
/// lock and must not stall the async workers.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn start_trimming(interval: Option<Duration>) {
    let Some(interval) = interval else { return };
    let spawned = std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            // SAFETY: malloc_trim is thread-safe (it takes each arena's lock) and only
            // releases pages malloc holds free.
            unsafe {
                libc::malloc_trim(0);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the malloc trimming thread");
    }
}

/// Returns free memory to the kernel periodically (a no-op without glibc).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn start_trimming(_interval: Option<Duration>) {}
