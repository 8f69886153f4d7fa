//! A self-contained SVG chart of a run: backlog over time above, time to decision over time below.
//!
//! No scripts, no external fonts or assets: generic font families only, so it renders the same in a browser, an
//! image viewer or a printed report.
use std::fmt::Write;

use super::engine::{DayPoint, Outcome};

const WIDTH: f64 = 900.0;
const PANEL_HEIGHT: f64 = 230.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 86.0;
const GAP: f64 = 70.0;
const BOTTOM: f64 = 52.0;
/// Days averaged in the time-to-decision curve, so a quiet day does not make it jump.
const SMOOTHING_DAYS: usize = 7;
/// Most points drawn per curve.
const MAX_POINTS: usize = 1500;

const INK: &str = "#222";
const GRID: &str = "#ddd";
const BACKLOG_COLOUR: &str = "#1f5fa8";
const DECISION_COLOUR: &str = "#b3541e";

/// Renders the chart. `title` is shown at the top (for example the scenario's file name); it is escaped.
pub fn chart_svg(outcome: &Outcome, title: &str) -> String {
    let height = TOP + 2.0 * PANEL_HEIGHT + GAP + BOTTOM;
    let days = outcome.daily.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" fill="{INK}">"#
    );
    let _ = write!(
        svg,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="26" font-size="16" font-weight="bold">Capacity simulation: {}</text>"#,
        escape(title)
    );
    let decision = outcome.time_to_decision.map_or(
        "no decisions in the measured period".to_owned(),
        |summary| {
            format!(
                "time to decision after warm-up: mean {:.1}, p50 {:.1}, p90 {:.1} days",
                summary.mean, summary.p50, summary.p90
            )
        },
    );
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="46" font-size="12" fill="#555">{:.1} decided a day · backlog at end {} · bottleneck: {} · {}</text>"##,
        outcome.decided_per_day,
        outcome.backlog_at_end,
        escape(
            outcome
                .stages
                .get(outcome.bottleneck)
                .map_or("", |stage| stage.name.as_str())
        ),
        decision
    );

    let backlog = backlog_points(&outcome.daily);
    let backlog_panel = Panel {
        top: TOP,
        days,
        y_max: nice_ceiling(max_of(&backlog)),
    };
    backlog_panel.frame(
        &mut svg,
        outcome.warmup_days,
        "Applications in the system (end of day)",
    );
    backlog_panel.line(&mut svg, &backlog, BACKLOG_COLOUR, None);

    let decisions = smoothed_decision_days(&outcome.daily);
    let decision_panel = Panel {
        top: TOP + PANEL_HEIGHT + GAP,
        days,
        y_max: nice_ceiling(max_of(&decisions)),
    };
    decision_panel.frame(
        &mut svg,
        outcome.warmup_days,
        &format!(
            "Time to decision in days (mean of decisions in the last {} days)",
            smoothing_days(outcome.daily.len())
        ),
    );
    decision_panel.line(&mut svg, &decisions, DECISION_COLOUR, None);
    if let Some(summary) = outcome.time_to_decision {
        let mean_line = [(outcome.warmup_days, summary.mean), (days, summary.mean)];
        decision_panel.line(&mut svg, &mean_line, DECISION_COLOUR, Some("5 4"));
        let (x, y) = decision_panel.point(days, summary.mean);
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="{DECISION_COLOUR}">mean after warm-up {:.1}</text>"#,
            y - 5.0,
            summary.mean
        );
    }
    let axis_y = TOP + 2.0 * PANEL_HEIGHT + GAP + 40.0;
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{axis_y:.1}" text-anchor="middle">Day</text>"#,
        LEFT + plot_width() / 2.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn max_of(points: &[(f64, f64)]) -> f64 {
    points.iter().map(|&(_, y)| y).fold(0.0, f64::max)
}

/// Days between plotted points, so that a horizon of centuries still gives a chart of modest size.
fn stride(days: usize) -> usize {
    days.div_ceil(MAX_POINTS).max(1)
}

/// Days averaged in the time-to-decision curve: at least a week, and at least the stride between points.
fn smoothing_days(days: usize) -> usize {
    stride(days).max(SMOOTHING_DAYS)
}

/// Whether day `index` (0-based) of `days` is plotted: every stride-th day, and the last.
fn plotted(index: usize, days: usize) -> bool {
    (index + 1).is_multiple_of(stride(days)) || index + 1 == days
}

fn backlog_points(daily: &[DayPoint]) -> Vec<(f64, f64)> {
    daily
        .iter()
        .enumerate()
        .filter(|(index, _)| plotted(*index, daily.len()))
        .map(|(_, point)| (f64::from(point.day) + 1.0, point.backlog as f64))
        .collect()
}

/// Mean time to decision over the trailing window of days; points whose window saw no decision are skipped.
fn smoothed_decision_days(daily: &[DayPoint]) -> Vec<(f64, f64)> {
    let window = smoothing_days(daily.len());
    let mut decided_before = vec![0u64];
    let mut days_before = vec![0.0];
    for point in daily {
        decided_before.push(decided_before[decided_before.len() - 1] + u64::from(point.decided));
        days_before.push(days_before[days_before.len() - 1] + point.decision_days_sum);
    }
    (0..daily.len())
        .filter(|&index| plotted(index, daily.len()))
        .filter_map(|index| {
            let from = (index + 1).saturating_sub(window);
            let decided = decided_before[index + 1] - decided_before[from];
            let sum = days_before[index + 1] - days_before[from];
            (decided > 0).then(|| (f64::from(daily[index].day) + 1.0, sum / decided as f64))
        })
        .collect()
}

struct Panel {
    top: f64,
    days: f64,
    y_max: f64,
}

impl Panel {
    fn point(&self, day: f64, value: f64) -> (f64, f64) {
        let x = LEFT + day / self.days * plot_width();
        let y = self.top + PANEL_HEIGHT - value / self.y_max * PANEL_HEIGHT;
        (x, y)
    }

    fn frame(&self, svg: &mut String, warmup_days: f64, label: &str) {
        let (top, bottom) = (self.top, self.top + PANEL_HEIGHT);
        let _ = write!(
            svg,
            r#"<text x="{LEFT}" y="{:.1}" font-weight="bold">{}</text>"#,
            top - 10.0,
            escape(label)
        );
        if warmup_days > 0.0 {
            let (warm_x, _) = self.point(warmup_days, 0.0);
            let _ = write!(
                svg,
                r##"<rect x="{LEFT}" y="{top}" width="{:.1}" height="{PANEL_HEIGHT}" fill="#f0f0f0"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#777">warm-up</text>"##,
                warm_x - LEFT,
                (LEFT + warm_x) / 2.0,
                top + 14.0
            );
        }
        for tick in ticks(self.y_max) {
            let (_, y) = self.point(0.0, tick);
            let _ = write!(
                svg,
                r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                tick_label(tick)
            );
        }
        for tick in ticks(self.days) {
            let (x, _) = self.point(tick, 0.0);
            let _ = write!(
                svg,
                r#"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{:.1}" stroke="{INK}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                bottom + 5.0,
                bottom + 18.0,
                tick_label(tick)
            );
        }
        let _ = write!(
            svg,
            r#"<path d="M{LEFT} {top}V{bottom}H{:.1}" fill="none" stroke="{INK}"/>"#,
            WIDTH - RIGHT
        );
    }

    fn line(&self, svg: &mut String, points: &[(f64, f64)], colour: &str, dash: Option<&str>) {
        if points.is_empty() {
            return;
        }
        let mut path = String::new();
        for (index, &(day, value)) in points.iter().enumerate() {
            let (x, y) = self.point(day, value);
            let _ = write!(path, "{}{x:.1} {y:.1}", if index == 0 { "M" } else { "L" });
        }
        let dash = dash
            .map(|pattern| format!(r#" stroke-dasharray="{pattern}""#))
            .unwrap_or_default();
        let _ = write!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6" stroke-linejoin="round"{dash}/>"#
        );
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ step giving at most six intervals up to `max`, and `max` rounded up to it.
fn step_for(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf((max / 6.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| max / step <= 6.0)
        .unwrap_or(magnitude * 10.0)
}

fn nice_ceiling(max: f64) -> f64 {
    let step = step_for(max);
    ((max / step).ceil() * step).max(step)
}

fn ticks(max: f64) -> Vec<f64> {
    let step = step_for(max);
    (0..=((max / step).floor() as usize))
        .map(|index| index as f64 * step)
        .collect()
}

fn tick_label(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_numbers() {
        assert_eq!(step_for(365.0), 100.0);
        assert_eq!(step_for(1234.0), 500.0);
        assert_eq!(step_for(9.0), 2.0);
        assert_eq!(nice_ceiling(1234.0), 1500.0);
        assert_eq!(ticks(10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(step_for(0.0), 1.0);
    }

    fn day(day: u32, decided: u32, decision_days_sum: f64) -> DayPoint {
        DayPoint {
            day,
            backlog: u64::from(day),
            decided,
            decision_days_sum,
        }
    }

    #[test]
    fn the_decision_curve_averages_the_last_week() {
        let daily: Vec<DayPoint> = (0..10)
            .map(|index| day(index, 1, f64::from(index)))
            .collect();
        let points = smoothed_decision_days(&daily);
        assert_eq!(points.len(), 10);
        assert_eq!(points[0], (1.0, 0.0));
        // Days 3..=9 took 3..=9 days: their mean is 6.
        assert_eq!(points[9], (10.0, 6.0));
    }

    #[test]
    fn long_horizons_are_thinned_to_a_readable_number_of_points() {
        let daily: Vec<DayPoint> = (0..100_000).map(|index| day(index, 2, 3.0)).collect();
        let backlog = backlog_points(&daily);
        let decisions = smoothed_decision_days(&daily);
        assert!(backlog.len() <= MAX_POINTS + 1 && decisions.len() <= MAX_POINTS + 1);
        assert_eq!(backlog.last().map(|point| point.0), Some(100_000.0));
        assert!(decisions.iter().all(|&(_, mean)| mean == 1.5));
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
