//! What planning knows of the office's places and people: safe locations and the staff calendar. Plain values:
//! the store keeps them, the planning engine (`sito-plan`) plans with them, the staff site edits them.

/// Which cases a location receives: a safe house (reached by a transfer) or a prisoner-of-war camp (visited where
/// the candidate already is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationKind {
    SafeHouse,
    Camp,
}

impl LocationKind {
    pub const ALL: [LocationKind; 2] = [LocationKind::SafeHouse, LocationKind::Camp];

    pub const fn as_str(self) -> &'static str {
        match self {
            LocationKind::SafeHouse => "safe_house",
            LocationKind::Camp => "camp",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// The planning role of a calendar entry: the scheduler knows psychologists and polygraph examiners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanningRole {
    Psychologist,
    Examiner,
}

impl PlanningRole {
    pub const ALL: [PlanningRole; 2] = [PlanningRole::Psychologist, PlanningRole::Examiner];

    pub const fn as_str(self) -> &'static str {
        match self {
            PlanningRole::Psychologist => "psychologist",
            PlanningRole::Examiner => "examiner",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// Weekdays as bits, bit 0 = Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Weekdays(pub u8);

impl Weekdays {
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);

    /// `weekday` counts from 0 = Monday.
    pub fn contains(self, weekday: u32) -> bool {
        weekday < 7 && self.0 & (1 << weekday) != 0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeLocation {
    /// A short stable identifier (letters, digits, dashes), used in plans and forms.
    pub id: String,
    pub name: String,
    pub kind: LocationKind,
    /// How many candidates can stay there on one day.
    pub capacity: u32,
    pub open_days: Weekdays,
    /// Opening hours `[open_hour, close_hour)`, local office time.
    pub open_hour: u8,
    pub close_hour: u8,
    /// Where transfers to this location start (a rendezvous point, never an applicant's address).
    pub pickup_point: String,
}

/// One staff member's place in the planning calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarEntry {
    pub call_sign: String,
    pub role: PlanningRole,
    pub location: String,
    pub work_days: Weekdays,
    pub max_tasks_per_day: Option<u32>,
}
