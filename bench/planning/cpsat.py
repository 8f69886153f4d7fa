#!/usr/bin/env python3
"""The CP-SAT anchor for `sito plan`: a model of contracts/plan.md with individual staff, solved by OR-Tools CP-SAT.

    cpsat.py --instance I.json --out PLAN.json [--time-limit 10] [--workers 2]

The time limit covers the whole run (reading, the greedy start, building the model, solving, decoding): the solver
gets what is left of it. Prints one JSON line: status, objective (of the plan written, which is valid as is),
greedy (the objective of the script's own greedy plan, given to CP-SAT as a hint), model_bound (CP-SAT's bound on
this model, see "Restriction" below), wall and solve_wall seconds.

Model. Time is absolute, T = day * slots_per_day + slot. Staff are individual people:
- every person, on every day they work, has one Boolean per possible start of a task (a "seat"); in every slot
  at most one of their seats covering it is used, and at most `max_tasks_per_day` seats a day;
- every examiner is either a first-polygraph or a second-polygraph examiner over the horizon (a Boolean per
  examiner; their seats are split accordingly), which makes the two polygraphs of a candidate always be by two
  different people.
Candidates are not matched to seats one by one: at a location all candidates are interchangeable once there (the
rules that tell them apart are the earliest day and the allowed locations, which act on the arrival day only). So
per location the model counts the seats used per kind and time, and requires, for every time T, that no more
first polygraphs start by T than interviews that ended by T, and no more second polygraphs than first polygraphs
ended by T - min_gap (a Hall condition: with it, first-come-first-served pairing always finds a partner), and as
many of each kind. The stay of a candidate is interview day .. second polygraph day, so the number of candidates
at a location on day d is (interviews on days <= d) - (second polygraphs on days < d), whatever the pairing, and
it is bounded by the capacity. Candidates are grouped in classes by (earliest day, allowed locations); per class,
location and day an integer counts the class's arrivals (only on days >= its earliest day), the arrivals of a
location-day equal its interviews, and within a class the selected candidates are its most valuable ones (the
Booleans are ordered by value: symmetry breaking). Identical staff members (same location, days and cap) are
ordered too. Decoding the counts into people and candidates is exact, so every solution is a valid plan.

Restriction (why `model_bound` is not a bound of the problem): an examiner does only first or only second
polygraphs in this model; a real plan may mix them. Everything else is the contract's rules as stated.

Hint. A greedy written here (independent of `sito plan`): candidates in decreasing value, each placed at the
allowed location and times giving the shortest stay, earliest first; seats taken from the people who are free.
Its plan satisfies the model, so CP-SAT starts from a valid incumbent; if the solver finds nothing better in the
time, the greedy plan is what is written.
"""
import argparse
import json
import os
import sys
import time
from collections import defaultdict

from ortools.sat.python import cp_model

KINDS = ("interview", "polygraph1", "polygraph2")


class Data:
    """The instance, indexed for the model and the greedy."""

    def __init__(self, inst):
        self.inst = inst
        self.S, self.D = inst["slots_per_day"], inst["days"]
        self.I, self.P = inst["durations"]["interview"], inst["durations"]["polygraph"]
        self.G = inst["min_gap_slots"]
        self.H = self.S * self.D
        self.capacity = {l["id"]: l["capacity"] for l in inst["locations"]}
        self.locs = [l["id"] for l in inst["locations"]]
        self.psy = defaultdict(list)  # loc -> [staff index]
        self.exa = defaultdict(list)
        self.staff = inst["staff"]
        for i, s in enumerate(self.staff):
            if s["location"] in self.capacity:
                (self.psy if s["role"] == "psychologist" else self.exa)[s["location"]].append(i)
        self.days_of = [sorted({d for d in s["available_days"] if 0 <= d < self.D}) for s in self.staff]
        self.cap_of = [s.get("max_tasks_per_day", self.S) for s in self.staff]
        self.value30 = {c["id"]: 30 * c["priority"] + c["waiting_days"] for c in inst["candidates"]}
        # Classes: candidates that differ only in value. Within a class, most valuable first.
        classes = defaultdict(list)
        for c in inst["candidates"]:
            allowed = tuple(sorted({l for l in c["locations"] if l in self.capacity}))
            if allowed:
                classes[(c["earliest_day"], allowed)].append(c["id"])
        self.classes = {k: sorted(v, key=lambda cid: (-self.value30[cid], cid)) for k, v in classes.items()}

    def starts(self, duration):
        return range(0, self.S - duration + 1) if duration <= self.S else range(0)


# ---------------------------------------------------------------------------------------------------------------
# Greedy start (independent of sito plan)


def greedy(data, deadline):
    """Returns {candidate: (loc, (psy, T_i), (ex1, T_1), (ex2, T_2))} and each examiner's switch day.

    An examiner's switch day is not fixed until used: each use narrows the range [lo, hi] it may still take.
    Kept fast by counting, per location, group (psychologists; examiners who may still do a first polygraph that
    day; who may still do a second one) and time, how many people could start a task then; taking a task updates
    only that person's counts."""
    S, D, H, I, P, G = data.S, data.D, data.H, data.I, data.P, data.G
    days_set = [set(d) for d in data.days_of]
    role_of = {s: "psy" for loc in data.locs for s in data.psy[loc]}
    loc_of = {s: data.staff[s]["location"] for s in range(len(data.staff))}
    dur_of = {s: (I if role_of.get(s) == "psy" else P) for s in loc_of}
    used = defaultdict(int)  # (staff, day) -> bitmask of busy slots
    count = defaultdict(int)  # (staff, day) -> tasks
    lo = defaultdict(int)  # examiner -> smallest switch day still possible
    hi = defaultdict(lambda: D)  # examiner -> largest
    stay = defaultdict(int)  # (loc, day) -> candidates
    free_at = defaultdict(lambda: [0] * H)  # (loc, group) -> per time, people of the group free to start

    def starts_mask(s, d):
        dur = dur_of[s]
        if d not in days_set[s] or count[(s, d)] >= data.cap_of[s]:
            return 0
        busy = used[(s, d)]
        return sum(1 << t for t in data.starts(dur) if not (busy >> t) & ((1 << dur) - 1))

    def groups(s, d):
        if role_of.get(s):
            return ("psy",)
        return tuple(k for k, ok in ((1, lo[s] <= d), (2, hi[s] >= d + 1)) if ok)

    def add_counts(s, d, mask, sign):
        for g in groups(s, d):
            row = free_at[(loc_of[s], g)]
            for t in range(S):
                if mask >> t & 1:
                    row[d * S + t] += sign

    def all_counts(s, sign):
        for d in data.days_of[s]:
            add_counts(s, d, starts_mask(s, d), sign)

    for s in loc_of:
        if data.staff[s]["location"] in data.capacity:
            all_counts(s, 1)

    def is_free(s, T):
        d, t = divmod(T, S)
        return bool(starts_mask(s, d) >> t & 1)

    def take(s, T, kind):
        d, t = divmod(T, S)
        if kind:
            all_counts(s, -1)
            if kind == 1:
                hi[s] = min(hi[s], d)
            else:
                lo[s] = max(lo[s], d + 1)
            all_counts(s, 1)
        before = starts_mask(s, d)
        used[(s, d)] |= ((1 << dur_of[s]) - 1) << t
        count[(s, d)] += 1
        add_counts(s, d, before & ~starts_mask(s, d), -1)

    def room(loc, d):
        return data.capacity[loc] - stay[(loc, d)] if 0 <= d < D else 0

    def place(loc, earliest):
        """The shortest stay; among those, the one leaving the fewest places free just before and after it (so
        stays tile the days instead of stranding single free days), then the earliest."""
        best = None
        psy, first, second = (free_at[(loc, g)] for g in ("psy", 1, 2))
        for di in range(max(0, earliest), D):
            for Ti in range(di * S, di * S + S - I + 1):
                if not psy[Ti]:
                    continue
                T1 = next((T for T in range(Ti + I, H) if first[T]), None)
                if T1 is None:
                    return best
                T2 = next((T for T in range(T1 + P + G, H) if second[T] and two_people(loc, T1, T)), None)
                if T2 is None:
                    return best
                d2 = T2 // S
                if any(stay[(loc, d)] >= data.capacity[loc] for d in range(di, d2 + 1)):
                    continue
                key = (d2 - di, room(loc, di - 1) + room(loc, d2 + 1), T2)
                if best is None or key < best[0]:
                    best = (key, (loc, Ti, T1, T2))
                break
        return best

    def able(loc, T, kind):
        people = data.psy[loc] if kind == "psy" else data.exa[loc]
        return [s for s in people if kind in groups(s, T // S) and is_free(s, T)]

    def two_people(loc, T1, T2):
        """Someone for polygraph 1 at T1 and someone else for polygraph 2 at T2."""
        if free_at[(loc, 1)][T1] > 1 or free_at[(loc, 2)][T2] > 1:
            return True
        return able(loc, T1, 1) != able(loc, T2, 2)

    def person(loc, T, kind, avoid=None, other=None):
        found = [s for s in able(loc, T, kind) if s != avoid]
        d = T // S
        # Examiners whose range of switch days this use narrows the least; then those not free for the other
        # polygraph's time.
        found.sort(key=lambda s: (0 if kind == "psy" else hi[s] - min(hi[s], d) if kind == 1
                                  else max(lo[s], d + 1) - lo[s],
                                  other is not None and is_free(s, other), s))
        return found[0]

    hopeless = {}  # loc -> smallest earliest day that found nothing (state only fills up)
    placed = {}
    everyone = sorted(((cid, e, locs) for (e, locs), ids in data.classes.items() for cid in ids),
                      key=lambda x: (-data.value30[x[0]], x[0]))
    for cid, e, locs in everyone:
        if time.time() > deadline:
            break
        best = None
        for loc in locs:
            if e >= hopeless.get(loc, D + 1):
                continue
            found = place(loc, e)
            if found is None:
                hopeless[loc] = min(e, hopeless.get(loc, D + 1))
            elif best is None or found[0] < best[0]:
                best = found
        if best is None:
            continue
        loc, Ti, T1, T2 = best[1]
        p = person(loc, Ti, "psy")
        e2_alone = able(loc, T2, 2)
        e1 = person(loc, T1, 1, avoid=e2_alone[0] if len(e2_alone) == 1 else None, other=T2)
        take(p, Ti, None)
        take(e1, T1, 1)
        e2 = person(loc, T2, 2, avoid=e1)
        take(e2, T2, 2)
        for d in range(Ti // S, T2 // S + 1):
            stay[(loc, d)] += 1
        placed[cid] = (loc, (p, Ti), (e1, T1), (e2, T2))
    switch = {s: lo[s] for loc in data.locs for s in data.exa[loc]}
    return canonical(data, placed, switch)


def canonical(data, placed, switch):
    """The same plan, made to satisfy the model's symmetry breaking: within a class the placements go to its most
    valuable candidates, and identical people's days are handed out in the model's order."""
    by_class = defaultdict(list)
    for key, ids in data.classes.items():
        for cid in ids:
            if cid in placed:
                by_class[key].append(placed[cid])
    placed = {cid: p for key, ps in by_class.items() for cid, p in zip(data.classes[key], ps)}
    rename = {}
    tasks_of = defaultdict(int)
    for _, (p, _), (e1, _), (e2, _) in placed.values():
        for s in (p, e1, e2):
            tasks_of[s] += 1
    for people in twin_groups(data).values():
        # Examiners: earliest switch day first; psychologists: busiest first.
        order = sorted(people, key=lambda s: (switch.get(s, 0), -tasks_of[s], s))
        rename.update(zip(order, people))
    switch = {rename.get(s, s): k for s, k in switch.items()}
    placed = {cid: (loc, *((rename.get(s, s), T) for s, T in tasks)) for cid, (loc, *tasks) in placed.items()}
    return placed, switch


def twin_groups(data):
    """Staff members nobody could tell apart: same role, location, days and cap."""
    twins = defaultdict(list)
    for loc in data.locs:
        for role, people in (("psy", data.psy[loc]), ("exa", data.exa[loc])):
            for s in people:
                twins[(role, loc, tuple(data.days_of[s]), data.cap_of[s])].append(s)
    return twins


# ---------------------------------------------------------------------------------------------------------------
# Model


def build(data, hint):
    S, D, H, I, P, G = data.S, data.D, data.H, data.I, data.P, data.G
    placed, switch = hint
    m = cp_model.CpModel()
    hinted = {}  # (staff, kind, T) -> 1 from the greedy plan
    for loc, (p, Ti), (e1, T1), (e2, T2) in placed.values():
        hinted[(p, 0, Ti)] = hinted[(e1, 1, T1)] = hinted[(e2, 2, T2)] = 1

    hint_count = defaultdict(int)
    for loc, (p, Ti), (e1, T1), (e2, T2) in placed.values():
        for k, T in ((0, Ti), (1, T1), (2, T2)):
            hint_count[(loc, k, T)] += 1
    seats = defaultdict(list)  # (loc, kind, T) -> [Boolean]
    load = {}  # staff -> linear expression of their tasks over the horizon
    tau = {}  # (examiner, day) -> Boolean: does first polygraphs that day (else second); from a switch day on

    def person(s, loc, kinds, dur):
        total = []
        if len(kinds) == 2:
            for d in range(D):
                tau[(s, d)] = m.new_bool_var(f"first_{s}_{d}")
                m.add_hint(tau[(s, d)], int(d >= switch.get(s, 0)))
                if d > 0:
                    m.add_implication(tau[(s, d - 1)], tau[(s, d)])
        for d in data.days_of[s]:
            day = []  # (t, var)
            for t in data.starts(dur):
                for k in kinds:
                    v = m.new_bool_var(f"w{k}_{s}_{d}_{t}")
                    m.add_hint(v, hinted.get((s, k, d * S + t), 0))
                    if k == 1:
                        m.add_implication(v, tau[(s, d)])
                    elif k == 2:
                        m.add_implication(v, tau[(s, d)].Not())
                    seats[(loc, k, d * S + t)].append(v)
                    day.append((t, v))
            if not day:
                continue
            for u in range(S):
                covering = [v for t, v in day if t <= u < t + dur]
                if len(covering) > 1:
                    m.add_at_most_one(covering)
            cap = data.cap_of[s]
            if cap < len(day):
                m.add(sum(v for _, v in day) <= cap)
            total.extend(v for _, v in day)
        load[s] = sum(total)

    for loc in data.locs:
        for s in data.psy[loc]:
            person(s, loc, (0,), I)
        for s in data.exa[loc]:
            person(s, loc, (1, 2), P)
    # Identical people are interchangeable: order them (psychologists by load, examiners first-polygraph first).
    for (role, *_), people in twin_groups(data).items():
        for a, b in zip(people, people[1:]):
            if role == "psy":
                m.add(load[a] >= load[b])
            else:
                for d in range(D):
                    m.add_implication(tau[(b, d)], tau[(a, d)])

    # Per location: counts per kind and time, the Hall conditions, the stays.
    arrivals = {}  # (loc, day) -> linear expression
    for loc in data.locs:
        count = {}
        for k in range(3):
            for T in range(H):
                vs = seats.get((loc, k, T), [])
                count[(k, T)] = sum(vs) if vs else 0
        cum = {}
        for k in range(3):
            run, hint_run = 0, 0
            for T in range(H):
                if not isinstance(count[(k, T)], int):
                    c = m.new_int_var(0, len(data.inst["candidates"]), f"cum{k}_{loc}_{T}")
                    m.add(c == run + count[(k, T)])
                    hint_run += hint_count[(loc, k, T)]
                    m.add_hint(c, hint_run)
                    run = c
                cum[(k, T)] = run
        for T in range(H):
            before_i = cum[(0, T - I)] if T - I >= 0 else 0
            before_1 = cum[(1, T - P - G)] if T - P - G >= 0 else 0
            if not isinstance(cum[(1, T)], int):
                m.add(cum[(1, T)] <= before_i)
            if not isinstance(cum[(2, T)], int):
                m.add(cum[(2, T)] <= before_1)
        m.add(cum[(1, H - 1)] == cum[(0, H - 1)])
        m.add(cum[(2, H - 1)] == cum[(1, H - 1)])
        for d in range(D):
            inside = cum[(0, d * S + S - 1)] - (cum[(2, d * S - 1)] if d > 0 else 0)
            if not isinstance(inside, int):
                m.add(inside <= data.capacity[loc])
            arrivals[(loc, d)] = sum(count[(0, d * S + t)] for t in range(S))

    # Candidates: per class, its arrivals per location and day; its best candidates are the ones selected.
    hint_arrivals = defaultdict(int)
    for cid, (loc, (p, Ti), _, _) in placed.items():
        hint_arrivals[(cid, loc, Ti // S)] += 1
    chosen = {}
    by_loc_day = defaultdict(list)
    objective = []
    class_arrivals = {}
    for key, ids in data.classes.items():
        e, locs = key
        flows = []
        for loc in locs:
            for d in range(max(0, e), D):
                if isinstance(arrivals[(loc, d)], int):
                    continue
                g = m.new_int_var(0, len(ids), f"g_{e}_{loc}_{d}")
                m.add_hint(g, sum(hint_arrivals.get((cid, loc, d), 0) for cid in ids))
                by_loc_day[(loc, d)].append(g)
                class_arrivals[(key, loc, d)] = g
                flows.append(g)
        xs = []
        for cid in ids:
            x = m.new_bool_var(f"x_{cid}")
            m.add_hint(x, int(cid in placed))
            chosen[cid] = x
            xs.append(x)
            objective.append(data.value30[cid] * x)
        for a, b in zip(xs, xs[1:]):
            m.add_implication(b, a)
        m.add(sum(flows) == sum(xs) if flows else sum(xs) == 0)
    for (loc, d), expr in arrivals.items():
        if not isinstance(expr, int):
            m.add(expr == sum(by_loc_day.get((loc, d), [])))
    m.maximize(sum(objective))
    return m, seats, tau, chosen, class_arrivals


# ---------------------------------------------------------------------------------------------------------------
# Decoding: counts to people and candidates


def decode(data, value, seats, tau, class_arrivals):
    """A plan from a solution: every seat used becomes a task, paired first come, first served."""
    S, I, P, G = data.S, data.I, data.P, data.G
    del tau  # the seats already carry the kind
    people_at = defaultdict(list)  # (loc, kind, T) -> [staff]
    for (loc, k, T), vs in seats.items():
        for v in vs:
            if value(v):
                people_at[(loc, k, T)].append(int(v.name.split("_")[1]))
    queue = defaultdict(list)  # (class, loc, day) -> number of its arrivals
    for (key, loc, d), g in class_arrivals.items():
        queue[(loc, d)].extend([key] * value(g))
    next_of = defaultdict(int)  # class -> how many of its candidates are placed
    assignments = []
    for loc in data.locs:
        interviews = sorted((T, s) for (l, k, T), ss in people_at.items() if l == loc and k == 0 for s in ss)
        firsts = sorted((T, s) for (l, k, T), ss in people_at.items() if l == loc and k == 1 for s in ss)
        seconds = sorted((T, s) for (l, k, T), ss in people_at.items() if l == loc and k == 2 for s in ss)
        if not (len(interviews) == len(firsts) == len(seconds)):
            raise RuntimeError(f"counts differ at {loc}")
        # Candidates to interviews, day by day; then FIFO: each polygraph takes the earliest task it may follow.
        arrivals_by_day = defaultdict(list)
        for T, s in interviews:
            arrivals_by_day[T // S].append((T, s))
        journeys = []  # [cid, (T, s) interview, first, second]
        for d, tasks in sorted(arrivals_by_day.items()):
            keys = queue[(loc, d)]
            if len(keys) != len(tasks):
                raise RuntimeError(f"arrivals differ at {loc} day {d}")
            for key, task in zip(keys, tasks):
                cid = data.classes[key][next_of[key]]
                next_of[key] += 1
                journeys.append([cid, task, None, None])
        journeys.sort(key=lambda j: j[1][0])
        waiting = 0
        for task in firsts:
            if waiting >= len(journeys) or journeys[waiting][1][0] + I > task[0]:
                raise RuntimeError(f"a first polygraph without an interview before it at {loc}")
            journeys[waiting][2] = task
            waiting += 1
        journeys.sort(key=lambda j: j[2][0])
        waiting = 0
        for task in seconds:
            if waiting >= len(journeys) or journeys[waiting][2][0] + P + G > task[0]:
                raise RuntimeError(f"a second polygraph too early at {loc}")
            journeys[waiting][3] = task
            waiting += 1
        for cid, ti, t1, t2 in journeys:
            tasks = [{"kind": kind, "staff": data.staff[s]["id"], "day": T // S, "slot": T % S}
                     for kind, (T, s) in zip(KINDS, (ti, t1, t2))]
            assignments.append({"candidate": cid, "location": loc, "arrive_day": ti[0] // S,
                                "leave_day": t2[0] // S, "tasks": tasks})
    return assignments


def plan_of(data, assignments):
    value = {c["id"]: c["priority"] + c["waiting_days"] / 30 for c in data.inst["candidates"]}
    return {"objective": sum(value[a["candidate"]] for a in assignments), "assignments": assignments}


def greedy_assignments(data, placed):
    S = data.S
    out = []
    for cid, (loc, ti, t1, t2) in placed.items():
        tasks = [{"kind": kind, "staff": data.staff[s]["id"], "day": T // S, "slot": T % S}
                 for kind, (s, T) in zip(KINDS, (ti, t1, t2))]
        out.append({"candidate": cid, "location": loc, "arrive_day": ti[1] // S, "leave_day": t2[1] // S,
                    "tasks": tasks})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    started = time.time()
    with open(args.instance) as f:
        data = Data(json.load(f))
    # The greedy start may use at most 40% of the limit (it stops placing candidates then).
    hint = greedy(data, started + 0.4 * args.time_limit)
    greedy_plan = plan_of(data, greedy_assignments(data, hint[0]))
    m, seats, tau, chosen, class_arrivals = build(data, hint)
    solver = cp_model.CpSolver()
    # Decoding and writing take well under half a second even at 2,000 candidates.
    solver.parameters.max_time_in_seconds = max(0.1, args.time_limit - (time.time() - started) - 0.4)
    solver.parameters.num_workers = args.workers
    solver.parameters.random_seed = 1
    solver.parameters.log_search_progress = bool(os.environ.get("CPSAT_LOG"))
    solver.parameters.debug_crash_on_bad_hint = bool(os.environ.get("CPSAT_CHECK_HINT"))
    status = solver.solve(m)
    plan = greedy_plan
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solved = plan_of(data, decode(data, solver.value, seats, tau, class_arrivals))
        if solved["objective"] >= greedy_plan["objective"]:
            plan = solved
    with open(args.out, "w") as f:
        json.dump(plan, f)
    ok = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    print(json.dumps({
        "status": solver.status_name(status),
        "objective": plan["objective"],
        "greedy": greedy_plan["objective"],
        "model_bound": solver.best_objective_bound / 30 if ok else None,
        "scheduled": len(plan["assignments"]),
        "wall": round(time.time() - started, 2),
        "solve_wall": round(solver.wall_time, 2),
    }))


if __name__ == "__main__":
    sys.exit(main())
