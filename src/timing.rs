//! CPU time of the calling thread, for the growth checks of tests and benchmarks: a ratio of
//! wall-clock times on a shared, loaded machine penalises the longer run (it is interrupted
//! more), while the thread's CPU time counts only the work done.

use std::time::Duration;

/// CPU time the calling thread has used. Elsewhere than Linux with glibc: wall-clock time since
/// the first call.
pub fn thread_cpu_time() -> Duration {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid, writable timespec for the duration of the call.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            return Duration::new(
                u64::try_from(t.tv_sec).unwrap_or(0),
                u32::try_from(t.tv_nsec).unwrap_or(0),
            );
        }
    }
    static START: std::sync::LazyLock<std::time::Instant> =
        std::sync::LazyLock::new(std::time::Instant::now);
    START.elapsed()
}

/// CPU time a run must last to be measured: a thread's CPU clock may advance in ticks on a
/// virtual machine (a 400-line input read as 0 ns beside 466 µs for 3,200 lines, a ratio of
/// 466 from a linear reader), so a shorter call is repeated until the run lasts this long.
const MEASURABLE: Duration = Duration::from_millis(20);

/// The least CPU time of one call of `f` over `runs` runs (the least is the run least
/// disturbed); a run repeats `f` until it lasts [`MEASURABLE`] and counts the mean call.
pub fn least_cpu_time(runs: usize, f: impl Fn()) -> Duration {
    (0..runs.max(1))
        .map(|_| {
            let started = thread_cpu_time();
            let mut calls: u32 = 0;
            loop {
                f();
                calls += 1;
                let spent = thread_cpu_time().saturating_sub(started);
                if spent >= MEASURABLE || calls >= 10_000 {
                    break spent / calls;
                }
            }
        })
        .min()
        .unwrap_or_default()
}
