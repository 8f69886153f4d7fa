#!/usr/bin/env python3
"""Precision, recall and F1 per category of applicant (from applicants_meta.csv), as pairs.

usage: score_categories.py DATA_DIR HITS.csv [--by subtype|system|noise|dob_noise] [--markdown]
Rows: every match subgroup (recall matters) and every hard-negative kind (false alarms matter: `flagged` is the
share of that kind's applicants with at least one hit); then all applicants.
"""
import argparse
import csv
import os
from collections import defaultdict


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def prf(hits, truth):
    tp = len(hits & truth)
    p = tp / len(hits) if hits else 1.0
    r = tp / len(truth) if truth else 1.0
    return tp, p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("hits")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    meta = {r["applicant_id"]: r for r in read(os.path.join(args.data, "applicants_meta.csv"))}
    truth = {(r["applicant_id"], r["watchlist_id"]) for r in read(os.path.join(args.data, "truth.csv"))}
    hits = {(r["applicant_id"], r["watchlist_id"]) for r in read(args.hits)}
    groups = defaultdict(set)
    for aid, m in meta.items():
        if m["category"] == "match":
            groups["match"].add(aid)
            system = m.get("system", "")
            groups["match system=" + system].add(aid)
            for noise in filter(None, (m.get("noise") or "").split("+") + [m.get("dob_noise", "")]):
                groups["match " + noise].add(aid)
            if m.get("dob_shown") and m["dob_shown"] != "full":
                groups["match dob=" + m["dob_shown"]].add(aid)
        elif m["category"] == "hard_negative":
            groups["negative " + m["subtype"]].add(aid)
        else:
            groups[m["category"]].add(aid)
    rows = []
    for name in sorted(groups, key=lambda g: (not g.startswith("match"), g)):
        ids = groups[name]
        h = {p for p in hits if p[0] in ids}
        t = {p for p in truth if p[0] in ids}
        tp, p, r, f1 = prf(h, t)
        flagged = len({a for a, _ in h - t}) / len(ids)
        rows.append((name, len(ids), len(t), len(h), tp, p, r, f1, flagged))
    tp, p, r, f1 = prf(hits, truth)
    rows.append(("ALL", len(meta), len(truth), len(hits), tp, p, r, f1,
                 len({a for a, _ in hits - truth}) / max(1, len(meta))))
    if args.markdown:
        print("| category | applicants | true pairs | hits | precision | recall | F1 | applicants falsely flagged |")
        print("|---|---|---|---|---|---|---|---|")
        for name, n, t, h, tp, p, r, f1, fl in rows:
            rec = f"{r:.3f}" if t else "–"
            print(f"| {name} | {n} | {t} | {h} | {p:.3f} | {rec} | {f1:.3f} | {fl:.1%} |")
    else:
        for name, n, t, h, tp, p, r, f1, fl in rows:
            print(f"{name:32s} n={n:5d} true={t:4d} hits={h:4d} tp={tp:4d} P={p:.3f} R={r:.3f} F1={f1:.3f} "
                  f"falsely_flagged={fl:.1%}")


if __name__ == "__main__":
    main()
