#!/usr/bin/env python3
"""Precision, recall and F1 of a hit list against truth pairs.

usage: score.py HITS.csv TRUTH.csv [--meta applicants_meta.csv] [--show N]
HITS.csv has columns applicant_id,watchlist_id (others ignored); TRUTH.csv applicant_id,watchlist_id.
"""
import argparse
import csv
import sys


def pairs(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["applicant_id"], r["watchlist_id"]) for r in csv.DictReader(f)}


def measure(hits, truth):
    tp = len(hits & truth)
    p = tp / len(hits) if hits else 1.0
    r = tp / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return tp, p, r, f1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hits")
    ap.add_argument("truth")
    ap.add_argument("--meta")
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--applicants", help="applicants.csv, with --first: score only its first N applicants")
    ap.add_argument("--first", type=int, default=0)
    args = ap.parse_args()
    hits, truth = pairs(args.hits), pairs(args.truth)
    if args.applicants and args.first:
        with open(args.applicants, newline="", encoding="utf-8") as f:
            keep = {r["id"] for _, r in zip(range(args.first), csv.DictReader(f))}
        truth = {p for p in truth if p[0] in keep}
        hits = {p for p in hits if p[0] in keep}
    tp, p, r, f1 = measure(hits, truth)
    print(f"pairs={len(hits)} true={len(truth)} tp={tp} precision={p:.4f} recall={r:.4f} f1={f1:.4f}")
    if args.show:
        meta = {}
        if args.meta:
            with open(args.meta, newline="", encoding="utf-8") as f:
                meta = {r["applicant_id"]: r for r in csv.DictReader(f)}
        for label, items in (("missed", sorted(truth - hits)), ("false", sorted(hits - truth))):
            print(f"-- {label}: {len(items)}")
            for a, w in items[: args.show]:
                m = meta.get(a, {})
                print(" ", a, w, m.get("category", ""), m.get("subtype", ""), m.get("system", ""), m.get("noise", ""))


if __name__ == "__main__":
    sys.exit(main())
