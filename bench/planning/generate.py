#!/usr/bin/env python3
"""Random vetting-schedule instances of the family in shared/data/plan-sample/README.md.

    generate.py --candidates N --seed S > instance.json

Written from the README's description (the same family as crates/sito-plan/src/schedule/generate.rs, not the
same random stream), never fitted to the samples.
"""
import argparse
import json
import random


def generate(n: int, seed: int) -> dict:
    rng = random.Random(seed)
    days = 10 if rng.random() < 0.25 else 5
    durations = {"interview": rng.randint(1, 2), "polygraph": rng.randint(2, 3)}
    min_gap = rng.randint(2, 8)
    drawn_locations = rng.randint(1, 4)
    examiners = max(2, round(n / rng.uniform(6, 10)))
    psychologists = max(1, round(n / rng.uniform(15, 25)))
    # Every location has two examiners and a psychologist, so small instances are not empty by construction.
    nloc = max(1, min(drawn_locations, examiners // 2, psychologists))
    share = rng.uniform(0.15, 0.35) * 5.0 / days
    weights = [rng.uniform(0.5, 1.5) for _ in range(nloc)]
    total_w = sum(weights)
    locations = [
        {"id": f"loc-{i + 1}", "capacity": max(1, round(n * share * w / total_w))} for i, w in enumerate(weights)
    ]
    staff = []
    for role, count, prefix in (("examiner", examiners, "ex"), ("psychologist", psychologists, "ps")):
        for i in range(count):
            loc = i % nloc if i < 2 * nloc else rng.randrange(nloc)
            off = 0.0 if rng.random() < 0.6 else rng.uniform(0.1, 0.4)
            member = {
                "id": f"{prefix}-{i + 1}",
                "role": role,
                "location": f"loc-{loc + 1}",
                "available_days": [d for d in range(days) if rng.random() >= off],
            }
            if role == "examiner" and rng.random() < 0.88:
                member["max_tasks_per_day"] = rng.randint(2, 3)
            if role == "psychologist" and rng.random() < 0.25:
                member["max_tasks_per_day"] = rng.randint(2, 4)
            staff.append(member)
    rng.shuffle(staff)
    candidates = []
    for i in range(n):
        first = rng.randrange(nloc)
        allowed = [f"loc-{first + 1}"]
        if nloc > 1 and rng.random() < 0.35:
            allowed.append(f"loc-{(first + rng.randint(1, nloc - 1)) % nloc + 1}")
        candidates.append({
            "id": f"c-{i + 1}",
            "priority": rng.choices([1, 2, 3, 4, 5], weights=[0.34, 0.28, 0.19, 0.13, 0.06])[0],
            "waiting_days": rng.randint(0, 180),
            "earliest_day": rng.choices([0, 1, 2, 3], weights=[0.45, 0.25, 0.18, 0.12])[0],
            "locations": allowed,
        })
    return {
        "days": days,
        "slots_per_day": 8,
        "durations": durations,
        "min_gap_slots": min_gap,
        "locations": locations,
        "staff": staff,
        "candidates": candidates,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    print(json.dumps(generate(args.candidates, args.seed)))


if __name__ == "__main__":
    main()
