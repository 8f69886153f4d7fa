//! `sito simulate`: reads a scenario (contracts/simulate.md), runs `sito_plan::simulate` and prints tables plus
//! the path of an SVG chart, or one JSON object with `--json`. With `--solve-servers` it answers the inverse
//! question instead. Model and definitions: docs/simulation.md.
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use sito_plan::simulate::{
    self, DEFAULT_SEED, Outcome, Scenario, ServerSolution, SolveError, Summary, chart_svg,
    solve_servers,
};

#[derive(Args)]
pub struct SimulateArgs {
    /// Scenario file (TOML, contracts/simulate.md).
    #[arg(long)]
    scenario: PathBuf,
    /// Print exactly one JSON object on standard output instead of tables; no chart is written unless --chart.
    #[arg(long)]
    json: bool,
    /// Seed of the random draws; the same seed and scenario give the same figures.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Find the fewest servers at this stage that keep the mean time to decision at or under --target-days.
    #[arg(long, value_name = "STAGE", requires = "target_days")]
    solve_servers: Option<String>,
    /// Target mean time to decision in days, for --solve-servers.
    #[arg(long, value_name = "DAYS", requires = "solve_servers")]
    target_days: Option<f64>,
    /// Where to write the SVG chart; by default `<scenario name>-simulation.svg` in the current directory.
    #[arg(long, value_name = "PATH")]
    chart: Option<PathBuf>,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let path = &args.scenario;
    let text = std::fs::read_to_string(path).map_err(|error| {
        crate::exit::bad_input(format!(
            "{}: cannot read the scenario: {error}",
            path.display()
        ))
    })?;
    let scenario = Scenario::from_toml_str(&text).map_err(|error| {
        let location = error
            .line
            .map(|line| format!(":{line}"))
            .unwrap_or_default();
        crate::exit::bad_input(format!("{}{location}: {}", path.display(), error.problem))
    })?;

    match (&args.solve_servers, args.target_days) {
        (Some(stage), Some(target_days)) => solve(&args, &scenario, stage, target_days),
        _ => {
            let outcome = simulate::simulate(&scenario, args.seed);
            if args.json {
                emit(&format!("{}\n", report_json(&outcome)))?;
                if let Some(chart) = &args.chart {
                    write_chart(&outcome, path, chart)?;
                }
                return Ok(());
            }
            let chart = args
                .chart
                .clone()
                .unwrap_or_else(|| default_chart_path(path));
            let mut out = header(path, &scenario, args.seed);
            out.push_str(&tables(&outcome));
            finish_with_chart(out, &outcome, path, &chart)
        }
    }
}

fn solve(
    args: &SimulateArgs,
    scenario: &Scenario,
    stage: &str,
    target_days: f64,
) -> anyhow::Result<()> {
    let solution =
        solve_servers(scenario, stage, target_days, args.seed).map_err(|error| match error {
            SolveError::UnknownStage { .. } => crate::exit::bad_input(format!(
                "--solve-servers: {}: {error}",
                args.scenario.display()
            )),
            SolveError::BadTarget(_) => crate::exit::bad_input(format!("--target-days: {error}")),
            // The question has no answer for this scenario: the caller must change the target or another stage.
            SolveError::Unreachable { .. } => crate::exit::bad_input(error.to_string()),
        })?;
    if args.json {
        emit(&format!("{}\n", solution_json(&solution, target_days)))?;
        if let Some(chart) = &args.chart {
            write_chart(&solution.outcome, &args.scenario, chart)?;
        }
        return Ok(());
    }
    let chart = args
        .chart
        .clone()
        .unwrap_or_else(|| default_chart_path(&args.scenario));
    let mean = |outcome: &Outcome| {
        outcome
            .time_to_decision
            .map_or("undefined (nothing decided)".to_owned(), |t| {
                format!("{:.2} days", t.mean)
            })
    };
    let mut out = header(&args.scenario, scenario, args.seed);
    let _ = writeln!(
        out,
        "fewest servers at \"{stage}\" for a mean time to decision of at most {target_days} days: {}",
        solution.servers
    );
    let _ = writeln!(
        out,
        "  with {}: mean time to decision {}",
        solution.servers,
        mean(&solution.outcome)
    );
    if let Some(fewer) = &solution.one_fewer {
        let _ = writeln!(
            out,
            "  with {}: mean time to decision {}",
            solution.servers - 1,
            mean(fewer)
        );
    }
    let _ = writeln!(
        out,
        "  ({} runs with the same random draws)\n",
        solution.runs
    );
    out.push_str(&tables(&solution.outcome));
    finish_with_chart(out, &solution.outcome, &args.scenario, &chart)
}

/// Prints the tables whatever happens to the chart, so an unwritable directory costs the picture, not the answer
/// (it is still an error: exit status 1).
fn finish_with_chart(
    mut out: String,
    outcome: &Outcome,
    scenario: &Path,
    chart: &Path,
) -> anyhow::Result<()> {
    let written = write_chart(outcome, scenario, chart);
    if written.is_ok() {
        let _ = writeln!(out, "chart: {}", chart.display());
    }
    emit(&out)?;
    written
}

/// Writes to standard output; a reader that went away (`| head`) is not an error worth a panic or a message.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

/// The contract's JSON object, and nothing else.
fn report_json(outcome: &Outcome) -> Value {
    let summary = |summary: Option<Summary>| match summary {
        Some(summary) => json!({ "mean": summary.mean, "p50": summary.p50, "p90": summary.p90 }),
        None => json!({ "mean": null, "p50": null, "p90": null }),
    };
    let stages: Vec<Value> = outcome
        .stages
        .iter()
        .map(|stage| {
            json!({
                "name": stage.name,
                "utilisation": stage.utilisation,
                "queue_mean": stage.queue_mean,
                "wait_days_mean": stage.wait_days_mean,
            })
        })
        .collect();
    json!({
        "decided_per_day": outcome.decided_per_day,
        "time_to_decision_days": summary(outcome.time_to_decision),
        "backlog_at_end": outcome.backlog_at_end,
        "stages": stages,
        "bottleneck": outcome.stages.get(outcome.bottleneck).map(|stage| stage.name.as_str()),
    })
}

fn solution_json(solution: &ServerSolution, target_days: f64) -> Value {
    json!({
        "stage": solution.stage,
        "target_days": target_days,
        "servers": solution.servers,
        "time_to_decision_days_mean": solution.outcome.time_to_decision.map(|t| t.mean),
        "one_fewer_time_to_decision_days_mean":
            solution.one_fewer.as_ref().and_then(|outcome| outcome.time_to_decision.map(|t| t.mean)),
        "report": report_json(&solution.outcome),
    })
}

fn header(path: &Path, scenario: &Scenario, seed: u64) -> String {
    format!(
        "scenario {}: {} days ({} of warm-up not measured), {} arrivals a day, seed {seed}\n\n",
        path.display(),
        scenario.days,
        scenario.warmup_days,
        scenario.arrivals_per_day
    )
}

fn tables(outcome: &Outcome) -> String {
    let mut out = String::new();
    let days = |value: Option<f64>| value.map_or("-".to_owned(), |days| format!("{days:.3}"));
    let _ = writeln!(out, "pipeline (after warm-up)");
    let _ = writeln!(
        out,
        "  arrived per day            {:>10.2}",
        outcome.arrived_per_day
    );
    let _ = writeln!(
        out,
        "  decided per day            {:>10.2}",
        outcome.decided_per_day
    );
    let _ = writeln!(
        out,
        "  left early per day         {:>10.2}",
        outcome.left_per_day
    );
    match outcome.time_to_decision {
        Some(t) => {
            let _ = writeln!(
                out,
                "  time to decision (days)    mean {:.2} · p50 {:.2} · p90 {:.2}  ({} decisions)",
                t.mean, t.p50, t.p90, t.count
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  time to decision (days)    - (no application was decided after the warm-up)"
            );
        }
    }
    let _ = writeln!(
        out,
        "  in the system, mean        {:>10.1}",
        outcome.in_system_mean
    );
    let _ = writeln!(
        out,
        "  days in the system, mean   {:>10}  (leavers included: with arrivals, Little's law)",
        days(outcome.time_in_system_days_mean)
    );
    let _ = writeln!(
        out,
        "  backlog at end             {:>10}",
        outcome.backlog_at_end
    );
    let _ = writeln!(out);
    let width = outcome
        .stages
        .iter()
        .map(|stage| stage.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "  {:<width$}  {:>7}  {:>9}  {:>11}  {:>10}  {:>11}  {:>8}",
        "stage", "servers", "in/day", "utilisation", "queue mean", "wait (days)", "left/day"
    );
    for (index, stage) in outcome.stages.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<width$}  {:>7}  {:>9.2}  {:>11.3}  {:>10.1}  {:>11}  {:>8.2}{}",
            stage.name,
            stage.servers,
            stage.entered_per_day,
            stage.utilisation,
            stage.queue_mean,
            days(stage.wait_days_mean),
            stage.left_per_day,
            if index == outcome.bottleneck {
                "  ← bottleneck"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(out);
    out
}

fn default_chart_path(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or("scenario".into(), |stem| stem.to_string_lossy());
    PathBuf::from(format!("{stem}-simulation.svg"))
}

fn write_chart(outcome: &Outcome, scenario: &Path, chart: &Path) -> anyhow::Result<()> {
    let title = scenario
        .file_name()
        .map_or("scenario".into(), |name| name.to_string_lossy());
    std::fs::write(chart, chart_svg(outcome, &title))
        .with_context(|| format!("cannot write the chart to {}", chart.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
days = 60
warmup_days = 10
arrivals_per_day = 30

[[stage]]
name = "document_scrutiny"
servers = 8
service_hours_mean = 1.5
leave_probability = 0.3

[[stage]]
name = "polygraph"
servers = 3
service_hours_mean = 2.0
visits = 2
"#;

    fn args(scenario: PathBuf) -> SimulateArgs {
        SimulateArgs {
            scenario,
            json: true,
            seed: 1,
            solve_servers: None,
            target_days: None,
            chart: None,
        }
    }

    fn is_bad_input(error: &anyhow::Error) -> bool {
        error
            .chain()
            .any(|cause| cause.is::<crate::exit::BadInput>())
    }

    #[test]
    fn the_json_has_exactly_the_contract_keys() {
        let scenario = Scenario::from_toml_str(SCENARIO).unwrap();
        let report = report_json(&simulate::simulate(&scenario, 1));
        let keys = |value: &Value| {
            value
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(&report),
            [
                "backlog_at_end",
                "bottleneck",
                "decided_per_day",
                "stages",
                "time_to_decision_days"
            ]
        );
        assert_eq!(
            keys(&report["time_to_decision_days"]),
            ["mean", "p50", "p90"]
        );
        let stages = report["stages"].as_array().unwrap();
        assert_eq!(stages.len(), 2);
        assert_eq!(
            keys(&stages[1]),
            ["name", "queue_mean", "utilisation", "wait_days_mean"]
        );
        assert_eq!(stages[1]["name"], "polygraph");
        assert!(report["backlog_at_end"].is_u64());
        assert!(report["decided_per_day"].as_f64().unwrap() > 0.0);
        assert!(report["bottleneck"].is_string());
    }

    #[test]
    fn bad_scenarios_and_questions_are_bad_input_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.toml");
        std::fs::write(&path, SCENARIO.replace("servers = 3", "servers = 0")).unwrap();
        let error = run(args(path.clone())).unwrap_err();
        assert!(is_bad_input(&error));
        assert!(
            format!("{error:#}").contains("office.toml:14: stage \"polygraph\": servers"),
            "{error:#}"
        );

        assert!(is_bad_input(
            &run(args(dir.path().join("absent.toml"))).unwrap_err()
        ));

        std::fs::write(&path, SCENARIO).unwrap();
        let unknown_stage = SimulateArgs {
            solve_servers: Some("board".to_owned()),
            target_days: Some(3.0),
            ..args(path.clone())
        };
        let error = run(unknown_stage).unwrap_err();
        assert!(
            is_bad_input(&error) && format!("{error}").contains("board"),
            "{error}"
        );
        let unreachable = SimulateArgs {
            solve_servers: Some("polygraph".to_owned()),
            target_days: Some(0.01),
            ..args(path)
        };
        assert!(is_bad_input(&run(unreachable).unwrap_err()));
    }

    #[test]
    fn tables_and_chart_are_written_where_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.toml");
        std::fs::write(&path, SCENARIO).unwrap();
        let chart = dir.path().join("chart.svg");
        run(SimulateArgs {
            json: false,
            chart: Some(chart.clone()),
            ..args(path.clone())
        })
        .unwrap();
        let svg = std::fs::read_to_string(&chart).unwrap();
        assert!(
            svg.starts_with("<svg")
                && svg.contains("office.toml")
                && svg.trim_end().ends_with("</svg>")
        );
        let solved = SimulateArgs {
            json: false,
            chart: Some(chart),
            solve_servers: Some("polygraph".to_owned()),
            target_days: Some(5.0),
            ..args(path)
        };
        run(solved).unwrap();
        assert_eq!(
            default_chart_path(Path::new("/some/where/office.toml")),
            PathBuf::from("office-simulation.svg")
        );
        let unwritable = SimulateArgs {
            json: false,
            chart: Some(dir.path().join("no/such/folder/chart.svg")),
            ..args(dir.path().join("office.toml"))
        };
        let error = run(unwritable).unwrap_err();
        assert!(
            !is_bad_input(&error) && format!("{error:#}").contains("chart"),
            "{error:#}"
        );
    }
}
