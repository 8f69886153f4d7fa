#!/usr/bin/env bash
# Intake benchmark: sustained sealed, durably committed submissions per second and latency over loopback
# (wrk from Debian), then the limits measured alone. Run from the repository root:
#   bench/intake/run.sh [SECONDS] [CONNECTIONS]
# Needs: apt-get install wrk; builds the release binary into $CARGO_TARGET_DIR (default target/).
set -euo pipefail
seconds=${1:-20}
connections=${2:-16}
target=${CARGO_TARGET_DIR:-target}
cargo build --release -p sito -q
cargo build --release -p sito-web --example intake_limits -q
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
mkdir -p "$data/keys"
SITO_OFFICE_PASSPHRASE=bench-passphrase-not-secret "$target/release/sito" keys generate --data "$data" >/dev/null
# The flood defence is opened wide so the benchmark measures the machine, not the limiter.
"$target/release/sito" intake --data "$data" --listen 127.0.0.1:18480 --submissions-per-second 100000 2>"$data/log" &
pid=$!
until grep -q "listening on" "$data/log"; do sleep 0.1; done
echo "== wrk -t2 -c$connections -d${seconds}s (POST /api/v1/applications)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s bench/intake/post.lua http://127.0.0.1:18480/api/v1/applications \
  | grep -E "requests |latency p|Non-2xx|Socket errors" || true
echo "== committed submissions: $(sqlite3 "$data/intake.db" 'select count(*) from intake_submissions' 2>/dev/null || echo '?')"
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "== limits, each alone"
"$target/release/examples/intake_limits"
