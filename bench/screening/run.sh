#!/usr/bin/env bash
# Screening benchmark: `sito screen` against a rapidfuzz brute-force baseline and OpenSanctions' matcher
# (nomenklatura: DuckDB blocking index + logic-v2), on our generated data and on the public sample.
#
#   bench/screening/run.sh [WATCHLIST_SIZE] [APPLICANTS] [ANCHOR_SAMPLE]
#
# Defaults are the target size: 200000 watchlist entries x 5000 applicants. The anchors screen the first
# ANCHOR_SAMPLE applicants (default 500) and their time is extrapolated linearly to all applicants (the output
# says so); precision and recall of the anchors are measured on that subsample.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WATCHLIST_SIZE="${1:-200000}"
APPLICANTS="${2:-5000}"
ANCHOR_SAMPLE="${3:-500}"
OUT="${BENCH_OUT:-$ROOT/bench-out/screening}"
VENV="${BENCH_VENV:-$ROOT/bench-out/venv-screening}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q rapidfuzz nomenklatura
fi
PY="$VENV/bin/python"

if cargo build --release -p sito >&2; then
    SITO_SCREEN=("$CARGO_TARGET_DIR/release/sito" screen)
    ENGINE="sito screen"
else
    # The binary links every crate of the workspace; while another crate does not build, the same engine
    # entry point (sito_screen::batch::run_files) is run through the crate's example instead.
    echo "sito does not build right now; measuring the engine through examples/screen_files" >&2
    cargo build --release -p sito-screen --example screen_files >&2
    SITO_SCREEN=("$ROOT/bench/screening/screen_files_cli.sh" "$CARGO_TARGET_DIR/release/examples/screen_files")
    ENGINE="screen_files"
fi

GEN="$OUT/generated-${WATCHLIST_SIZE}x${APPLICANTS}"
[ -f "$GEN/truth.csv" ] || python3 "$ROOT/bench/screening/gen.py" "$GEN" --watchlist "$WATCHLIST_SIZE" --applicants "$APPLICANTS" --seed 11 >&2
SAMPLE="$ROOT/../shared/data/screening-sample"

measure() { # name data_dir hits_csv seconds screened total
    local name="$1" data="$2" hits="$3" seconds="$4" screened="$5" total="$6"
    local prf extra=""
    if [ "$screened" -lt "$total" ]; then
        prf=$(python3 "$ROOT/bench/screening/score.py" "$hits" "$data/truth.csv" --applicants "$data/applicants.csv" --first "$screened")
        seconds=$(python3 -c "print(f'{$seconds * $total / $screened:.1f}')")
        extra=" (extrapolated from $screened applicants)"
    else
        prf=$(python3 "$ROOT/bench/screening/score.py" "$hits" "$data/truth.csv")
    fi
    printf '%-14s %-34s %s seconds=%s%s\n' "$name" "$(basename "$data")" "${prf#pairs=* }" "$seconds" "$extra"
}

for DATA in "$GEN" "$SAMPLE"; do
    [ -f "$DATA/truth.csv" ] || continue
    total=$(($(wc -l < "$DATA/applicants.csv") - 1))
    sample=$(( ANCHOR_SAMPLE < total ? ANCHOR_SAMPLE : total ))
    start=$(date +%s.%N)
    "${SITO_SCREEN[@]}" --watchlist "$DATA/watchlist.csv" --applicants "$DATA/applicants.csv" --out "$OUT/sito.csv" --threads 2
    seconds=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
    measure "$ENGINE" "$DATA" "$OUT/sito.csv" "$seconds" "$total" "$total"
    read -r _ rf_seconds rf_n < <("$PY" "$ROOT/bench/screening/anchors.py" rapidfuzz "$DATA" "$OUT/rapidfuzz.csv" --sample "$sample")
    measure "rapidfuzz" "$DATA" "$OUT/rapidfuzz.csv" "$rf_seconds" "$rf_n" "$total"
    read -r _ nk_seconds nk_n < <("$PY" "$ROOT/bench/screening/anchors.py" nomenklatura "$DATA" "$OUT/nomenklatura.csv" --sample "$sample" 2>/dev/null)
    measure "nomenklatura" "$DATA" "$OUT/nomenklatura.csv" "$nk_seconds" "$nk_n" "$total"
done
