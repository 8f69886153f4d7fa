#!/usr/bin/env bash
# The planning benchmark: `sito plan` against OR-Tools CP-SAT (2 workers), same instances, same time limit.
#   bench/planning/run.sh [--sizes 20,100,300,1000,2000] [--seeds 1,2,3] [--time-limit 10]
# Installs ortools from PyPI into bench-out/venv on first use and builds the release binary, unless SITO names a
# binary to use (e.g. SITO=path/to/release/sito, to avoid a rebuild while others build the workspace).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench-out
mkdir -p "$out"
if [ ! -x "$out/venv/bin/python" ] || ! "$out/venv/bin/python" -c "import ortools" 2>/dev/null; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet ortools
fi
sito="${SITO:-}"
if [ -z "$sito" ]; then
  cargo build --release -p sito
  sito="${CARGO_TARGET_DIR:-target}/release/sito"
fi
python3 bench/planning/bench.py --sito "$sito" --python "$out/venv/bin/python" --out "$out/planning" "$@"
