//! This process: its CPU time, and itself again as the receivers of a benchmark.

use std::process::Command;

/// This executable run as `reelcast-bench receivers`, the far end of a benchmark's share.
pub fn receivers_command() -> Result<Command, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let mut command = Command::new(exe);
    command.arg("receivers");
    Ok(command)
}

/// CPU seconds (user + system) used so far by this process, and by its waited-for children.
pub fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    // utime, stime, cutime, cstime are fields 14-17 of the line: 11-14 after the state.
    let tick = 100.0; // USER_HZ, fixed at 100 for /proc on Linux
    let get = |i: usize| fields.get(i).copied().unwrap_or(0.0) / tick;
    (get(10) + get(11), get(12) + get(13))
}
