//! Synthetic applications for `sito demo`: plausible names (Russian, Ukrainian and minority, mostly Cyrillic, some
//! Latin), all categories, spread over every stage by walking the real state machine, so every screen has data and
//! every stored history is one the pipeline could have produced.
use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use sito_core::findings::Findings;
use sito_core::machine::{
    APPROVAL_CHECK, Actor, CaseState, Closure, Command, Event, PolygraphOutcome,
};
use sito_core::pipeline::Guard;
use sito_core::{
    CaseId, Category, FieldGroup, GroupContent, Phase, Pipeline, Role, StaffId, Status, UnitId,
};
use sito_store::NewCase;
use uuid::Uuid;

mod names;
use names::{BRANCHES, CALL_SIGNS, CITIES, MESSENGERS, MINORITY, RANKS, RUSSIAN, UKRAINIAN, latin};

/// What the demo's staff write in a finding's text fields.
const FINDING_TEXT: &str =
    "Examined in person; consistent with the application and the earlier stages.";

/// Staff work office hours (08:00–18:00 UTC), so the demo's event log reads like an office's: a moment outside them
/// moves on to the next working morning, spread over its first three hours by the moment itself (not by the
/// generator, whose sequence would shift and change every demo case). The capacity page reads the working day here.
fn office_hours(at: i64) -> i64 {
    const OPENS: i64 = 8 * 3_600;
    const CLOSES: i64 = 18 * 3_600;
    let day = at.div_euclid(86_400) * 86_400;
    let time_of_day = at - day;
    if (OPENS..CLOSES).contains(&time_of_day) {
        at
    } else {
        let next_morning = if time_of_day < OPENS {
            day
        } else {
            day + 86_400
        };
        next_morning + OPENS + at.rem_euclid(3 * 3_600)
    }
}

/// The accounts the demo walks cases with: the same people who sign in.
pub struct DemoStaff {
    pub members: Vec<(StaffId, Role)>,
}

impl DemoStaff {
    fn first(&self, role: Role) -> Actor {
        self.nth(role, 0)
    }

    fn nth(&self, role: Role, n: usize) -> Actor {
        let mut of_role = self.members.iter().filter(|(_, r)| *r == role);
        let first = of_role
            .clone()
            .next()
            .map(|(id, _)| *id)
            .unwrap_or(StaffId::from_uuid(Uuid::nil()));
        let id = of_role.nth(n).map(|(id, _)| *id).unwrap_or(first);
        Actor { id, role }
    }
}

pub struct Generator<'a> {
    rng: StdRng,
    pipeline: &'a Pipeline,
    staff: &'a DemoStaff,
    units: Vec<(UnitId, u32)>,
    assigned: BTreeMap<UnitId, u32>,
    now: i64,
}

impl<'a> Generator<'a> {
    pub fn new(
        seed: u64,
        pipeline: &'a Pipeline,
        staff: &'a DemoStaff,
        units: Vec<(UnitId, u32)>,
        now: i64,
    ) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            pipeline,
            staff,
            units,
            assigned: BTreeMap::new(),
            now,
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).unwrap_or(&items[0])
    }

    pub fn case(&mut self, n: usize) -> NewCase {
        let category = match self.rng.random_range(0..100) {
            0..=39 => Category::FormerServiceman,
            40..=59 => Category::ResidentOfUkraine,
            60..=79 => Category::PoliticalEmigre,
            80..=94 => Category::PrisonerOfWar,
            _ => Category::Other,
        };
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes);
        // A v4-shaped id from the seeded generator, so a demo database is reproducible.
        let id = CaseId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid());
        let call_sign = format!("{}-{}", self.pick(CALL_SIGNS), 100 + n);
        let track_len = self.pipeline.track(category).count();
        // Most cases sit early in the pipeline: the backlog is what the office fights.
        let target = {
            let roll: f64 = self.rng.random();
            ((roll * roll) * track_len as f64) as usize
        };
        // Old enough to have walked that far at a few days a stage, plus some waiting in the current one.
        let age_days = target as i64 * 3 + self.rng.random_range(0..12);
        let received_at = self.now - age_days * 86_400 - self.rng.random_range(3_600..86_400);
        let mut content = self.content(category);
        shared_keys(n, &mut content);
        let mut events = vec![
            CaseState::receive(self.pipeline, category, &call_sign, received_at).unwrap_or_else(
                || Event {
                    seq: 1,
                    at: received_at,
                    actor: None,
                    kind: sito_core::EventKind::Received {
                        category,
                        call_sign: call_sign.clone(),
                        stage: "received".into(),
                    },
                },
            ),
        ];
        let mut state = CaseState::fold(id, &events);
        self.walk(&mut state, &mut events, target);
        self.settle_wait(&mut state, &mut events);
        let owner_role = self
            .pipeline
            .stage(&state.stage)
            .map(|stage| stage.owner)
            .unwrap_or(Role::IntakeCoordinator);
        NewCase {
            events,
            state,
            owner_role,
            content,
        }
    }

    /// Shifts the case's history by whole days (office hours stay office hours) so that its wait in the current
    /// stage is near the stage's target: a demo office has a few cases past their target, not all of them, and a
    /// queue's "overdue" then means something.
    fn settle_wait(&mut self, state: &mut CaseState, events: &mut [Event]) {
        let Some(target_days) = self
            .pipeline
            .stage(&state.stage)
            .map(|stage| i64::from(stage.target_days))
            .filter(|days| *days > 0)
        else {
            return;
        };
        let Some(last_at) = events.iter().map(|event| event.at).max() else {
            return;
        };
        // About one case in five waits past its target.
        let wait = self.rng.random_range(0..=target_days * 5 / 4) * 86_400
            + self.rng.random_range(0..86_400 / 2);
        let wanted_entry = self.now - wait;
        let latest_shift = (self.now - 60 - last_at).div_euclid(86_400) * 86_400;
        let shift =
            ((wanted_entry - state.stage_entered_at).div_euclid(86_400) * 86_400).min(latest_shift);
        if shift == 0 {
            return;
        }
        for event in events.iter_mut() {
            event.at += shift;
            // A move once capped at "a minute ago" is an ordinary past move now: in office hours like the rest
            // (still before the next, since it moves at most to the next morning and the shift is whole days).
            if event.actor.is_some() {
                event.at = office_hours(event.at);
            }
        }
        *state = CaseState::fold(state.id, &*events);
    }

    fn apply(
        &mut self,
        state: &mut CaseState,
        events: &mut Vec<Event>,
        actor: Actor,
        command: Command,
    ) -> bool {
        let Ok(kinds) = state.decide(self.pipeline, actor, &command) else {
            return false;
        };
        let step = self.rng.random_range(600..2 * 86_400);
        let at = office_hours(state.updated_at + step).min(self.now - 60);
        let stamped = state.stamp(kinds, Some(actor.id), at);
        for event in &stamped {
            state.apply(event);
        }
        events.extend(stamped);
        true
    }

    /// Moves a case along its track to a random point, the way staff would, with some closed on the way.
    fn walk(&mut self, state: &mut CaseState, events: &mut Vec<Event>, target: usize) {
        let track_len = self.pipeline.track(state.category).count();
        let stages: Vec<_> = self.pipeline.track(state.category).cloned().collect();
        for stage in stages.iter().take(target.min(track_len.saturating_sub(1))) {
            if self.rng.random_range(0..100) < 4 {
                // Rejected by whoever owns the stage (only the owner or security may reject).
                let actor = self.staff.first(stage.owner);
                let reason = if stage.phase == Phase::Intake {
                    "duplicate of an earlier application"
                } else {
                    "does not meet the requirements of this stage"
                };
                self.apply(
                    state,
                    events,
                    actor,
                    Command::Close {
                        closure: Closure::Rejected,
                        reason: reason.into(),
                    },
                );
                return;
            }
            let owner = self.staff.first(stage.owner);
            match stage.phase {
                Phase::FirstPolygraph | Phase::SecondPolygraph => {
                    let examiner = self.staff.nth(
                        Role::PolygraphExaminer,
                        usize::from(stage.phase == Phase::SecondPolygraph),
                    );
                    let outcome = PolygraphOutcome::NoDeceptionIndicated;
                    let findings =
                        self.example_findings(stage.checklist.first().map(String::as_str));
                    self.apply(
                        state,
                        events,
                        examiner,
                        Command::RecordExamination { outcome, findings },
                    );
                }
                _ => {
                    if stage
                        .checklist
                        .iter()
                        .any(|check| self.pipeline.is_booking_check(check))
                    {
                        // Visits are booked by the planning commit, as the logistics officer.
                        let logistics = self.staff.first(Role::LogisticsOfficer);
                        self.apply(state, events, logistics, Command::BookVisit);
                    }
                    for check in &stage.checklist {
                        self.record_check(state, events, owner, check);
                    }
                }
            }
            if stage.guards.contains(&Guard::TwoApprovals) {
                for n in 0..2 {
                    let findings = self.example_findings(Some(APPROVAL_CHECK));
                    self.apply(
                        state,
                        events,
                        self.staff.nth(Role::BoardMember, n),
                        Command::ApproveWithReasons { findings },
                    );
                }
            }
            if stage.guards.contains(&Guard::UnitCapacity) {
                let Some((unit, target)) = self.free_unit() else {
                    return;
                };
                let assigned = self.assigned.get(&unit).copied().unwrap_or(0);
                if self.apply(
                    state,
                    events,
                    owner,
                    Command::AssignUnit {
                        unit,
                        assigned,
                        target,
                    },
                ) {
                    *self.assigned.entry(unit).or_default() += 1;
                }
                return;
            }
            self.apply(
                state,
                events,
                owner,
                Command::Advance {
                    note: String::new(),
                },
            );
        }
        // Where the case now waits: sometimes with work half done, a request to the applicant, or a hold.
        let current = self.pipeline.stage(&state.stage).cloned();
        if let Some(stage) = current.filter(|_| state.status == Status::Active) {
            if let Some(check) = stage
                .checklist
                .first()
                .filter(|_| self.rng.random_bool(0.3))
                && !matches!(stage.phase, Phase::FirstPolygraph | Phase::SecondPolygraph)
            {
                let owner = self.staff.first(stage.owner);
                self.record_check(state, events, owner, check);
            }
            if stage.phase == Phase::Intake && self.rng.random_bool(0.12) {
                let message = "the scan of the passport is unreadable; please send a sharper photo";
                self.apply(
                    state,
                    events,
                    self.staff.first(Role::IntakeCoordinator),
                    Command::ReturnToApplicant {
                        message: message.into(),
                    },
                );
            }
            if stage.id == "screening_review" && self.rng.random_bool(0.35) {
                let security = self.staff.first(Role::SecurityOfficer);
                let summary = "possible watchlist match (name and year of birth)";
                self.apply(
                    state,
                    events,
                    security,
                    Command::OpenFlag {
                        flag: format!("hit-{}", state.version),
                        summary: summary.into(),
                    },
                );
            }
            if stage.phase == Phase::Vetting && self.rng.random_bool(0.02) {
                let security = self.staff.first(Role::SecurityOfficer);
                self.apply(
                    state,
                    events,
                    security,
                    Command::Close {
                        closure: Closure::Held,
                        reason: "contradictions in the service record".into(),
                    },
                );
            }
            if stage.phase == Phase::Intake && self.rng.random_bool(0.02) {
                let coordinator = self.staff.first(Role::IntakeCoordinator);
                self.apply(
                    state,
                    events,
                    coordinator,
                    Command::Close {
                        closure: Closure::Withdrawn,
                        reason: "withdrawn by the applicant".into(),
                    },
                );
            }
        }
    }

    /// Records a check by hand with example findings where the pipeline declares some; booking checks are left to
    /// `BookVisit` (the machine refuses them by hand).
    fn record_check(
        &mut self,
        state: &mut CaseState,
        events: &mut Vec<Event>,
        actor: Actor,
        check: &str,
    ) {
        if self.pipeline.is_booking_check(check) {
            return;
        }
        let findings = self.example_findings(Some(check));
        self.apply(
            state,
            events,
            actor,
            Command::RecordCheck {
                check: check.to_owned(),
                findings,
            },
        );
    }

    /// A valid filling of the check's declared findings (none for a check that declares none).
    fn example_findings(&self, check: Option<&str>) -> Findings {
        check
            .and_then(|check| self.pipeline.findings(check))
            .map(|spec| spec.example(FINDING_TEXT))
            .unwrap_or_default()
    }

    fn free_unit(&mut self) -> Option<(UnitId, u32)> {
        let free: Vec<(UnitId, u32)> = self
            .units
            .iter()
            .copied()
            .filter(|(unit, target)| self.assigned.get(unit).copied().unwrap_or(0) < *target)
            .collect();
        free.choose(&mut self.rng).copied()
    }

    fn content(&mut self, category: Category) -> BTreeMap<FieldGroup, GroupContent> {
        let pool = match self.rng.random_range(0..100) {
            0..=64 => &RUSSIAN,
            65..=84 => &UKRAINIAN,
            _ => &MINORITY,
        };
        let female = self.rng.random_bool(0.08);
        let (surname_m, surname_f) = self.pick(pool.surnames);
        let father = self.pick(pool.male);
        let (given, patronymic, surname) = if female {
            let (given, _) = self.pick(pool.female);
            (given, father.2, surname_f)
        } else {
            let own = self.pick(pool.male);
            (own.0, father.1, surname_m)
        };
        let mut full_name = format!("{surname} {given} {patronymic}");
        if self.rng.random_bool(0.12) {
            full_name = latin(&format!("{given} {surname}"));
        }
        let year = self.rng.random_range(1965..2005);
        let birth_date = format!(
            "{year}-{:02}-{:02}",
            self.rng.random_range(1..13),
            self.rng.random_range(1..29)
        );
        let birth_place = self.pick(CITIES);
        let mut identity = GroupContent::default();
        identity.push("full_name", full_name);
        identity.push("birth_date", birth_date);
        identity.push("birth_place", birth_place);
        let mut contacts = GroupContent::default();
        let messenger = self.pick(MESSENGERS);
        contacts.push(
            messenger,
            format!(
                "+7 9{:02} {:03}-{:02}-{:02}",
                self.rng.random_range(0..100),
                self.rng.random_range(0..1000),
                self.rng.random_range(0..100),
                self.rng.random_range(0..100)
            ),
        );
        let mut location = GroupContent::default();
        let where_now = match category {
            Category::PrisonerOfWar => "prisoner-of-war camp (Ukraine)",
            Category::ResidentOfUkraine => "Ukraine",
            Category::PoliticalEmigre => "abroad (EU)",
            _ => "Russian Federation",
        };
        location.push("current_location", where_now);
        let mut military = GroupContent::default();
        let served = category == Category::FormerServiceman
            || category == Category::PrisonerOfWar
            || self.rng.random_bool(0.3);
        military.push("served", if served { "yes" } else { "no" });
        if served {
            military.push("branch", self.pick(BRANCHES));
            military.push("rank", self.pick(RANKS));
        }
        let mut motivation = GroupContent::default();
        motivation.push("statement", match category {
            Category::PrisonerOfWar => "I want to fight against the regime that sent me here. I volunteer of my own will.",
            Category::PoliticalEmigre => "I left Russia after the arrests of my friends; I want to help free it.",
            Category::ResidentOfUkraine => "I have lived in Ukraine for many years; this is my home and I will defend it.",
            _ => "I served and know the army from inside; I want to use that against the dictatorship.",
        });
        let mut documents = GroupContent::default();
        documents.push("submitted", "internal passport (scan), military ID (scan)");
        BTreeMap::from([
            (FieldGroup::Identity, identity),
            (FieldGroup::Contacts, contacts),
            (FieldGroup::Location, location),
            (FieldGroup::MilitaryBackground, military),
            (FieldGroup::Motivation, motivation),
            (FieldGroup::Documents, documents),
        ])
    }
}

/// Demo applications that share keys, so the cluster pages have something to show (positions in the demo's order;
/// a smaller demo keeps the groups whose members it has). Each member writes the shared value its own way, as
/// people do; the linker's normalisers read them as one.
const HANDLER_GROUP: &[(usize, &str, &str)] = &[
    // A handler's phone and a recruiter's handle behind three applications: flagged (two kinds of key).
    (17, "+7 (925) 410-33-87", "@dmitry_verbovka"),
    (64, "89254103387", "t.me/dmitry_verbovka"),
    (131, "+79254103387", "https://t.me/Dmitry_Verbovka"),
];
const MAILBOX_GROUP: &[(usize, Option<&str>, Option<&str>)] = &[
    // One mailbox and one flat: two applications share both, two more one each; one group of four, flagged.
    (
        42,
        Some("volna.group@gmail.com"),
        Some("Ростов-на-Дону, ул. Садовая, д. 12, кв. 4"),
    ),
    (
        43,
        Some("Volna.Group+legion@gmail.com"),
        Some("ростов-на-дону,  ул.Садовая, д.12, кв.4"),
    ),
    (158, None, Some("Ростов-на-Дону ул Садовая д 12 кв 4")),
    (199, Some("volnagroup@googlemail.com"), None),
];
/// Two applications giving one phone (brothers, say): linked by one kind of key, not flagged.
const FAMILY_PAIR: &[usize] = &[88, 176];
/// A public channel many applicants name as who sent them: too common to link by, reported as a signal.
const PUBLIC_CHANNEL: &str = "https://t.me/legion_svobody";

fn shared_keys(n: usize, content: &mut BTreeMap<FieldGroup, GroupContent>) {
    let mut contacts = content.remove(&FieldGroup::Contacts).unwrap_or_default();
    let mut location = content.remove(&FieldGroup::Location).unwrap_or_default();
    if let Some((_, phone, referrer)) = HANDLER_GROUP.iter().find(|(at, ..)| *at == n) {
        contacts.push("whatsapp", *phone);
        contacts.push("referrer", *referrer);
    } else if n % 29 == 5 {
        contacts.push("referrer", PUBLIC_CHANNEL);
    }
    if let Some((_, email, address)) = MAILBOX_GROUP.iter().find(|(at, ..)| *at == n) {
        if let Some(email) = email {
            contacts.push("email", *email);
        }
        if let Some(address) = address {
            location.push("address", *address);
        }
    }
    if FAMILY_PAIR.contains(&n) {
        contacts.push("phone", "+380 67 555 12 34");
    }
    content.insert(FieldGroup::Contacts, contacts);
    content.insert(FieldGroup::Location, location);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transliteration_follows_the_passport_system() {
        assert_eq!(latin("Андрей Соловьёв"), "Andrei Solovev");
        assert_eq!(latin("Щукин"), "Shchukin");
    }

    #[test]
    fn generated_cases_are_consistent_histories() {
        let pipeline = Pipeline::default_legion().expect("pipeline");
        let members = Role::ALL
            .iter()
            .enumerate()
            .flat_map(|(n, role)| {
                (0..2u128).map(move |k| {
                    (
                        StaffId::from_uuid(Uuid::from_u128(n as u128 * 10 + k)),
                        *role,
                    )
                })
            })
            .collect();
        let staff = DemoStaff { members };
        let unit = UnitId::from_uuid(Uuid::from_u128(500));
        let mut generator = Generator::new(1, &pipeline, &staff, vec![(unit, 3)], 1_800_000_000);
        let cases: Vec<_> = (0..400).map(|n| generator.case(n)).collect();
        let mut stages = std::collections::BTreeSet::new();
        for case in &cases {
            assert_eq!(CaseState::fold(case.state.id, &case.events), case.state);
            stages.insert(case.state.stage.clone());
        }
        assert!(stages.len() >= 10, "cases spread over stages: {stages:?}");
        let now = 1_800_000_000;
        // Nobody waits for weeks in a stage because the generator's own command was refused (briefing excepted:
        // there the test's one small unit is full, as it should be).
        for case in cases
            .iter()
            .filter(|case| case.state.status == Status::Active && case.state.stage != "briefing")
        {
            assert!(
                case.state.stage_age_days(now) <= 25,
                "{} stuck at {}",
                case.state.call_sign,
                case.state.stage
            );
        }
        // The demo's queues mean something: some cases past their stage's target, most within it.
        let active: Vec<_> = cases
            .iter()
            .filter(|case| case.state.status == Status::Active)
            .collect();
        let overdue = active
            .iter()
            .filter(|case| pipeline.is_overdue(&case.state.stage, case.state.stage_entered_at, now))
            .count();
        assert!(
            overdue > 0 && overdue * 2 < active.len(),
            "{overdue} of {} active cases overdue",
            active.len()
        );
        let completed = cases
            .iter()
            .filter(|case| case.state.status == Status::Completed)
            .count();
        assert!(completed <= 3, "the unit's target strength is respected");
        // Staff moves fall in office hours, except the newest ones, which are capped at "a minute ago".
        let staff_moves: Vec<i64> = cases
            .iter()
            .flat_map(|case| case.events.iter())
            .filter(|event| event.actor.is_some() && event.at < now - 60)
            .map(|event| event.at.rem_euclid(86_400) / 3_600)
            .collect();
        assert!(!staff_moves.is_empty());
        assert!(
            staff_moves.iter().all(|hour| (8..18).contains(hour)),
            "hours seen: {:?}",
            staff_moves
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
        );
    }

    #[test]
    fn office_hours_keep_a_working_moment_and_move_others_to_the_next_morning() {
        let day = 20_000 * 86_400;
        assert_eq!(office_hours(day + 9 * 3_600), day + 9 * 3_600);
        let early = office_hours(day + 3 * 3_600 + 125);
        assert!((day + 8 * 3_600..day + 11 * 3_600).contains(&early));
        let late = office_hours(day + 22 * 3_600 + 7);
        assert!((day + 86_400 + 8 * 3_600..day + 86_400 + 11 * 3_600).contains(&late));
    }
}
