#!/usr/bin/env python3
"""Runs `sito plan` and the CP-SAT anchor on the same generated instances and prints a table per size.

    bench.py --sito PATH --python VENV_PYTHON [--sizes 20,100,300,1000,2000] [--seeds 1,2,3] [--time-limit 10]
             [--out bench-out/planning]

Per instance: both objectives, sito's over CP-SAT's, sito's upper bound and gap, CP-SAT's status, its own greedy
start (the hint) and whether CP-SAT improved on it, and validity of both plans by the official validate.py. Per
size: means, and the worst and best ratio. Run by run.sh, which sets up the venv and builds the binary.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from generate import generate  # noqa: E402

VALIDATE = os.path.join(HERE, "..", "..", "..", "shared", "data", "plan-sample", "validate.py")


def validate(instance, plan):
    out = subprocess.run([sys.executable, VALIDATE, "--instance", instance, "--plan", plan, "--json"],
                         capture_output=True, text=True)
    try:
        return json.loads(out.stdout)["valid"]
    except (ValueError, KeyError):
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sito", required=True)
    ap.add_argument("--python", required=True, help="a python with ortools installed")
    ap.add_argument("--sizes", default="20,100,300,1000,2000")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--out", default="bench-out/planning")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for size in [int(x) for x in args.sizes.split(",")]:
        for seed in [int(x) for x in args.seeds.split(",")]:
            base = os.path.join(args.out, f"n{size}-s{seed}")
            instance = base + ".json"
            with open(instance, "w") as f:
                json.dump(generate(size, seed), f)
            ours = subprocess.run([args.sito, "plan", "--instance", instance, "--out", base + ".sito.json",
                                   "--time-limit", str(args.time_limit)], capture_output=True, text=True)
            summary = ours.stderr.strip().splitlines()[-1] if ours.stderr.strip() else ""
            fields = dict(re.findall(r"(\w+)=([-\d.]+)", summary))
            cp = subprocess.run([args.python, os.path.join(HERE, "cpsat.py"), "--instance", instance,
                                 "--out", base + ".cpsat.json", "--time-limit", str(args.time_limit),
                                 "--workers", "2"], capture_output=True, text=True)
            cpr = json.loads(cp.stdout.strip().splitlines()[-1]) if cp.returncode == 0 else {}
            if cp.returncode != 0:
                print(cp.stderr, file=sys.stderr)
            with open(instance) as f:
                inst = json.load(f)
            row = {
                "size": size, "seed": seed, "days": inst["days"],
                "ours": float(fields.get("objective", "nan")), "bound": float(fields.get("upper_bound", "nan")),
                "time": float(fields.get("time", "nan")),
                "cpsat": float(cpr.get("objective", float("nan"))),
                "cpsat_greedy": float(cpr.get("greedy", float("nan"))),
                "cpsat_status": cpr.get("status", "failed"), "cpsat_wall": float(cpr.get("wall", float("nan"))),
                "ours_valid": ours.returncode == 0 and validate(instance, base + ".sito.json"),
                "cpsat_valid": cp.returncode == 0 and validate(instance, base + ".cpsat.json"),
            }
            row["ratio"] = row["ours"] / row["cpsat"] if row["cpsat"] > 0 else float("inf")
            row["gap"] = (row["bound"] - row["ours"]) / row["bound"] if row["bound"] > 0 else 0.0
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| size | seed | days | sito plan | upper bound | gap | sito time | CP-SAT | its greedy start | status "
          "| CP-SAT time | sito / CP-SAT | valid (sito / CP-SAT) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    yes = {True: "yes", False: "NO"}
    for r in rows:
        print(f"| {r['size']} | {r['seed']} | {r['days']} | {r['ours']:.3f} | {r['bound']:.2f} | "
              f"{100 * r['gap']:.2f}% | {r['time']:.2f} s | {r['cpsat']:.3f} | {r['cpsat_greedy']:.3f} | "
              f"{r['cpsat_status']} | {r['cpsat_wall']:.2f} s | {r['ratio']:.4f} | "
              f"{yes[r['ours_valid']]} / {yes[r['cpsat_valid']]} |")
    print()
    print("| size | n | days | sito (mean) | CP-SAT (mean) | ratio mean | ratio min | ratio max | bound gap mean "
          "| sito time max | valid sito / CP-SAT |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in sorted({r["size"] for r in rows}):
        rs = [r for r in rows if r["size"] == size]
        mean = lambda k: sum(r[k] for r in rs) / len(rs)  # noqa: E731
        print(f"| {size} | {len(rs)} | {'/'.join(str(r['days']) for r in rs)} | {mean('ours'):.2f} | "
              f"{mean('cpsat'):.2f} | {mean('ratio'):.4f} | "
              f"{min(r['ratio'] for r in rs):.4f} | {max(r['ratio'] for r in rs):.4f} | "
              f"{100 * mean('gap'):.2f}% | {max(r['time'] for r in rs):.2f}s | "
              f"{sum(r['ours_valid'] for r in rs)}/{len(rs)} / {sum(r['cpsat_valid'] for r in rs)}/{len(rs)} |")
    print(f"\nall: ratio mean {sum(r['ratio'] for r in rows) / len(rows):.4f}, min "
          f"{min(r['ratio'] for r in rows):.4f}, max {max(r['ratio'] for r in rows):.4f}; CP-SAT improved on its "
          f"greedy start on {sum(r['cpsat'] > r['cpsat_greedy'] + 1e-9 for r in rows)}/{len(rows)}; "
          f"bound gap mean {100 * sum(r['gap'] for r in rows) / len(rows):.2f}%")


if __name__ == "__main__":
    main()
