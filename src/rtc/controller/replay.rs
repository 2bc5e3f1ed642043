//! Traces of real runs (`tests/traces/*.jsonl`, written by `rtc::control` with
//! `REELCAST_CONTROLLER_TRACE`) replayed into a fresh controller, and its decisions checked:
//! the viewer is not left for long on a rung its link's estimate does not carry, and it
//! ends on the rung that estimate fits. Each trace's first line is the controller's limits;
//! the others are its inputs with their time, as they came.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Action, Bitrate, Controller, Input, Ladder, Limits};

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Start { limits: Limits },
    Input { ms: u64, input: Input },
}

/// What a replay decided, step by step.
struct Replay {
    /// (seconds, input, actions).
    steps: Vec<(f64, Input, Vec<Action>)>,
}

fn traces() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.extension().is_some_and(|e| e == "jsonl"));
    files.sort();
    files
}

fn replay(path: &Path) -> Replay {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().expect("an empty trace");
    let Ok(Line::Start { limits }) = serde_json::from_str(first) else {
        panic!("{}: the first line is not the limits", path.display());
    };
    let t0 = Instant::now();
    let mut controller = Controller::new(limits);
    let mut steps = Vec::new();
    for line in lines {
        let Ok(Line::Input { ms, input }) = serde_json::from_str(line) else {
            panic!("{}: not an input: {line}", path.display());
        };
        controller.handle_input(t0 + Duration::from_millis(ms), input.clone());
        let actions = std::iter::from_fn(|| controller.poll_output()).collect();
        steps.push((ms as f64 / 1000.0, input, actions));
    }
    Replay { steps }
}

/// A moment of a replay: the rung chosen, what it costs and the link's estimate then.
#[derive(Debug, Clone, Copy)]
struct Moment {
    seconds: f64,
    rung: Option<usize>,
    cost: Option<Bitrate>,
    estimate: Option<Bitrate>,
    bottom: bool,
}

impl Replay {
    fn moments(&self) -> Vec<Moment> {
        let (mut rung, mut estimate, mut costs) = (None, None, Vec::new());
        let mut out = Vec::new();
        for (seconds, input, actions) in &self.steps {
            match input {
                Input::VideoLinked { costs: c, .. } => costs = c.clone(),
                Input::Estimate { bitrate, ladder } => {
                    estimate = Some(*bitrate);
                    if let Some(Ladder { costs: c, .. }) = ladder {
                        costs = c.clone();
                    }
                }
                Input::Report {
                    ladder: Some(Ladder { costs: c, .. }),
                    ..
                } => costs = c.clone(),
                _ => {}
            }
            for action in actions {
                if let Action::MoveTo { rung: to, .. } = action {
                    rung = Some(*to);
                }
            }
            let cost = rung.and_then(|r| costs.get(r).copied().flatten());
            let bottom = rung.is_some_and(|r| (r + 1..costs.len()).all(|i| costs[i].is_none()));
            out.push(Moment {
                seconds: *seconds,
                rung,
                cost,
                estimate,
                bottom,
            });
        }
        out
    }

    /// The longest time, in seconds, the viewer stayed on a rung costing more than `factor`
    /// times its link's estimate (a viewer on the smallest rung has nowhere to go).
    fn longest_above_estimate(&self, factor: f64) -> f64 {
        let (mut longest, mut since) = (0.0f64, None::<f64>);
        for m in self.moments() {
            let above = match (m.cost, m.estimate) {
                (Some(c), Some(e)) => !m.bottom && c.as_f64() > e.as_f64() * factor,
                _ => false,
            };
            since = match (above, since) {
                (true, None) => Some(m.seconds),
                (true, s) => s,
                (false, _) => None,
            };
            if let Some(s) = since {
                longest = longest.max(m.seconds - s);
            }
        }
        longest
    }

    fn moves(&self) -> usize {
        self.steps
            .iter()
            .flat_map(|(_, _, a)| a)
            .filter(|a| matches!(a, Action::MoveTo { joined: false, .. }))
            .count()
    }

    /// The rungs' costs in the last input that gave them.
    fn last_costs(&self) -> Option<Vec<Option<Bitrate>>> {
        self.steps
            .iter()
            .rev()
            .find_map(|(_, input, _)| match input {
                Input::Estimate {
                    ladder: Some(l), ..
                }
                | Input::Report {
                    ladder: Some(l), ..
                } => Some(l.costs.clone()),
                _ => None,
            })
    }

    fn last(&self) -> Moment {
        *self.moments().last().expect("an empty trace")
    }
}

/// The link's rate a trace was recorded behind, from its name.
fn link_rate(file: &Path) -> Option<Bitrate> {
    let name = file.file_stem()?.to_str()?;
    let after = &name[name.find("-behind-")? + "-behind-".len()..];
    let kbit: u32 = after[..after.find("kbit")?].parse().ok()?;
    Some(Bitrate::bps(kbit * 1000))
}

#[test]
fn recorded_traces_are_replayed_and_their_decisions_hold() {
    let files = traces();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    for kind in ["chromium", "firefox", "janus"] {
        assert!(
            names.iter().any(|n| n.starts_with(kind)),
            "no trace of {kind} in tests/traces: {names:?}"
        );
    }
    for file in &files {
        let replay = replay(file);
        let name = file.display();
        let last = replay.last();
        eprintln!(
            "{name}: {} inputs, {} moves, ends on rung {:?} ({:?}) at an estimate of {:?}",
            replay.steps.len(),
            replay.moves(),
            last.rung,
            last.cost,
            last.estimate
        );
        // Down at once when the estimate falls below 0.75 of the rung's cost; a step up
        // settles for 1.5 s, a failed probe holds the viewer for 3 s while GCC climbs back,
        // and a move waits for its keyframe: 3.5 s at most.
        let above = replay.longest_above_estimate(1.0 / 0.75);
        assert!(
            above <= 3.5,
            "{name}: {above:.1} s on a rung the link did not carry"
        );
        // Behind a link of a known rate (`-behind-<kbit/s>kbit` in its name), it ends on the
        // biggest rung that rate carries.
        if let (Some(rate), Some(costs)) = (link_rate(file), replay.last_costs()) {
            let fits = costs
                .iter()
                .position(|c| c.is_some_and(|c| c <= rate))
                .unwrap_or(costs.len() - 1);
            assert_eq!(
                last.rung,
                Some(fits),
                "{name}: costs {costs:?}, link {rate}"
            );
        }
        // It ends on a rung its estimate carries: the top one, or one whose cost the
        // estimate covers while the next one up would not have room to be tried.
        if let (Some(cost), Some(estimate)) = (last.cost, last.estimate) {
            assert!(
                cost.as_f64() <= estimate.as_f64() / 0.8,
                "{name}: ends on {cost} at an estimate of {estimate}"
            );
        }
    }
}

/// `REELCAST_REPLAY=FILE cargo test --lib -- --ignored replay::show`: a trace's decisions, to
/// read before keeping it in tests/traces.
#[test]
#[ignore = "a tool: reads the trace named by REELCAST_REPLAY"]
fn show() {
    let Some(path) = std::env::var_os("REELCAST_REPLAY") else {
        return;
    };
    let replay = replay(Path::new(&path));
    for (seconds, input, actions) in &replay.steps {
        if !actions.is_empty() || !matches!(input, Input::Estimate { .. }) {
            eprintln!("{seconds:7.2} {input:?}\n        -> {actions:?}");
        }
    }
    eprintln!(
        "{} moves; longest above the estimate: {:.1} s; last: {:?}",
        replay.moves(),
        replay.longest_above_estimate(1.0 / 0.75),
        replay.last()
    );
}
