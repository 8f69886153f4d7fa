#!/usr/bin/env python3
"""The CP-SAT anchor for `sito plan`: a time-indexed model of contracts/plan.md solved by OR-Tools CP-SAT.

    cpsat.py --instance I.json --out PLAN.json [--time-limit 10] [--workers 2]

Model. Time is absolute (t = day * slots_per_day + slot). For each candidate c and allowed location l: a
Boolean x[c,l], and start Booleans yI, y1, y2 over the start times where the task fits in its day, on a day >= the
candidate's earliest day when some staff member of the role works at l; exactly one start per task when x[c,l].
Order and gap are linear in the weighted starts. Stay Booleans s[c,l,d] >= (interview by day d) + (polygraph 2 on
or after d) - x cover the days between, and location capacity bounds their sum. Staff: start Booleans u[s,t] on
available days with no overlap and the daily cap; at every (location, role, t) the tasks starting equal the staff
starting, which is exact because staff of a role at a location are interchangeable at one instant. Individual
examiners are matched to tasks afterwards, keeping the two polygraphs of a candidate apart (a rare clash is
by a second small model; candidates that cannot be matched are dropped and counted as `clashes`, and the
model's own objective before that is printed as `raw`). Prints one JSON line with status, objective and bound.
"""
import argparse
import json
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
    m = cp_model.CpModel()

    def starts(loc, role, dur, earliest):
        days_ok = set()
        for s in staff_by[(loc, role)]:
            days_ok.update(d for d in s["available_days"] if 0 <= d < D)
        return [d * S + k for d in sorted(days_ok) if d >= earliest for k in range(S - dur + 1)]

    # Staff start variables.
    u = {}
    staff_starts = defaultdict(list)  # (loc, role, t) -> [u]
    for s in inst["staff"]:
        dur = I if s["role"] == "psychologist" else P
        if dur > S:
            continue
        cap = s.get("max_tasks_per_day")
        for d in sorted(set(x for x in s["available_days"] if 0 <= x < D)):
            day_vars = []
            for k in range(S - dur + 1):
                v = m.new_bool_var("")
                u[(s["id"], d * S + k)] = v
                staff_starts[(s["location"], s["role"], d * S + k)].append(v)
                day_vars.append((k, v))
            for slot in range(S):
                covering = [v for k, v in day_vars if k <= slot < k + dur]
                if len(covering) > 1:
                    m.add_at_most_one(covering)
            if cap is not None and cap < len(day_vars):
                m.add(sum(v for _, v in day_vars) <= cap)

    task_starts = defaultdict(list)  # (loc, role, t) -> [y]
    stay = defaultdict(list)  # (loc, d) -> [s]
    objective = []
    chosen = {}
    for c in inst["candidates"]:
        xs = []
        for l in dict.fromkeys(c["locations"]):
            e = c["earliest_day"]
            ti = starts(l, "psychologist", I, e) if I <= S else []
            tp = starts(l, "examiner", P, e) if P <= S else []
            if not ti or not tp or locs[l]["capacity"] == 0:
                continue
            x = m.new_bool_var("")
            xs.append(x)
            yi = {t: m.new_bool_var("") for t in ti}
            y1 = {t: m.new_bool_var("") for t in tp}
            y2 = {t: m.new_bool_var("") for t in tp if t >= min(ti) + I + P + G}
            if not y2:
                m.add(x == 0)
                continue
            for ys in (yi, y1, y2):
                m.add(sum(ys.values()) == x)
            m.add(sum(t * v for t, v in y1.items()) >= sum(t * v for t, v in yi.items()) + I * x)
            m.add(sum(t * v for t, v in y2.items()) >= sum(t * v for t, v in y1.items()) + (P + G) * x)
            for t, v in yi.items():
                task_starts[(l, "psychologist", t)].append(v)
            for t, v in y1.items():
                task_starts[(l, "examiner", t)].append(v)
            for t, v in y2.items():
                task_starts[(l, "examiner", t)].append(v)
            for d in range(e, D):
                by_d = [v for t, v in yi.items() if t // S <= d]
                from_d = [v for t, v in y2.items() if t // S >= d]
                if not by_d or not from_d:
                    continue
                sv = m.new_bool_var("")
                m.add(sv >= sum(by_d) + sum(from_d) - x)
                stay[(l, d)].append(sv)
            objective.append((30 * c["priority"] + c["waiting_days"]) * x)
            chosen[(c["id"], l)] = (x, yi, y1, y2)
        if len(xs) > 1:
            m.add_at_most_one(xs)
    for key in set(task_starts) | set(staff_starts):
        m.add(sum(task_starts.get(key, [])) == sum(staff_starts.get(key, [])))
    for (l, d), vs in stay.items():
        m.add(sum(vs) <= locs[l]["capacity"])
    m.maximize(sum(objective))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    status = solver.solve(m)
    return solver, status, chosen, u, staff_by


def extract(inst, solver, chosen, u, staff_by):
    S = inst["slots_per_day"]
    picked = []
    for (cid, l), (x, yi, y1, y2) in chosen.items():
        if solver.value(x):
            ti = next(t for t, v in yi.items() if solver.value(v))
            t1 = next(t for t, v in y1.items() if solver.value(v))
            t2 = next(t for t, v in y2.items() if solver.value(v))
            picked.append((cid, l, ti, t1, t2))
    # Match staff to tasks: at each (location, role, start) the staff who start then, one each, and the two
    # polygraphs of a candidate by different examiners. A small assignment model of its own.
    loc_of = {s["id"]: s["location"] for s in inst["staff"]}
    role_of = {s["id"]: s["role"] for s in inst["staff"]}
    pool = defaultdict(list)
    for (sid, t), v in u.items():
        if solver.value(v):
            pool[(loc_of[sid], role_of[sid], t)].append(sid)
    mm = cp_model.CpModel()
    pick = {}
    kept = {}
    by_staff_time = defaultdict(list)
    value30 = {c["id"]: 30 * c["priority"] + c["waiting_days"] for c in inst["candidates"]}
    for i, (cid, l, ti, t1, t2) in enumerate(picked):
        kept[i] = mm.new_bool_var("")
        for kind, t in (("interview", ti), ("polygraph1", t1), ("polygraph2", t2)):
            role = "psychologist" if kind == "interview" else "examiner"
            opts = {sid: mm.new_bool_var("") for sid in pool[(l, role, t)]}
            mm.add(sum(opts.values()) == kept[i])
            pick[(i, kind)] = opts
            for sid, v in opts.items():
                by_staff_time[(sid, t)].append(v)
        for sid, v in pick[(i, "polygraph1")].items():
            if sid in pick[(i, "polygraph2")]:
                mm.add(v + pick[(i, "polygraph2")][sid] <= 1)
    for vs in by_staff_time.values():
        mm.add_at_most_one(vs)
    mm.maximize(sum(value30[picked[i][0]] * v for i, v in kept.items()))
    ms = cp_model.CpSolver()
    ms.parameters.max_time_in_seconds = 10
    ms.parameters.num_workers = 2
    mstatus = ms.solve(mm)
    staff_of = defaultdict(dict)
    clashes = 0
    if mstatus in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for (i, kind), opts in pick.items():
            if ms.value(kept[i]):
                staff_of[i][kind] = next(sid for sid, v in opts.items() if ms.value(v))
    keep = [i for i in range(len(picked)) if len(staff_of[i]) == 3]
    clashes = len(picked) - len(keep)
    picked, staff_of = [picked[i] for i in keep], [staff_of[i] for i in keep]
    assignments = []
    value = {c["id"]: c["priority"] + c["waiting_days"] / 30 for c in inst["candidates"]}
    for i, (cid, l, ti, t1, t2) in enumerate(picked):
        tasks = [
            {"kind": k, "staff": staff_of[i].get(k, "?"), "day": t // S, "slot": t % S}
            for k, t in (("interview", ti), ("polygraph1", t1), ("polygraph2", t2))
        ]
        assignments.append({"candidate": cid, "location": l, "arrive_day": ti // S, "leave_day": t2 // S,
                            "tasks": tasks})
    objective = sum(value[a["candidate"]] for a in assignments)
    return {"objective": objective, "assignments": assignments}, clashes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    inst = json.load(open(args.instance))
    started = time.time()
    solver, status, chosen, u, staff_by = build_and_solve(inst, args.time_limit, args.workers)
    ok = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if ok:
        raw = solver.objective_value / 30
        plan, clashes = extract(inst, solver, chosen, u, staff_by)
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
