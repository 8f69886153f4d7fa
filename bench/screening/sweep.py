#!/usr/bin/env python3
"""Precision/recall/F1 of one hit list (made at a low threshold) at several higher thresholds.

usage: sweep.py HITS.csv TRUTH.csv [T1 T2 ...]
"""
import csv
import sys

hits_path, truth_path = sys.argv[1], sys.argv[2]
thresholds = [float(t) for t in sys.argv[3:]] or [0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
with open(truth_path, newline="", encoding="utf-8") as f:
    truth = {(r["applicant_id"], r["watchlist_id"]) for r in csv.DictReader(f)}
with open(hits_path, newline="", encoding="utf-8") as f:
    scored = [((r["applicant_id"], r["watchlist_id"]), float(r["score"])) for r in csv.DictReader(f)]
for t in thresholds:
    hits = {pair for pair, score in scored if score >= t}
    tp = len(hits & truth)
    p = tp / len(hits) if hits else 1.0
    r = tp / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"threshold={t:.2f} hits={len(hits)} precision={p:.4f} recall={r:.4f} f1={f1:.4f}")
