//! The solver's working plan: who is placed where, what every staff member, slot and location day holds, and
//! the cheapest way to fit one more candidate in. Slot sets of one day are 64-bit masks (bit `s` is slot `s`),
//! which `Instance` guarantees by refusing more than 64 slots a day.
use super::instance::{Instance, Role};

/// How far apart the interview day and the first polygraph day, and the two polygraph days, may be in a placement
/// the solver builds. Longer stays only cost location capacity; pinned placements are not limited.
const MAX_DAYS_TO_FIRST_POLYGRAPH: u32 = 2;
const MAX_DAYS_BETWEEN_POLYGRAPHS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskAt {
    pub staff: usize,
    pub day: u32,
    pub slot: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub location: usize,
    pub arrive: u32,
    pub leave: u32,
    pub interview: TaskAt,
    pub first: TaskAt,
    pub second: TaskAt,
}

/// Per location and day prices of the scarce resources, used to choose among the ways to place a candidate.
#[derive(Debug, Clone)]
pub struct Prices {
    pub stay: Vec<f64>,
    pub interview: Vec<f64>,
    pub polygraph: Vec<f64>,
}

impl Prices {
    /// Before any dual information: a stay day is the scarcest thing, staff time next.
    pub fn flat(locations: usize, days: u32) -> Self {
        let n = locations * days as usize;
        Self {
            stay: vec![1.0; n],
            interview: vec![0.2; n],
            polygraph: vec![0.4; n],
        }
    }
}

/// The instance, rearranged for the solver.
#[derive(Debug)]
pub struct Model<'a> {
    pub instance: &'a Instance,
    pub days: u32,
    pub slots: u32,
    pub psychologists: Vec<Vec<usize>>,
    pub examiners: Vec<Vec<usize>>,
    pub staff_cap: Vec<u32>,
    pub value_30: Vec<u64>,
    interview_starts: u64,
    polygraph_starts: u64,
    full_day: u64,
}

fn low_bits(count: u32) -> u64 {
    if count >= 64 {
        u64::MAX
    } else {
        (1_u64 << count) - 1
    }
}

/// Starts `s` such that all of `[s, s + len)` lies in `free`.
fn starts_within(free: u64, len: u32) -> u64 {
    let mut starts = free;
    for shift in 1..len {
        starts &= free >> shift;
    }
    starts
}

fn bits_from(from: u32) -> u64 {
    if from >= 64 { 0 } else { u64::MAX << from }
}

impl<'a> Model<'a> {
    pub fn new(instance: &'a Instance) -> Self {
        let locations = instance.locations.len();
        let mut psychologists = vec![Vec::new(); locations];
        let mut examiners = vec![Vec::new(); locations];
        for (index, staff) in instance.staff.iter().enumerate() {
            match staff.role {
                Role::Psychologist => psychologists[staff.location].push(index),
                Role::Examiner => examiners[staff.location].push(index),
            }
        }
        let slots = instance.slots_per_day;
        let start_mask = |len: u32| {
            if len > slots {
                0
            } else {
                low_bits(slots - len + 1)
            }
        };
        Self {
            instance,
            days: instance.days,
            slots,
            psychologists,
            examiners,
            staff_cap: instance
                .staff
                .iter()
                .map(|s| s.max_tasks_per_day.unwrap_or(u32::MAX))
                .collect(),
            value_30: instance.candidates.iter().map(|c| c.value_30()).collect(),
            interview_starts: start_mask(instance.interview_len),
            polygraph_starts: start_mask(instance.polygraph_len),
            full_day: low_bits(slots),
        }
    }

    pub fn at(&self, location: usize, day: u32) -> usize {
        location * self.days as usize + day as usize
    }
}

#[derive(Debug, Clone)]
pub struct State<'m, 'a> {
    pub model: &'m Model<'a>,
    pub placement: Vec<Option<Placement>>,
    pub pinned: Vec<bool>,
    busy: Vec<u64>,
    tasks: Vec<u32>,
    occupancy: Vec<u32>,
    interview_free: Vec<u64>,
    polygraph_free: Vec<u64>,
    polygraph_free_twice: Vec<u64>,
    pub value_30: u64,
    /// Elementary steps done so far: the solver's deterministic clock.
    pub work: u64,
}

/// The earliest start at or after `ready` (absolute slot) on `day` that is in `mask`.
fn first_start(mask: u64, day: u32, slots: u32, ready: u64) -> Option<u32> {
    let day_start = u64::from(day) * u64::from(slots);
    let from = u32::try_from(ready.saturating_sub(day_start)).unwrap_or(u32::MAX);
    let m = mask & bits_from(from);
    (m != 0).then(|| m.trailing_zeros())
}

impl<'m, 'a> State<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        let days = model.days as usize;
        let staff = model.instance.staff.len();
        let cells = model.instance.locations.len() * days;
        let mut state = Self {
            model,
            placement: vec![None; model.instance.candidates.len()],
            pinned: vec![false; model.instance.candidates.len()],
            busy: vec![0; staff * days],
            tasks: vec![0; staff * days],
            occupancy: vec![0; cells],
            interview_free: vec![0; cells],
            polygraph_free: vec![0; cells],
            polygraph_free_twice: vec![0; cells],
            value_30: 0,
            work: 0,
        };
        for location in 0..model.instance.locations.len() {
            for day in 0..model.days {
                state.refresh(location, day, Role::Psychologist);
                state.refresh(location, day, Role::Examiner);
            }
        }
        state
    }

    fn staff_at(&self, staff: usize, day: u32) -> usize {
        staff * self.model.days as usize + day as usize
    }

    /// Starts at which `staff` could take a task of the given role on `day`.
    pub fn free_starts(&self, staff: usize, day: u32) -> u64 {
        let member = &self.model.instance.staff[staff];
        let at = self.staff_at(staff, day);
        if !member.available[day as usize] || self.tasks[at] >= self.model.staff_cap[staff] {
            return 0;
        }
        let free = !self.busy[at] & self.model.full_day;
        match member.role {
            Role::Psychologist => {
                starts_within(free, self.model.instance.interview_len) & self.model.interview_starts
            }
            Role::Examiner => {
                starts_within(free, self.model.instance.polygraph_len) & self.model.polygraph_starts
            }
        }
    }

    fn refresh(&mut self, location: usize, day: u32, role: Role) {
        let at = self.model.at(location, day);
        let members = match role {
            Role::Psychologist => &self.model.psychologists[location],
            Role::Examiner => &self.model.examiners[location],
        };
        let mut once = 0_u64;
        let mut twice = 0_u64;
        for &staff in members {
            let starts = self.free_starts(staff, day);
            twice |= once & starts;
            once |= starts;
        }
        self.work += members.len() as u64;
        match role {
            Role::Psychologist => self.interview_free[at] = once,
            Role::Examiner => {
                self.polygraph_free[at] = once;
                self.polygraph_free_twice[at] = twice;
            }
        }
    }

    pub fn occupancy(&self, location: usize, day: u32) -> u32 {
        self.occupancy[self.model.at(location, day)]
    }

    fn has_room(&self, location: usize, day: u32) -> bool {
        self.occupancy(location, day) < self.model.instance.locations[location].capacity
    }

    /// Whether a placement fits the current plan (pinned placements come from outside and are checked in full).
    pub fn fits(&self, candidate: usize, p: &Placement) -> Result<(), String> {
        let instance = self.model.instance;
        let c = &instance.candidates[candidate];
        if self.placement[candidate].is_some() {
            return Err("candidate already placed".into());
        }
        if !c.locations.contains(&p.location) {
            return Err("location is not one of the candidate's".into());
        }
        if p.arrive > p.leave || p.leave >= self.model.days || p.arrive < c.earliest_day {
            return Err("stay outside the horizon or before the earliest day".into());
        }
        for day in p.arrive..=p.leave {
            if !self.has_room(p.location, day) {
                return Err(format!("location full on day {day}"));
            }
        }
        let slots = u64::from(self.model.slots);
        let time = |t: &TaskAt| u64::from(t.day) * slots + u64::from(t.slot);
        let (interview_len, polygraph_len) = (instance.interview_len, instance.polygraph_len);
        if time(&p.interview) + u64::from(interview_len) > time(&p.first) {
            return Err("interview ends after polygraph 1 starts".into());
        }
        if time(&p.first) + u64::from(polygraph_len) + u64::from(instance.min_gap) > time(&p.second)
        {
            return Err("polygraph 2 too soon after polygraph 1".into());
        }
        if p.first.staff == p.second.staff {
            return Err("both polygraphs by the same examiner".into());
        }
        for (task, role) in [
            (&p.interview, Role::Psychologist),
            (&p.first, Role::Examiner),
            (&p.second, Role::Examiner),
        ] {
            let member = instance.staff.get(task.staff).ok_or("unknown staff")?;
            if member.role != role || member.location != p.location {
                return Err(format!(
                    "staff {} has the wrong role or location",
                    member.id
                ));
            }
            if !(p.arrive..=p.leave).contains(&task.day) {
                return Err("task outside the stay".into());
            }
            if task.slot >= 64 || self.free_starts(task.staff, task.day) & (1_u64 << task.slot) == 0
            {
                return Err(format!(
                    "staff {} is not free on day {} slot {}",
                    member.id, task.day, task.slot
                ));
            }
        }
        Ok(())
    }

    fn book(&mut self, task: &TaskAt, len: u32, take: bool) {
        let at = self.staff_at(task.staff, task.day);
        let bits = low_bits(len) << task.slot;
        if take {
            self.busy[at] |= bits;
            self.tasks[at] += 1;
        } else {
            self.busy[at] &= !bits;
            self.tasks[at] -= 1;
        }
    }

    fn apply(&mut self, p: &Placement, take: bool) {
        let (interview_len, polygraph_len) = (
            self.model.instance.interview_len,
            self.model.instance.polygraph_len,
        );
        self.book(&p.interview, interview_len, take);
        self.book(&p.first, polygraph_len, take);
        self.book(&p.second, polygraph_len, take);
        for day in p.arrive..=p.leave {
            let at = self.model.at(p.location, day);
            if take {
                self.occupancy[at] += 1;
            } else {
                self.occupancy[at] -= 1;
            }
        }
        self.refresh(p.location, p.interview.day, Role::Psychologist);
        self.refresh(p.location, p.first.day, Role::Examiner);
        if p.second.day != p.first.day {
            self.refresh(p.location, p.second.day, Role::Examiner);
        }
    }

    /// Places `candidate`; the caller has established that the placement fits.
    pub fn commit(&mut self, candidate: usize, p: Placement) {
        self.apply(&p, true);
        self.placement[candidate] = Some(p);
        self.value_30 += self.model.value_30[candidate];
    }

    pub fn remove(&mut self, candidate: usize) -> Option<Placement> {
        let p = self.placement[candidate].take()?;
        self.apply(&p, false);
        self.value_30 -= self.model.value_30[candidate];
        Some(p)
    }

    /// The staff member of `members` free to start at `slot` on `day` that keeps the most others free: the one
    /// already doing the most tasks that day, ties to the lowest index.
    fn pick_staff(
        &self,
        members: &[usize],
        day: u32,
        slot: u32,
        except: Option<usize>,
    ) -> Option<usize> {
        members
            .iter()
            .copied()
            .filter(|&s| Some(s) != except && self.free_starts(s, day) & (1_u64 << slot) != 0)
            .max_by_key(|&s| (self.tasks[self.staff_at(s, day)], std::cmp::Reverse(s)))
    }

    /// Whether two different examiners can take polygraph 1 at (`d1`, `s1`) and polygraph 2 at (`d2`, `s2`).
    fn distinct_examiners(&mut self, location: usize, d1: u32, s1: u32, d2: u32, s2: u32) -> bool {
        let m = self.model;
        if self.polygraph_free_twice[m.at(location, d1)] & (1 << s1) != 0
            || self.polygraph_free_twice[m.at(location, d2)] & (1 << s2) != 0
        {
            return true;
        }
        let members = &m.examiners[location];
        self.work += 2 * members.len() as u64;
        match (
            self.pick_staff(members, d1, s1, None),
            self.pick_staff(members, d2, s2, None),
        ) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        }
    }

    /// The cheapest placement of `candidate` under `prices`, preferring earlier ends on ties; `None` when it
    /// cannot be placed now.
    pub fn best_placement(&mut self, candidate: usize, prices: &Prices) -> Option<Placement> {
        let m = self.model;
        let instance = m.instance;
        let c = &instance.candidates[candidate];
        let slots = u64::from(m.slots);
        let (interview_len, polygraph_len) = (
            u64::from(instance.interview_len),
            u64::from(instance.polygraph_len),
        );
        let gap = u64::from(instance.min_gap);
        let mut best: Option<(f64, u64, [u32; 7])> = None;
        let mut work = 0_u64;
        for &location in &c.locations {
            for di in c.earliest_day..m.days {
                work += 1;
                if !self.has_room(location, di) {
                    continue;
                }
                let Some(si) = first_start(self.interview_free[m.at(location, di)], di, m.slots, 0)
                else {
                    continue;
                };
                let ready = u64::from(di) * slots + u64::from(si) + interview_len;
                let mut stay_cost = 0.0;
                for d1 in di..m.days.min(di + MAX_DAYS_TO_FIRST_POLYGRAPH + 1) {
                    work += 1;
                    if d1 > di && !self.has_room(location, d1) {
                        break;
                    }
                    stay_cost += prices.stay[m.at(location, d1)];
                    let mut first_mask = self.polygraph_free[m.at(location, d1)];
                    let Some(from) = first_start(first_mask, d1, m.slots, ready) else {
                        continue;
                    };
                    first_mask &= bits_from(from);
                    let mut found = None;
                    while first_mask != 0 && found.is_none() {
                        let s1 = first_mask.trailing_zeros();
                        first_mask &= first_mask - 1;
                        let second_ready =
                            u64::from(d1) * slots + u64::from(s1) + polygraph_len + gap;
                        let mut extra_stay = 0.0;
                        for d2 in d1..m.days.min(d1 + MAX_DAYS_BETWEEN_POLYGRAPHS + 1) {
                            work += 1;
                            if d2 > d1 {
                                if !self.has_room(location, d2) {
                                    break;
                                }
                                extra_stay += prices.stay[m.at(location, d2)];
                            }
                            let mut second_mask = self.polygraph_free[m.at(location, d2)];
                            let Some(from) = first_start(second_mask, d2, m.slots, second_ready)
                            else {
                                continue;
                            };
                            second_mask &= bits_from(from);
                            while second_mask != 0 {
                                let s2 = second_mask.trailing_zeros();
                                second_mask &= second_mask - 1;
                                work += 1;
                                if self.distinct_examiners(location, d1, s1, d2, s2) {
                                    found = Some((d2, s2, extra_stay));
                                    break;
                                }
                            }
                            if found.is_some() {
                                break;
                            }
                        }
                        if let Some((d2, s2, extra_stay)) = found {
                            let cost = stay_cost
                                + extra_stay
                                + prices.interview[m.at(location, di)]
                                + prices.polygraph[m.at(location, d1)]
                                + prices.polygraph[m.at(location, d2)];
                            let end = u64::from(d2) * slots + u64::from(s2);
                            let better = match best {
                                None => true,
                                Some((best_cost, best_end, _)) => {
                                    cost < best_cost - 1e-9
                                        || (cost <= best_cost + 1e-9 && end < best_end)
                                }
                            };
                            if better {
                                let location = u32::try_from(location).unwrap_or(u32::MAX);
                                best = Some((cost, end, [location, di, si, d1, s1, d2, s2]));
                            }
                        }
                    }
                }
            }
        }
        self.work += work;
        let (_, _, [location, di, si, d1, s1, d2, s2]) = best?;
        let location = location as usize;
        let interview = self.pick_staff(&m.psychologists[location], di, si, None)?;
        let members = &m.examiners[location];
        let second = self.pick_staff(members, d2, s2, None)?;
        let (first, second) = match self.pick_staff(members, d1, s1, Some(second)) {
            Some(first) => (first, second),
            None => {
                // The only examiner free for polygraph 1 is the one picked for polygraph 2: swap the choice.
                let first = self.pick_staff(members, d1, s1, None)?;
                (first, self.pick_staff(members, d2, s2, Some(first))?)
            }
        };
        Some(Placement {
            location,
            arrive: di,
            leave: d2,
            interview: TaskAt {
                staff: interview,
                day: di,
                slot: si,
            },
            first: TaskAt {
                staff: first,
                day: d1,
                slot: s1,
            },
            second: TaskAt {
                staff: second,
                day: d2,
                slot: s2,
            },
        })
    }

    /// Places `candidate` at its cheapest placement, if there is one.
    pub fn insert(&mut self, candidate: usize, prices: &Prices) -> bool {
        match self.best_placement(candidate, prices) {
            Some(p) => {
                self.commit(candidate, p);
                true
            }
            None => false,
        }
    }
}
