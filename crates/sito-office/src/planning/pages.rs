//! What the planning pages show, already translated; the templates in `templates/planning/` hold layout only.
use askama::Template;

use crate::i18n::Tr;
use crate::views::Chrome;

pub struct Notice {
    pub text: String,
    pub error: bool,
}

impl Notice {
    pub fn ok(text: String) -> Self {
        Self { text, error: false }
    }

    pub fn error(text: String) -> Self {
        Self { text, error: true }
    }
}

pub struct Summary {
    pub objective: String,
    pub bound: String,
    pub gap: String,
    pub scheduled: String,
    pub built: String,
}

/// One visit: proposed by the plan or committed.
pub struct VisitRow {
    pub case: String,
    pub call_sign: String,
    pub location: String,
    pub days: String,
    pub interview: String,
    pub polygraph1: String,
    pub polygraph2: String,
    pub pinned: bool,
}

/// A case the plan leaves for a later week.
pub struct WaitingRow {
    pub case: String,
    pub call_sign: String,
    pub stage: String,
    pub kind: String,
    pub priority: u32,
    pub waiting_days: u32,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Something to draw in the calendar: a task at `hour` lasting `hours`, or (with `hour == u8::MAX`) a stay on a
/// day, listed above the hours.
pub struct GridItem {
    pub day: i64,
    pub hour: u8,
    pub hours: u8,
    pub text: String,
    pub proposed: bool,
}

pub struct Cell {
    pub entries: Vec<(String, bool)>,
}

pub struct GridRow {
    pub label: String,
    pub cells: Vec<Cell>,
}

/// Days × hours, plus a first row with who stays where on each day.
pub struct Grid {
    pub days: Vec<String>,
    pub stays: Vec<Cell>,
    pub rows: Vec<GridRow>,
}

/// Lays the items out: a task shows in every hour it covers.
pub fn grid(tr: &Tr, week: i64, first_hour: u8, last_hour: u8, items: &[GridItem]) -> Grid {
    let days = (0..7).map(|day| day_label(tr, week + day)).collect();
    let empty = || {
        (0..7)
            .map(|_| Cell {
                entries: Vec::new(),
            })
            .collect::<Vec<_>>()
    };
    let mut stays = empty();
    let mut rows: Vec<GridRow> = (first_hour..last_hour.max(first_hour))
        .map(|hour| GridRow {
            label: format!("{hour:02}:00"),
            cells: empty(),
        })
        .collect();
    for item in items {
        let Ok(day) = usize::try_from(item.day) else {
            continue;
        };
        if item.hour == u8::MAX {
            if let Some(cell) = stays.get_mut(day) {
                cell.entries.push((item.text.clone(), item.proposed));
            }
            continue;
        }
        for hour in item.hour..item.hour.saturating_add(item.hours) {
            let row = usize::from(hour.saturating_sub(first_hour));
            if hour < first_hour {
                continue;
            }
            if let Some(cell) = rows.get_mut(row).and_then(|row| row.cells.get_mut(day)) {
                cell.entries.push((item.text.clone(), item.proposed));
            }
        }
    }
    Grid { days, stays, rows }
}

/// `YYYY-MM-DD` of a Unix day number.
pub fn date(day: i64) -> String {
    crate::views::date(day.saturating_mul(86_400))
}

/// "Mon 30.11" in the reader's language.
pub fn day_label(tr: &Tr, day: i64) -> String {
    let weekday = (day + 3).rem_euclid(7);
    let iso = date(day);
    let (month, dom) = (iso.get(5..7).unwrap_or(""), iso.get(8..10).unwrap_or(""));
    format!(
        "{} {dom}.{month}",
        tr.label("planning-weekday", &weekday.to_string())
    )
}

#[derive(Template)]
#[template(path = "planning/plan.html")]
pub struct PlanPage {
    pub chrome: Chrome,
    pub title: String,
    pub week: String,
    pub notices: Vec<Notice>,
    pub summary: Option<Summary>,
    pub proposed: Vec<VisitRow>,
    pub committed: Vec<VisitRow>,
    pub left_out: Vec<WaitingRow>,
    pub can_edit: bool,
    pub can_see_transfers: bool,
    pub has_locations: bool,
    pub move_cases: Vec<(String, String)>,
    pub move_locations: Vec<(String, String)>,
    pub move_days: Vec<(u32, String)>,
    pub choices: Vec<Choice>,
    pub grid: Grid,
}

pub struct LocationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub capacity: u32,
    pub days: String,
    pub hours: String,
    pub pickup: String,
}

pub struct StaffRow {
    pub call_sign: String,
    pub role: String,
    pub location: String,
    pub days: String,
    pub cap: String,
}

#[derive(Template)]
#[template(path = "planning/setup.html")]
pub struct SetupPage {
    pub chrome: Chrome,
    pub title: String,
    pub notice: Option<Notice>,
    pub can_edit: bool,
    pub locations: Vec<LocationRow>,
    pub staff: Vec<StaffRow>,
    pub weekdays: Vec<(u32, String)>,
    pub kinds: Vec<(&'static str, String)>,
    pub roles: Vec<(&'static str, String)>,
    pub location_choices: Vec<(String, String)>,
}

pub struct TransferRow {
    /// Arrival day and hour, for the order of the list.
    pub when: (i64, u8),
    pub call_sign: String,
    pub from: String,
    pub to: String,
    pub arrive: String,
    pub back: String,
}

#[derive(Template)]
#[template(path = "planning/transfers.html")]
pub struct TransfersPage {
    pub chrome: Chrome,
    pub title: String,
    pub rows: Vec<TransferRow>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_task_fills_every_hour_it_covers_and_stays_go_on_top() {
        let tr = crate::i18n::tr(Lang::En);
        let items = [
            GridItem {
                day: 1,
                hour: 9,
                hours: 3,
                text: "polygraph".into(),
                proposed: true,
            },
            GridItem {
                day: 2,
                hour: u8::MAX,
                hours: 0,
                text: "Сокол".into(),
                proposed: false,
            },
        ];
        let grid = grid(&tr, 20_787, 8, 18, &items);
        assert_eq!(grid.rows.len(), 10);
        let filled: Vec<usize> = grid
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| !row.cells[1].entries.is_empty())
            .map(|(index, _)| index)
            .collect();
        assert_eq!(filled, vec![1, 2, 3], "09:00, 10:00 and 11:00");
        assert_eq!(grid.stays[2].entries, vec![("Сокол".to_owned(), false)]);
        assert!(grid.days[0].ends_with("30.11"), "{}", grid.days[0]);
    }
}
