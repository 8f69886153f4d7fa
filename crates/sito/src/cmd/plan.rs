//! `sito plan`: reads an instance, builds a vetting schedule with `sito_plan::schedule`, writes the plan JSON
//! (contracts/plan.md) to `--out` or standard output, and a one-line summary (objective, bound, gap) to stderr.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use sito_plan::schedule::{self, Instance, InstanceError, SolveOptions};

/// Time kept back from the limit for writing the plan and exiting.
const OUTPUT_MARGIN: Duration = Duration::from_millis(150);

#[derive(Args)]
pub struct PlanArgs {
    /// Instance file (JSON, contracts/plan.md).
    #[arg(long)]
    instance: PathBuf,
    /// Where to write the plan; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Wall-clock limit in seconds for the whole run, reading and writing included.
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
}

fn describe(path: &std::path::Path, error: &InstanceError) -> String {
    match error {
        InstanceError::Json(json) => format!(
            "{}: line {}, column {}: {json}",
            path.display(),
            json.line(),
            json.column()
        ),
        other => format!("{}: {other}", path.display()),
    }
}

pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if !args.time_limit.is_finite() || args.time_limit <= 0.0 || args.time_limit > 86_400.0 {
        return Err(crate::exit::bad_input(format!(
            "--time-limit must be a number of seconds above 0 and at most 86400, got {}",
            args.time_limit
        )));
    }
    let limit = Duration::from_secs_f64(args.time_limit);
    let text = std::fs::read_to_string(&args.instance).map_err(|e| {
        crate::exit::bad_input(format!(
            "{}: cannot read the instance: {e}",
            args.instance.display()
        ))
    })?;
    let instance = Instance::from_json(&text)
        .map_err(|e| crate::exit::bad_input(describe(&args.instance, &e)))?;

    // The solver's work budget follows from this, so it must not depend on how long reading took: the same
    // instance and limit give the same plan. Reading and writing fit in the margin and in the 20% of the limit
    // the solver's safety clock leaves.
    let solver_limit = limit.saturating_sub(OUTPUT_MARGIN);
    let options = SolveOptions {
        time_limit: solver_limit.max(Duration::from_millis(1)),
        ..SolveOptions::default()
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(1_000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} planning [{bar:30}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let solution = schedule::solve_with_progress(&instance, &options, &mut |p| {
        if let Some(bar) = &bar {
            bar.set_position((p.done.clamp(0.0, 1.0) * 1_000.0) as u64);
            bar.set_message(format!("objective {:.3}", p.objective));
        }
    })
    .map_err(|e| crate::exit::bad_input(e.to_string()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let json = serde_json::to_string_pretty(&solution.plan).context("serialising the plan")?;
    match &args.out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(json.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .context("writing the plan")?;
        }
    }
    eprintln!(
        "plan: objective={:.6} upper_bound={:.6} gap={:.2}% scheduled={}/{} greedy={:.6} iterations={}{} time={:.2}s",
        solution.plan.objective,
        solution.upper_bound,
        solution.gap() * 100.0,
        solution.plan.assignments.len(),
        instance.candidates.len(),
        solution.stats.greedy_objective,
        solution.stats.iterations,
        if solution.stats.stopped_by_clock {
            " (stopped by the clock)"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(instance: PathBuf, out: Option<PathBuf>) -> PlanArgs {
        PlanArgs {
            instance,
            out,
            time_limit: 1.0,
        }
    }

    fn is_bad_input(error: &anyhow::Error) -> bool {
        error
            .chain()
            .any(|cause| cause.is::<crate::exit::BadInput>())
    }

    #[test]
    fn malformed_instances_are_bad_input_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.json");
        std::fs::write(
            &path,
            "{\n  \"days\": 5,\n  \"slots_per_day\": \"eight\"\n}",
        )
        .unwrap();
        let error = run(args(path.clone(), None)).unwrap_err();
        assert!(is_bad_input(&error));
        let message = format!("{error:#}");
        assert!(
            message.contains("broken.json") && message.contains("line 3"),
            "{message}"
        );

        let missing = run(args(dir.path().join("absent.json"), None)).unwrap_err();
        assert!(is_bad_input(&missing));

        let sample = r#"{"days": 1, "slots_per_day": 8, "durations": {"interview": 1, "polygraph": 2},
            "min_gap_slots": 1, "locations": [], "staff": [], "candidates": []}"#;
        let good = dir.path().join("empty.json");
        std::fs::write(&good, sample).unwrap();
        let bad_limit = run(PlanArgs {
            time_limit: -1.0,
            ..args(good, None)
        })
        .unwrap_err();
        assert!(is_bad_input(&bad_limit));
    }

    #[test]
    fn an_instance_with_nobody_to_schedule_writes_an_empty_plan() {
        let dir = tempfile::tempdir().unwrap();
        let instance = dir.path().join("instance.json");
        let out = dir.path().join("plan.json");
        let text = r#"{"days": 2, "slots_per_day": 8, "durations": {"interview": 1, "polygraph": 2},
            "min_gap_slots": 1, "locations": [{"id": "a", "capacity": 0}], "staff": [],
            "candidates": [{"id": "c", "priority": 1, "waiting_days": 0, "earliest_day": 0, "locations": ["a"]}]}"#;
        std::fs::write(&instance, text).unwrap();
        run(args(instance, Some(out.clone()))).unwrap();
        let plan: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
        assert_eq!(plan["objective"], 0.0);
        assert_eq!(plan["assignments"], serde_json::json!([]));
    }
}
