//! `reelcast-bench churn FILE`: prints what viewers coming and going leave behind in the
//! sender (measured by [`reelcast_testkit::churn`]).

/// Prints the numbers; returns the exit code.
pub fn run_churn(file: &str, cycles: usize, resident: bool) -> i32 {
    if let Err(e) = reelcast::init() {
        eprintln!("reelcast-bench: {e}");
        return 3;
    }
    let receivers = match crate::process::receivers_command() {
        Ok(command) => command,
        Err(e) => {
            eprintln!("reelcast-bench: {e}");
            return 3;
        }
    };
    match reelcast_testkit::churn(file, cycles, 8, resident, receivers) {
        Ok(r) => {
            let mb = |kib: u64| kib as f64 / 1024.0;
            let mut joins = r.join_times.clone();
            joins.sort();
            let p50 = joins.get(joins.len() / 2).copied().unwrap_or_default();
            println!(
                "Churn of {file}: {} join/leave cycles{}",
                r.cycles,
                if resident {
                    ", one viewer staying throughout"
                } else {
                    ", nobody else watching"
                }
            );
            println!(
                "             RSS MB  elements  threads  fds\n\
                 before     {:>8.1}  {:>8}  {:>7}  {:>3}\n\
                 after      {:>8.1}  {:>8}  {:>7}  {:>3}\n\
                 {} viewers  {:>8.1}  {:>8}  {:>7}  {:>3}",
                mb(r.before.rss_kib),
                r.before.elements,
                r.before.threads,
                r.before.fds,
                mb(r.after.rss_kib),
                r.after.elements,
                r.after.threads,
                r.after.fds,
                r.viewers,
                mb(r.loaded.rss_kib),
                r.loaded.elements,
                r.loaded.threads,
                r.loaded.fds,
            );
            println!(
                "RSS growth over {} cycles: {:+.1} MB (goal <= 5 MB); join to first frame p50 {} ms",
                r.cycles,
                mb(r.after.rss_kib) - mb(r.before.rss_kib),
                p50.as_millis()
            );
            0
        }
        Err(e) => {
            eprintln!("reelcast-bench: churn: {e}");
            1
        }
    }
}
