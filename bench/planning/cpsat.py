#!/usr/bin/env python3
"""The CP-SAT anchor for `sito plan`: a model of contracts/plan.md solved by OR-Tools CP-SAT.

    cpsat.py --instance I.json --out PLAN.json [--time-limit 10] [--workers 2]

Model. Time is absolute (t = day * slots_per_day + slot). For each candidate c and allowed location l: a
Boolean x[c,l]; one Boolean per day pattern (interview day, polygraph days; stays of up to 4 days, which
admit slots for order and gap), exactly one when x; per task a slot inside its day, giving its start; an optional
interval per task. Order and gap are linear in the starts. The location's capacity bounds, per day, the patterns
whose stay covers it. Staff are pooled per location and role: a cumulative with as many units as
people (people off on a day block their units for that day), and per day no more tasks than the people at work
may do (their caps). Individual people are matched to tasks afterwards by a greedy pass (earliest start first,
different examiners for the two polygraphs); candidates it cannot match are dropped and counted as `clashes`,
and the model's own objective before that is printed as `raw`. Prints one JSON line.
"""
import argparse
import json
import os
import sys
import time
from collections import defaultdict

from ortools.sat.python import cp_model


def build_and_solve(inst, time_limit, workers):
    S, D = inst["slots_per_day"], inst["days"]
    I, P, G = inst["durations"]["interview"], inst["durations"]["polygraph"], inst["min_gap_slots"]
    locs = {l["id"]: l for l in inst["locations"]}
    staff_by = defaultdict(list)  # (loc, role) -> staff
    for s in inst["staff"]:
        staff_by[(s["location"], s["role"])].append(s)
    dur = {"psychologist": I, "examiner": P}

    def day_supply(loc, role, d):
        """(staff at work, tasks they can do) at loc on day d."""
        people = [s for s in staff_by[(loc, role)] if d in s["available_days"]]
        most = S // dur[role]
        return len(people), sum(min(most, s.get("max_tasks_per_day", most)) for s in people)

    m = cp_model.CpModel()
    intervals = defaultdict(list)  # (loc, role) -> [interval]
    day_tasks = defaultdict(list)  # (loc, role, d) -> [bool]
    stay = defaultdict(list)  # (loc, d) -> [bool]
    objective = []
    chosen = {}
    supply = {(l, role, d): day_supply(l, role, d) for l in locs for role in dur for d in range(D)}

    def day_patterns(l, e):
        """Days (interview, polygraph 1, polygraph 2) that admit slots for order and gap, stays up to 4 days."""
        out = []
        if I > S or P > S:
            return out
        for di in range(e, D):
            if supply[(l, "psychologist", di)][1] == 0:
                continue
            for d1 in range(di, min(D, di + 3)):
                if supply[(l, "examiner", d1)][1] == 0:
                    continue
                s1 = max(0, di * S + I - d1 * S)
                if s1 > S - P:
                    continue
                for d2 in range(d1, min(D, di + 4)):
                    people, tasks = supply[(l, "examiner", d2)]
                    if tasks == 0 or (d2 == d1 and (people < 2 or tasks < 2)):
                        continue
                    if max(0, d1 * S + s1 + P + G - d2 * S) <= S - P:
                        out.append((di, d1, d2))
        return out

    for c in inst["candidates"]:
        xs = []
        e = c["earliest_day"]
        for l in dict.fromkeys(c["locations"]):
            pats = day_patterns(l, e) if locs[l]["capacity"] > 0 else []
            if not pats:
                continue
            x = m.new_bool_var("")
            xs.append(x)
            pv = [m.new_bool_var("") for _ in pats]
            m.add(sum(pv) == x)
            slot = {k: m.new_int_var(0, S - (I if k == "interview" else P), "") for k in ("interview", "polygraph1", "polygraph2")}
            start = {}
            for j, k in enumerate(("interview", "polygraph1", "polygraph2")):
                start[k] = sum(pat[j] * S * v for pat, v in zip(pats, pv)) + slot[k]
                role = "psychologist" if k == "interview" else "examiner"
                st = m.new_int_var(0, D * S, "")
                m.add(st == start[k])
                start[k] = st
                intervals[(l, role)].append(m.new_optional_fixed_size_interval_var(st, dur[role], x, ""))
            m.add(start["polygraph1"] >= start["interview"] + I).only_enforce_if(x)
            m.add(start["polygraph2"] >= start["polygraph1"] + P + G).only_enforce_if(x)
            for (di, d1, d2), v in zip(pats, pv):
                day_tasks[(l, "psychologist", di)].append(v)
                day_tasks[(l, "examiner", d1)].append(v)
                day_tasks[(l, "examiner", d2)].append(v)
                for d in range(di, d2 + 1):
                    stay[(l, d)].append(v)
            objective.append((30 * c["priority"] + c["waiting_days"]) * x)
            chosen[(c["id"], l)] = (x, {k: (None, start[k]) for k in start})
        if len(xs) > 1:
            m.add_at_most_one(xs)
    # Staff: at any slot no more tasks than people at work (those off block their share of the day), and per
    # day no more tasks than their caps allow. Individual people are matched afterwards.
    for (l, role), ivs in intervals.items():
        people = len(staff_by[(l, role)])
        blocks, demands = [], []
        for d in range(D):
            off = people - day_supply(l, role, d)[0]
            if off > 0:
                blocks.append(m.new_fixed_size_interval_var(d * S, S, ""))
                demands.append(off)
        m.add_cumulative(ivs + blocks, [1] * len(ivs) + demands, people)
    for (l, role, d), vs in day_tasks.items():
        m.add(sum(vs) <= day_supply(l, role, d)[1])
    for (l, d), vs in stay.items():
        m.add(sum(vs) <= locs[l]["capacity"])
    m.maximize(sum(objective))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    solver.parameters.log_search_progress = bool(os.environ.get("CPSAT_LOG"))
    status = solver.solve(m)
    return solver, status, chosen, staff_by


def extract(inst, solver, chosen, staff_by):
    S = inst["slots_per_day"]
    dur = {"interview": inst["durations"]["interview"], "polygraph1": inst["durations"]["polygraph"],
           "polygraph2": inst["durations"]["polygraph"]}
    picked = []
    for (cid, l), (x, tasks) in chosen.items():
        if solver.value(x):
            picked.append((cid, l, {k: solver.value(st) for k, (z, st) in tasks.items()}))
    # Match people to tasks, earliest start first: each task to a free person of the role at the location who
    # works that day and is under their cap, polygraph 2 not by polygraph 1's examiner. Tasks nobody can take
    # make their candidate dropped (counted as clashes).
    busy = defaultdict(list)  # (staff, day) -> [(start, end)]
    events = sorted((t, k != "interview", i, k) for i, (_, _, times) in enumerate(picked) for k, t in times.items())
    staff_of = defaultdict(dict)
    failed = set()
    for t, _, i, kind in events:
        cid, l, times = picked[i]
        if i in failed:
            continue
        role = "psychologist" if kind == "interview" else "examiner"
        d, slot = divmod(t, S)
        forbid = staff_of[i].get("polygraph1") if kind == "polygraph2" else None
        best = None
        for s in staff_by[(l, role)]:
            if s["id"] == forbid or d not in s["available_days"]:
                continue
            mine = busy[(s["id"], d)]
            if len(mine) >= s.get("max_tasks_per_day", S) or any(a < slot + dur[kind] and slot < b for a, b in mine):
                continue
            key = (max((b for _, b in mine), default=-1), -len(mine))
            if best is None or key > best[0]:
                best = (key, s["id"])
        if best is None:
            failed.add(i)
            continue
        busy[(best[1], d)].append((slot, slot + dur[kind]))
        staff_of[i][kind] = best[1]
    assignments = []
    value = {c["id"]: c["priority"] + c["waiting_days"] / 30 for c in inst["candidates"]}
    for i, (cid, l, times) in enumerate(picked):
        if i in failed:
            continue
        tasks = [{"kind": k, "staff": staff_of[i][k], "day": times[k] // S, "slot": times[k] % S}
                 for k in ("interview", "polygraph1", "polygraph2")]
        assignments.append({"candidate": cid, "location": l, "arrive_day": times["interview"] // S,
                            "leave_day": times["polygraph2"] // S, "tasks": tasks})
    objective = sum(value[a["candidate"]] for a in assignments)
    return {"objective": objective, "assignments": assignments}, len(failed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    inst = json.load(open(args.instance))
    started = time.time()
    solver, status, chosen, staff_by = build_and_solve(inst, args.time_limit, args.workers)
    ok = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if ok:
        raw = solver.objective_value / 30
        plan, clashes = extract(inst, solver, chosen, staff_by)
    else:
        plan, clashes, raw = {"objective": 0, "assignments": []}, 0, 0.0
    json.dump(plan, open(args.out, "w"))
    print(json.dumps({
        "status": solver.status_name(status),
        "objective": plan["objective"],
        "raw": raw,
        "cpsat_bound": solver.best_objective_bound / 30 if ok else None,
        "clashes": clashes,
        "wall": round(time.time() - started, 2),
        "solve_wall": round(solver.wall_time, 2),
    }))


if __name__ == "__main__":
    sys.exit(main())
