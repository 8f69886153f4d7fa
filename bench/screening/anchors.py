#!/usr/bin/env python3
"""The two anchors `sito screen` is measured against, run locally on the same files.

usage: anchors.py rapidfuzz|nomenklatura DATA_DIR OUT.csv [--sample N] [--threshold T]

rapidfuzz:     brute force, every applicant against every watchlist name: names made ASCII with normality,
               token_sort_ratio (rapidfuzz.process.cdist, all cores), plus the same date-of-birth compatibility
               rule the contract implies (a clearly different date rules a pair out).
nomenklatura:  OpenSanctions' matcher: the DuckDB blocking index (nomenklatura.blocker.Index.match_entities)
               for candidates, then logic-v2 (nomenklatura.matching.LogicV2) scoring each candidate pair.
--sample N     screen only the first N applicants (the caller extrapolates the time; the script says so).
Prints one line: `name seconds screened_applicants`.
"""
import argparse
import csv
import os
import sys
import tempfile
import time


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def dob_compatible(a, w):
    if not a or not w:
        return True
    a, w = a.split("-"), w.split("-")
    if a[0] != w[0]:
        return False
    if len(a) < 2 or len(w) < 2:
        return True
    if len(a) == 3 and len(w) == 3:
        if a == w:
            return True
        if a[1] == w[1] and (abs(int(a[2]) - int(w[2])) == 1 or sum(x != y for x, y in zip(a[2], w[2])) == 1):
            return True
        return a[1] == w[2] and a[2] == w[1]
    return a[1] == w[1]


def run_rapidfuzz(data, applicants, threshold):
    import numpy as np
    from normality import ascii_text
    from rapidfuzz import fuzz, process

    watchlist = read_csv(os.path.join(data, "watchlist.csv"))
    names, owners = [], []
    for i, row in enumerate(watchlist):
        for name in [row["name"]] + [a for a in row["aliases"].split(";") if a]:
            names.append(ascii_text(name.replace(",", " ")) or "")
            owners.append(i)
    owners = np.array(owners)
    queries = [ascii_text(a["name"].replace(",", " ")) or "" for a in applicants]
    rows = []
    for start in range(0, len(queries), 50):
        block = queries[start : start + 50]
        scores = process.cdist(block, names, scorer=fuzz.token_sort_ratio, workers=-1, dtype=np.uint8,
                               score_cutoff=threshold)
        for offset, line in enumerate(scores):
            applicant = applicants[start + offset]
            best = {}
            for j in np.nonzero(line)[0]:
                w = owners[j]
                best[w] = max(best.get(w, 0), int(line[j]))
            for w, score in best.items():
                if dob_compatible(applicant["birth_date"], watchlist[w]["birth_date"]):
                    rows.append((applicant["id"], watchlist[w]["id"], score / 100))
    return rows


def run_nomenklatura(data, applicants, threshold):
    from followthemoney import Dataset, StatementEntity
    from nomenklatura.blocker.index import Index
    from nomenklatura.matching import LogicV2
    from nomenklatura.resolver import Linker
    from nomenklatura.store import load_entity_file_store
    from pathlib import Path

    store = load_entity_file_store(Path(data) / "watchlist.jsonl", Linker({}))
    view = store.default_view()
    dataset = Dataset.make({"name": "applicants", "title": "applicants"})
    queries = []
    for a in applicants:
        props = {"name": [a["name"]]}
        if a["birth_date"]:
            props["birthDate"] = [a["birth_date"]]
        if a["birth_place"]:
            props["birthPlace"] = [a["birth_place"]]
        queries.append(StatementEntity.from_data(dataset, {"id": "q-" + a["id"], "schema": "Person", "properties": props}))
    by_id = {q.id: q for q in queries}
    config = LogicV2.default_config()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = Index(view, Path(tmp))
        index.build()
        for query_id, matches in index.match_entities(queries):
            query = by_id[query_id.id]
            for match_id, _blocking_score in matches:
                entity = view.get_entity(match_id.id)
                if entity is None:
                    continue
                result = LogicV2.compare(query, entity, config)
                if result.score >= threshold:
                    rows.append((query.id[2:], entity.id, result.score))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("anchor", choices=["rapidfuzz", "nomenklatura"])
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--threshold", type=float)
    args = ap.parse_args()
    applicants = read_csv(os.path.join(args.data, "applicants.csv"))
    if args.sample:
        applicants = applicants[: args.sample]
    started = time.perf_counter()
    if args.anchor == "rapidfuzz":
        rows = run_rapidfuzz(args.data, applicants, args.threshold or 85)
    else:
        rows = run_nomenklatura(args.data, applicants, args.threshold or 0.7)
    seconds = time.perf_counter() - started
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["applicant_id", "watchlist_id", "score"])
        w.writerows(sorted(rows))
    print(f"{args.anchor} {seconds:.2f} {len(applicants)}")


if __name__ == "__main__":
    sys.exit(main())
