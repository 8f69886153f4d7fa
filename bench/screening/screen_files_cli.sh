#!/usr/bin/env bash
# Adapter: `screen_files_cli.sh BINARY --watchlist W --applicants A --out O --threads N` for examples/screen_files.
set -euo pipefail
BIN="$1"; shift
while [ $# -gt 0 ]; do
    case "$1" in
        --watchlist) W="$2"; shift 2 ;;
        --applicants) A="$2"; shift 2 ;;
        --out) O="$2"; shift 2 ;;
        --threads) T="$2"; shift 2 ;;
        *) shift ;;
    esac
done
exec "$BIN" "$W" "$A" "${O:--}" 0.80 "${T:-2}"
