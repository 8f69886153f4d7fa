#!/usr/bin/env python3
"""The CP-SAT anchor for `sito plan`: a model of contracts/plan.md with individual staff, solved by OR-Tools CP-SAT.

    cpsat.py --instance I.json --out PLAN.json [--time-limit 10] [--workers 2]

The time limit covers the whole run (reading, the greedy start, building the model, solving, decoding): the solver
gets what is left. Prints one JSON line: status, objective (of the plan written, valid as is), greedy (the
objective of this script's own greedy plan, given to CP-SAT as a complete hint), model_bound (CP-SAT's bound on
this model; see "Restriction"), scheduled, wall and solve_wall seconds.

Model. Time is absolute, T = day * slots_per_day + slot. Staff are individual people:
- every person, on every day they work, has Booleans per possible start of a task (a "seat"); in every slot at
  most one of their seats covering it is used, and at most `max_tasks_per_day` seats a day;
- every examiner is in team A or team B (a Boolean each, chosen by the solver). A candidate's polygraphs go A
  then B ("AB") or B then A ("BA"), so the two are always by different people; an examiner's seat says which
  flow and which polygraph it serves (only those of its team are allowed).
Candidates are not matched to seats one by one: at a location they are interchangeable once there (the earliest
day and the allowed locations act on the arrival only). So per location and flow the model counts seats used per
kind and time, and requires, for every time T, that no more first polygraphs start by T than interviews ended by
T, and no more second polygraphs start by T than first polygraphs ended by T - min_gap (a Hall condition: with
it, first-come-first-served pairing always finds a partner), and as many of each. A stay is interview day ..
second polygraph day, so the candidates at a location on day d are (interviews on days <= d) - (second
polygraphs on days < d), whatever the pairing; that is bounded by the capacity. Candidates are grouped in classes
by (earliest day, allowed locations); per class, location and day an integer counts the class's arrivals (days
>= its earliest day only); a location-day's arrivals equal its interviews; within a class the selected candidates
are its most valuable (Booleans ordered by value: symmetry breaking); identical staff (same location, days, cap)
are ordered too. Decoding the counts into people and candidates is exact, so every solution is a valid plan.

Restriction (why `model_bound` is not a bound of the problem): the examiners of each candidate are in different
teams, so the pairs of examiners that share a candidate form a two-colourable graph. A real plan may also pair
examiners in an odd cycle (x with y, y with z, z with x). Everything else is the contract's rules as stated.

Hint. A greedy written here, independent of `sito plan`: candidates in decreasing value, each placed where its
stay is shortest, then where it leaves the fewest places free just before and after it, then earliest; the
examiner pairs kept two-colourable by a union-find with parity. Repeated with jittered values for up to a fifth
of the limit; the best plan is the hint, and is what is written if CP-SAT finds nothing better in time.
"""
import argparse
import json
import os
import random
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


def best_greedy(data, until):
    """Greedy passes until `until` or 30 passes in a row without a better plan (at least one): the first in
    decreasing value, the others with the values jittered by up to 20% (fixed seeds); the best plan is kept."""
    best, best_value, attempt, last_better = None, -1, 0, 0
    while attempt == 0 or (time.time() < until and attempt - last_better < 30):
        rng = random.Random(attempt)
        jitter = {cid: 1 + (0.2 * rng.random() if attempt else 0) for cid in data.value30}
        order = sorted(((cid, e, locs) for (e, locs), ids in data.classes.items() for cid in ids),
                       key=lambda x: (-data.value30[x[0]] * jitter[x[0]], x[0]))
        found = greedy(data, order, until if attempt else float("inf"))
        value = sum(data.value30[cid] for cid in found[0])
        if value > best_value:
            best, best_value, last_better = found, value, attempt
        attempt += 1
    return best, attempt


def greedy(data, order, deadline):
    """Returns {candidate: (loc, (psy, T_i), (ex1, T_1), (ex2, T_2))} and each examiner's team (True = A).

    Candidates in decreasing value; each takes the placement with the shortest stay, then the one leaving the
    fewest places free just before and after it (so stays tile the days instead of stranding single free days),
    then the earliest. The two examiners of a candidate must be able to end up in different teams: the pairs
    used so far form a graph that must stay two-colourable (union-find with parity). Kept fast by counting, per
    location, role and time, how many people could start a task then; a task taken updates one person's counts.
    """
    S, D, H, I, P, G = data.S, data.D, data.H, data.I, data.P, data.G
    days_set = [set(d) for d in data.days_of]
    role_of = {s: "psy" for loc in data.locs for s in data.psy[loc]}
    role_of.update({s: "exa" for loc in data.locs for s in data.exa[loc]})
    dur_of = {s: (I if r == "psy" else P) for s, r in role_of.items()}
    loc_of = {s: data.staff[s]["location"] for s in role_of}
    used = defaultdict(int)  # (staff, day) -> bitmask of busy slots
    count = defaultdict(int)  # (staff, day) -> tasks
    stay = defaultdict(int)  # (loc, day) -> candidates
    free_at = defaultdict(lambda: [0] * H)  # (loc, role) -> per time, people of the role free to start
    parent, parity = {}, {}  # union-find over examiners; parity relative to the parent

    def root(s):
        if parent.get(s, s) == s:
            return s, 0
        r, p = root(parent[s])
        parent[s], parity[s] = r, p ^ parity[s]
        return r, parity[s]

    def opposable(a, b):
        """Can a and b still be put in different teams?"""
        (ra, pa), (rb, pb) = root(a), root(b)
        return a != b and (ra != rb or pa != pb)

    def oppose(a, b):
        (ra, pa), (rb, pb) = root(a), root(b)
        if ra != rb:
            parent[rb], parity[rb] = ra, pa ^ pb ^ 1

    def starts_mask(s, d):
        dur = dur_of[s]
        if d not in days_set[s] or count[(s, d)] >= data.cap_of[s]:
            return 0
        busy = used[(s, d)]
        return sum(1 << t for t in data.starts(dur) if not (busy >> t) & ((1 << dur) - 1))

    def add_counts(s, d, mask, sign):
        row = free_at[(loc_of[s], role_of[s])]
        for t in range(S):
            if mask >> t & 1:
                row[d * S + t] += sign

    for s in role_of:
        for d in data.days_of[s]:
            add_counts(s, d, starts_mask(s, d), 1)

    def is_free(s, T):
        d, t = divmod(T, S)
        return bool(starts_mask(s, d) >> t & 1)

    def take(s, T):
        d, t = divmod(T, S)
        before = starts_mask(s, d)
        used[(s, d)] |= ((1 << dur_of[s]) - 1) << t
        count[(s, d)] += 1
        add_counts(s, d, before & ~starts_mask(s, d), -1)

    def able(loc, T, role):
        return [s for s in (data.psy[loc] if role == "psy" else data.exa[loc]) if is_free(s, T)]

    def examiners(loc, T1, T2):
        """Two examiners free at T1 and T2 that can be in different teams: already opposed ones first."""
        firsts, seconds = able(loc, T1, "exa"), able(loc, T2, "exa")
        if not firsts or not seconds:
            return None
        sides = defaultdict(list)  # (component, parity) -> people free at T2
        for b in seconds:
            sides[root(b)].append(b)
        best = None
        for a in firsts:
            ra, pa = root(a)
            opposed = sides.get((ra, pa ^ 1))
            if opposed:
                key, b = (0, is_free(a, T2)), opposed[0]
            else:
                others = [b for (rb, _), bs in sides.items() if rb != ra for b in bs]
                if not others:
                    continue
                key, b = (1, is_free(a, T2)), others[0]
            if best is None or key < best[0]:
                best = (key, (a, b))
                if key == (0, False):
                    break
        return None if best is None else best[1]

    def room(loc, d):
        return data.capacity[loc] - stay[(loc, d)] if 0 <= d < D else 0

    def place(loc, earliest):
        best = None
        psy, exa = free_at[(loc, "psy")], free_at[(loc, "exa")]
        for di in range(max(0, earliest), D):
            for Ti in range(di * S, di * S + S - I + 1):
                if not psy[Ti]:
                    continue
                found = None
                for T1 in range(Ti + I, H):
                    if not exa[T1]:
                        continue
                    for T2 in range(T1 + P + G, H):
                        if exa[T2] and (exa[T1] > 1 or exa[T2] > 1 or examiners(loc, T1, T2)):
                            found = (T1, T2)
                            break
                    if found or T1 // S > di + 1:
                        break
                if found is None:
                    continue
                T1, T2 = found
                d2 = T2 // S
                if any(stay[(loc, d)] >= data.capacity[loc] for d in range(di, d2 + 1)):
                    continue
                key = (d2 - di, room(loc, di - 1) + room(loc, d2 + 1), T2)
                if best is None or key < best[0]:
                    best = (key, (loc, Ti, T1, T2))
                break
        return best

    hopeless = {}  # loc -> smallest earliest day that found nothing (state only fills up)
    placed = {}
    for cid, e, locs in order:
        if time.time() > deadline:
            break
        options = []
        for loc in locs:
            if e >= hopeless.get(loc, D + 1):
                continue
            found = place(loc, e)
            if found is None:
                hopeless[loc] = min(e, hopeless.get(loc, D + 1))
            else:
                options.append(found)
        for _, (loc, Ti, T1, T2) in sorted(options):
            pair = examiners(loc, T1, T2)  # counts above 1 do not promise a pair that can be opposed
            if pair is None:
                continue
            e1, e2 = pair
            p = able(loc, Ti, "psy")[0]
            for s, T in ((p, Ti), (e1, T1), (e2, T2)):
                take(s, T)
            oppose(e1, e2)
            for d in range(Ti // S, T2 // S + 1):
                stay[(loc, d)] += 1
            placed[cid] = (loc, (p, Ti), (e1, T1), (e2, T2))
            break
    team = {s: root(s)[1] == 0 for loc in data.locs for s in data.exa[loc]}
    return canonical(data, placed, team)


def canonical(data, placed, team):
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
        # Examiners: team A first; psychologists: busiest first.
        order = sorted(people, key=lambda s: (not team.get(s, True), -tasks_of[s], s))
        rename.update(zip(order, people))
    team = {rename.get(s, s): k for s, k in team.items()}
    placed = {cid: (loc, *((rename.get(s, s), T) for s, T in tasks)) for cid, (loc, *tasks) in placed.items()}
    return placed, team


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

# A candidate's polygraphs go A then B ("AB") or B then A ("BA"); seat kinds per flow: 1 = first, 2 = second.
FLOWS = ("AB", "BA")


def build(data, hint):
    S, D, H, I, P, G = data.S, data.D, data.H, data.I, data.P, data.G
    placed, team = hint
    m = cp_model.CpModel()
    hinted = defaultdict(int)  # (staff, flow, kind, T) -> 1 in the greedy plan
    hint_count = defaultdict(int)  # (loc, flow, kind, T) -> tasks in the greedy plan; kind 0 = interview
    for loc, (p, Ti), (e1, T1), (e2, T2) in placed.values():
        flow = "AB" if team[e1] else "BA"
        hinted[(p, None, 0, Ti)] = 1
        hinted[(e1, flow, 1, T1)] = hinted[(e2, flow, 2, T2)] = 1
        for k, T in ((0, Ti), (1, T1), (2, T2)):
            hint_count[(loc, flow, k, T)] += 1

    seats = defaultdict(list)  # (loc, flow, kind, T) -> [Boolean]; interviews under flow None
    load = {}  # staff -> linear expression of their tasks over the horizon
    in_a = {}  # examiner -> Boolean: in team A

    def person(s, loc, kinds, dur):
        total = []
        for d in data.days_of[s]:
            day = []  # (t, var)
            for t in data.starts(dur):
                for flow, k in kinds:
                    v = m.new_bool_var(f"w_{s}_{flow}_{k}_{d}_{t}")
                    m.add_hint(v, hinted[(s, flow, k, d * S + t)])
                    if flow is not None:
                        # AB: polygraph 1 by team A, polygraph 2 by team B; BA the other way round.
                        in_team_a = (flow == "AB") == (k == 1)
                        m.add_implication(v, in_a[s] if in_team_a else in_a[s].Not())
                    seats[(loc, flow, k, d * S + t)].append(v)
                    day.append((t, v))
            if not day:
                continue
            for u in range(S):
                covering = [v for t, v in day if t <= u < t + dur]
                if len(covering) > 1:
                    m.add_at_most_one(covering)
            cap = data.cap_of[s]
            if cap < len(day) // len(kinds):
                m.add(sum(v for _, v in day) <= cap)
            total.extend(v for _, v in day)
        load[s] = sum(total)

    for loc in data.locs:
        for s in data.psy[loc]:
            person(s, loc, ((None, 0),), I)
        for s in data.exa[loc]:
            in_a[s] = m.new_bool_var(f"a_{s}")
            m.add_hint(in_a[s], int(team.get(s, True)))
            person(s, loc, tuple((f, k) for f in FLOWS for k in (1, 2)), P)
    # Identical people are interchangeable: order them (psychologists by load, examiners team A first).
    for (role, *_), people in twin_groups(data).items():
        for a, b in zip(people, people[1:]):
            if role == "psy":
                m.add(load[a] >= load[b])
            else:
                m.add_implication(in_a[b], in_a[a])

    def running(name, parts, hints):
        """Running sums over time of parts[T] (int or expression): returns the list of prefix sums."""
        out, run, hint_run = [], 0, 0
        for T in range(H):
            if not isinstance(parts[T], int):
                c = m.new_int_var(0, len(data.inst["candidates"]), f"{name}_{T}")
                m.add(c == run + parts[T])
                hint_run += hints[T]
                m.add_hint(c, hint_run)
                run = c
            out.append(run)
        return out

    arrivals = {}  # (loc, day) -> linear expression
    interview_split = {}  # (loc, flow, T) -> int var: interviews at T of candidates of that flow
    for loc in data.locs:
        cums = {}
        for flow in FLOWS:
            for k in (1, 2):
                parts = [sum(seats[(loc, flow, k, T)]) if seats.get((loc, flow, k, T)) else 0 for T in range(H)]
                cums[(flow, k)] = running(f"cum_{loc}_{flow}{k}", parts,
                                          [hint_count[(loc, flow, k, T)] for T in range(H)])
        interviews = [sum(seats[(loc, None, 0, T)]) if seats.get((loc, None, 0, T)) else 0 for T in range(H)]
        split = {flow: [0] * H for flow in FLOWS}
        for T in range(H):
            if isinstance(interviews[T], int):
                continue
            for flow in FLOWS:
                v = m.new_int_var(0, len(data.psy[loc]), f"i_{loc}_{flow}_{T}")
                m.add_hint(v, hint_count[(loc, flow, 0, T)])
                split[flow][T] = v
                interview_split[(loc, flow, T)] = v
            m.add(split["AB"][T] + split["BA"][T] == interviews[T])
        for flow in FLOWS:
            cum0 = running(f"cum_{loc}_{flow}0", split[flow], [hint_count[(loc, flow, 0, T)] for T in range(H)])
            cum1, cum2 = cums[(flow, 1)], cums[(flow, 2)]
            cums[(flow, 0)] = cum0
            # Hall conditions: first-come-first-served pairing then always finds an earlier partner.
            for T in range(H):
                if not isinstance(cum1[T], int):
                    m.add(cum1[T] <= (cum0[T - I] if T - I >= 0 else 0))
                if not isinstance(cum2[T], int):
                    m.add(cum2[T] <= (cum1[T - P - G] if T - P - G >= 0 else 0))
            m.add(cum1[H - 1] == cum0[H - 1])
            m.add(cum2[H - 1] == cum1[H - 1])
        for d in range(D):
            inside = sum(cums[(flow, 0)][d * S + S - 1] - (cums[(flow, 2)][d * S - 1] if d > 0 else 0)
                         for flow in FLOWS)
            if not isinstance(inside, int):
                m.add(inside <= data.capacity[loc])
            arrivals[(loc, d)] = sum(interviews[d * S + t] for t in range(S))

    # Candidates: per class, its arrivals per location and day; its best candidates are the ones selected.
    hint_arrivals = defaultdict(int)
    for cid, (loc, (p, Ti), _, _) in placed.items():
        hint_arrivals[(cid, loc, Ti // S)] += 1
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
                m.add_hint(g, sum(hint_arrivals[(cid, loc, d)] for cid in ids))
                by_loc_day[(loc, d)].append(g)
                class_arrivals[(key, loc, d)] = g
                flows.append(g)
        xs = []
        for cid in ids:
            x = m.new_bool_var(f"x_{cid}")
            m.add_hint(x, int(cid in placed))
            xs.append(x)
            objective.append(data.value30[cid] * x)
        for a, b in zip(xs, xs[1:]):
            m.add_implication(b, a)
        m.add(sum(flows) == sum(xs) if flows else sum(xs) == 0)
    for (loc, d), expr in arrivals.items():
        if not isinstance(expr, int):
            m.add(expr == sum(by_loc_day.get((loc, d), [])))
    m.maximize(sum(objective))
    return m, seats, interview_split, class_arrivals


# ---------------------------------------------------------------------------------------------------------------
# Decoding: counts to people and candidates


def decode(data, value, seats, interview_split, class_arrivals):
    """A plan from a solution: every seat used becomes a task; per flow, polygraphs are paired first come, first
    served with the earliest task they may follow (the Hall conditions make that always succeed)."""
    S, I, P, G = data.S, data.I, data.P, data.G
    people_at = defaultdict(list)  # (loc, flow, kind, T) -> [staff]
    for key, vs in seats.items():
        for v in vs:
            if value(v):
                people_at[key].append(int(v.name.split("_")[1]))
    queue = defaultdict(list)  # (loc, day) -> classes, one entry per arrival
    for (key, loc, d), g in class_arrivals.items():
        queue[(loc, d)].extend([key] * value(g))
    next_of = defaultdict(int)  # class -> how many of its candidates are placed
    assignments = []
    for loc in data.locs:
        interviews = sorted((T, s) for (l, flow, _, T), ss in people_at.items() if l == loc and flow is None
                            for s in ss)
        # Candidates to interviews, day by day, then each interview to a flow as the split says.
        by_day = defaultdict(list)
        for T, s in interviews:
            by_day[T // S].append((T, s))
        journeys = {flow: [] for flow in FLOWS}
        taken = defaultdict(int)  # (flow, T) -> interviews given to that flow
        for d, tasks in sorted(by_day.items()):
            keys = queue[(loc, d)]
            if len(keys) != len(tasks):
                raise RuntimeError(f"arrivals differ at {loc} day {d}")
            for key, (T, s) in zip(keys, tasks):
                cid = data.classes[key][next_of[key]]
                next_of[key] += 1
                flow = "AB" if taken[("AB", T)] < value(interview_split[(loc, "AB", T)]) else "BA"
                taken[(flow, T)] += 1
                journeys[flow].append([cid, (T, s), None, None])
        for flow in FLOWS:
            js = sorted(journeys[flow], key=lambda j: j[1][0])
            firsts = sorted((T, s) for (l, f, k, T), ss in people_at.items() if (l, f, k) == (loc, flow, 1)
                            for s in ss)
            seconds = sorted((T, s) for (l, f, k, T), ss in people_at.items() if (l, f, k) == (loc, flow, 2)
                             for s in ss)
            if not (len(js) == len(firsts) == len(seconds)):
                raise RuntimeError(f"counts differ at {loc} ({flow})")
            for j, task in zip(js, firsts):
                if j[1][0] + I > task[0]:
                    raise RuntimeError(f"a first polygraph before its interview at {loc}")
                j[2] = task
            js.sort(key=lambda j: j[2][0])
            for j, task in zip(js, seconds):
                if j[2][0] + P + G > task[0]:
                    raise RuntimeError(f"a second polygraph too early at {loc}")
                j[3] = task
            for cid, ti, t1, t2 in js:
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
    # Greedy passes for a fifth of the limit (the first one always completes).
    hint, passes = best_greedy(data, started + 0.2 * args.time_limit)
    greedy_plan = plan_of(data, greedy_assignments(data, hint[0]))
    m, seats, interview_split, class_arrivals = build(data, hint)
    solver = cp_model.CpSolver()
    # Decoding and writing take well under half a second even at 2,000 candidates.
    solver.parameters.max_time_in_seconds = max(0.1, args.time_limit - (time.time() - started) - 0.4)
    solver.parameters.num_workers = args.workers
    solver.parameters.random_seed = 1
    solver.parameters.log_search_progress = bool(os.environ.get("CPSAT_LOG"))
    solver.parameters.debug_crash_on_bad_hint = bool(os.environ.get("CPSAT_CHECK_HINT"))
    # Probing in presolve takes seconds on models this size at 1,000+ candidates (2 busy cores), and without it
    # the search starts from the hint in time; on smaller models it pays for itself.
    if len(m.proto.variables) > 20_000:
        solver.parameters.cp_model_probing_level = 0
    status = solver.solve(m)
    plan = greedy_plan
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solved = plan_of(data, decode(data, solver.value, seats, interview_split, class_arrivals))
        if solved["objective"] >= greedy_plan["objective"]:
            plan = solved
    with open(args.out, "w") as f:
        json.dump(plan, f)
    ok = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    print(json.dumps({
        "status": solver.status_name(status),
        "objective": plan["objective"],
        "greedy": greedy_plan["objective"],
        "greedy_passes": passes,
        "model_bound": solver.best_objective_bound / 30 if ok else None,
        "scheduled": len(plan["assignments"]),
        "wall": round(time.time() - started, 2),
        "solve_wall": round(solver.wall_time, 2),
    }))


if __name__ == "__main__":
    sys.exit(main())
