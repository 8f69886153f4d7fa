//! The demo's planning office: two safe houses and a prisoner-of-war camp with their staff calendars, so next
//! week's plan has people, rooms and days to work with. Call signs of the demo's psychologist and examiners
//! (heron, wolf, raven) are in it, so they find their own calendar on the planning page.
use sito_store::planning::{
    CalendarEntry, LocationKind, PlanningRole, PlanningStore, SafeLocation, Weekdays,
};

/// Weekdays as bits from a list, 0 = Monday.
const fn days(list: &[u8]) -> Weekdays {
    let mut bits = 0u8;
    let mut index = 0;
    while index < list.len() {
        bits |= 1 << list[index];
        index += 1;
    }
    Weekdays(bits)
}

/// Seeds the locations and the calendar once; a demo directory that has them keeps its own (edited) ones.
pub async fn seed_planning(store: &dyn PlanningStore) -> anyhow::Result<()> {
    if !store.locations().await?.is_empty() {
        return Ok(());
    }
    let location = |id: &str, name: &str, kind, capacity, open_days, pickup: &str| SafeLocation {
        id: id.to_owned(),
        name: name.to_owned(),
        kind,
        capacity,
        open_days,
        open_hour: 8,
        close_hour: 18,
        pickup_point: pickup.to_owned(),
    };
    let locations = [
        location(
            "north",
            "Safe house North",
            LocationKind::SafeHouse,
            4,
            Weekdays::MONDAY_TO_FRIDAY,
            "Chernihiv railway station, east exit",
        ),
        location(
            "west",
            "Safe house West",
            LocationKind::SafeHouse,
            3,
            days(&[0, 1, 2, 3, 4, 5]),
            "Lviv bus station, platform 12",
        ),
        location(
            "camp",
            "Camp West-1 (interview rooms)",
            LocationKind::Camp,
            2,
            Weekdays::MONDAY_TO_FRIDAY,
            "no transfer: inside the camp",
        ),
    ];
    for place in &locations {
        store.save_location(place).await?;
    }
    let entry = |call_sign: &str, role, location: &str, work_days, cap| CalendarEntry {
        call_sign: call_sign.to_owned(),
        role,
        location: location.to_owned(),
        work_days,
        max_tasks_per_day: Some(cap),
    };
    use PlanningRole::{Examiner, Psychologist};
    let calendar = [
        entry(
            "heron",
            Psychologist,
            "north",
            Weekdays::MONDAY_TO_FRIDAY,
            3,
        ),
        entry("wolf", Examiner, "north", days(&[0, 1, 2, 3]), 2),
        entry("raven", Examiner, "north", days(&[1, 2, 3, 4]), 2),
        entry("sparrow", Psychologist, "west", days(&[0, 2, 4, 5]), 3),
        entry("kestrel", Examiner, "west", days(&[0, 1, 2, 3, 4, 5]), 2),
        entry("marten", Examiner, "west", Weekdays::MONDAY_TO_FRIDAY, 2),
        entry("crane", Psychologist, "camp", days(&[1, 2, 3]), 3),
        entry("stork", Examiner, "camp", Weekdays::MONDAY_TO_FRIDAY, 2),
        entry("otter", Examiner, "camp", days(&[1, 2, 3, 4]), 2),
    ];
    for member in &calendar {
        store.save_calendar_entry(member).await?;
    }
    eprintln!(
        "planning: {} locations and {} staff calendar entries",
        locations.len(),
        calendar.len()
    );
    Ok(())
}
