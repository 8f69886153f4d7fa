//! The instance: its wire shape (serde, exactly the contract's JSON) and the validated, index-based form the
//! solver and the checker work on. Only `Instance::from_file` builds the validated form, so every `Instance` in
//! the program has passed the checks below.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Above these sizes an instance is refused as malformed rather than exhausting memory; the contract's family
/// uses 5 or 10 days of 8 slots, and per-day slot sets are 64-bit masks.
pub const MAX_DAYS: u32 = 1_000;
pub const MAX_SLOTS_PER_DAY: u32 = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceFile {
    pub days: u32,
    pub slots_per_day: u32,
    pub durations: DurationsFile,
    pub min_gap_slots: u32,
    pub locations: Vec<LocationFile>,
    pub staff: Vec<StaffFile>,
    pub candidates: Vec<CandidateFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DurationsFile {
    pub interview: u32,
    pub polygraph: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocationFile {
    pub id: String,
    pub capacity: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Psychologist,
    Examiner,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffFile {
    pub id: String,
    pub role: Role,
    pub location: String,
    /// Days outside the horizon (even negative ones) are accepted and ignored, as the official checker does.
    pub available_days: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tasks_per_day: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CandidateFile {
    pub id: String,
    pub priority: u32,
    pub waiting_days: u32,
    pub earliest_day: u32,
    pub locations: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("not a valid instance: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{field} must be at least 1")]
    Zero { field: &'static str },
    #[error("{field} is {value}, above the supported maximum of {max}")]
    TooLarge {
        field: &'static str,
        value: u32,
        max: u32,
    },
    #[error("{list}[{index}]: duplicate id {id:?}")]
    DuplicateId {
        list: &'static str,
        index: usize,
        id: String,
    },
    #[error("{list}[{index}]: unknown location {location:?}")]
    UnknownLocation {
        list: &'static str,
        index: usize,
        location: String,
    },
    #[error("candidates[{index}]: priority {value} is outside 1..5")]
    Priority { index: usize, value: u32 },
}

#[derive(Debug, Clone)]
pub struct Location {
    pub id: String,
    pub capacity: u32,
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub id: String,
    pub role: Role,
    pub location: usize,
    /// One flag per day of the horizon.
    pub available: Vec<bool>,
    pub max_tasks_per_day: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub priority: u32,
    pub waiting_days: u32,
    pub earliest_day: u32,
    /// Allowed locations, as indices, without repeats, in the order given.
    pub locations: Vec<usize>,
}

impl Candidate {
    /// The contract's worth of scheduling this candidate: `priority + waiting_days / 30`.
    pub fn value(&self) -> f64 {
        f64::from(self.priority) + f64::from(self.waiting_days) / 30.0
    }

    /// The same worth times 30, exact, for comparisons that must not drift.
    pub fn value_30(&self) -> u64 {
        u64::from(self.priority) * 30 + u64::from(self.waiting_days)
    }
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub days: u32,
    pub slots_per_day: u32,
    pub interview_len: u32,
    pub polygraph_len: u32,
    pub min_gap: u32,
    pub locations: Vec<Location>,
    pub staff: Vec<Staff>,
    pub candidates: Vec<Candidate>,
    location_index: HashMap<String, usize>,
    staff_index: HashMap<String, usize>,
    candidate_index: HashMap<String, usize>,
}

impl Instance {
    pub fn from_json(text: &str) -> Result<Self, InstanceError> {
        let file: InstanceFile = serde_json::from_str(text)?;
        Self::from_file(file)
    }

    pub fn from_file(file: InstanceFile) -> Result<Self, InstanceError> {
        for (field, value) in [
            ("days", file.days),
            ("slots_per_day", file.slots_per_day),
            ("durations.interview", file.durations.interview),
            ("durations.polygraph", file.durations.polygraph),
        ] {
            if value == 0 {
                return Err(InstanceError::Zero { field });
            }
        }
        if file.days > MAX_DAYS {
            return Err(InstanceError::TooLarge {
                field: "days",
                value: file.days,
                max: MAX_DAYS,
            });
        }
        if file.slots_per_day > MAX_SLOTS_PER_DAY {
            return Err(InstanceError::TooLarge {
                field: "slots_per_day",
                value: file.slots_per_day,
                max: MAX_SLOTS_PER_DAY,
            });
        }

        let mut location_index = HashMap::new();
        let mut locations = Vec::with_capacity(file.locations.len());
        for (index, location) in file.locations.into_iter().enumerate() {
            if location_index.insert(location.id.clone(), index).is_some() {
                return Err(InstanceError::DuplicateId {
                    list: "locations",
                    index,
                    id: location.id,
                });
            }
            locations.push(Location {
                id: location.id,
                capacity: location.capacity,
            });
        }

        let days = file.days;
        let mut staff_index = HashMap::new();
        let mut staff = Vec::with_capacity(file.staff.len());
        for (index, member) in file.staff.into_iter().enumerate() {
            let Some(&location) = location_index.get(&member.location) else {
                return Err(InstanceError::UnknownLocation {
                    list: "staff",
                    index,
                    location: member.location,
                });
            };
            if staff_index.insert(member.id.clone(), index).is_some() {
                return Err(InstanceError::DuplicateId {
                    list: "staff",
                    index,
                    id: member.id,
                });
            }
            let mut available = vec![false; days as usize];
            for day in member.available_days {
                if let Ok(day) = usize::try_from(day)
                    && let Some(flag) = available.get_mut(day)
                {
                    *flag = true;
                }
            }
            staff.push(Staff {
                id: member.id,
                role: member.role,
                location,
                available,
                max_tasks_per_day: member.max_tasks_per_day,
            });
        }

        let mut candidate_index = HashMap::new();
        let mut candidates = Vec::with_capacity(file.candidates.len());
        for (index, candidate) in file.candidates.into_iter().enumerate() {
            if !(1..=5).contains(&candidate.priority) {
                return Err(InstanceError::Priority {
                    index,
                    value: candidate.priority,
                });
            }
            let mut allowed = Vec::with_capacity(candidate.locations.len());
            for location in candidate.locations {
                let Some(&location_at) = location_index.get(&location) else {
                    return Err(InstanceError::UnknownLocation {
                        list: "candidates",
                        index,
                        location,
                    });
                };
                if !allowed.contains(&location_at) {
                    allowed.push(location_at);
                }
            }
            if candidate_index
                .insert(candidate.id.clone(), index)
                .is_some()
            {
                // Candidate ids may identify people: the index is enough to find the line.
                return Err(InstanceError::DuplicateId {
                    list: "candidates",
                    index,
                    id: String::from("(hidden)"),
                });
            }
            candidates.push(Candidate {
                id: candidate.id,
                priority: candidate.priority,
                waiting_days: candidate.waiting_days,
                earliest_day: candidate.earliest_day,
                locations: allowed,
            });
        }

        Ok(Self {
            days,
            slots_per_day: file.slots_per_day,
            interview_len: file.durations.interview,
            polygraph_len: file.durations.polygraph,
            min_gap: file.min_gap_slots,
            locations,
            staff,
            candidates,
            location_index,
            staff_index,
            candidate_index,
        })
    }

    pub fn location_by_id(&self, id: &str) -> Option<usize> {
        self.location_index.get(id).copied()
    }

    pub fn staff_by_id(&self, id: &str) -> Option<usize> {
        self.staff_index.get(id).copied()
    }

    pub fn candidate_by_id(&self, id: &str) -> Option<usize> {
        self.candidate_index.get(id).copied()
    }

    /// Duration in slots of a task of this kind.
    pub fn duration(&self, kind: TaskKind) -> u32 {
        match kind {
            TaskKind::Interview => self.interview_len,
            TaskKind::Polygraph1 | TaskKind::Polygraph2 => self.polygraph_len,
        }
    }

    /// The sum of every candidate's worth: a trivial upper bound on any plan.
    pub fn total_value(&self) -> f64 {
        self.candidates.iter().map(Candidate::value).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    Interview,
    Polygraph1,
    Polygraph2,
}

impl TaskKind {
    pub const ALL: [TaskKind; 3] = [
        TaskKind::Interview,
        TaskKind::Polygraph1,
        TaskKind::Polygraph2,
    ];

    pub fn role(self) -> Role {
        match self {
            TaskKind::Interview => Role::Psychologist,
            TaskKind::Polygraph1 | TaskKind::Polygraph2 => Role::Examiner,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Interview => "interview",
            TaskKind::Polygraph1 => "polygraph1",
            TaskKind::Polygraph2 => "polygraph2",
        }
    }
}
