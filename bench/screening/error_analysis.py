#!/usr/bin/env python3
"""Error analysis: print missed and false pairs with both records and the engine's explanation.

usage: error_analysis.py DATA_DIR HITS.csv [N]   (DATA_DIR holds watchlist.csv, applicants.csv, truth.csv)
"""
import csv
import os
import sys

d, hits_path = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
rd = lambda f: list(csv.DictReader(open(os.path.join(d, f), newline="", encoding="utf-8")))
w = {r["id"]: r for r in rd("watchlist.csv")}
a = {r["id"]: r for r in rd("applicants.csv")}
truth = {(r["applicant_id"], r["watchlist_id"]) for r in rd("truth.csv")}
hits = {(r["applicant_id"], r["watchlist_id"]): r for r in csv.DictReader(open(hits_path, newline="", encoding="utf-8"))}
for label, items in (("MISSED", sorted(truth - set(hits))), ("FALSE", sorted(set(hits) - truth))):
    print(f"== {label} {len(items)}")
    for ap, wl in items[:n]:
        A, W = a[ap], w[wl]
        h = hits.get((ap, wl), {})
        print(f"{ap} {A['name']} | {A['birth_date']}  <>  {wl} {W['name']} / {W['aliases']} | {W['birth_date']}")
        if h:
            print(f"     {h['score']} {h['explanation']}")
