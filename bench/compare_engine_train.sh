#!/bin/bash
# Before/after for the engine and train benches: `src/` at BEFORE (a commit) against the working
# tree, alternating, ROUNDS rounds, 1 wasm thread, PyTorch peer in every run, `--profile`.
#   bash bench/compare_engine_train.sh BEFORE [ROUNDS=2] [OUT=runs/compare-BEFORE]
# The before tree (runs/compare-BEFORE/tree) gets BEFORE's src/, evolution/, package.json and
# today's bench/ files, and links node_modules. Logs: OUT/{engine,train}-{before,after}-rN.txt
# (the last line of each is the bench's JSON).
set -euo pipefail
before=${1:?usage: bench/compare_engine_train.sh BEFORE [ROUNDS] [OUT]}
rounds=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${3:-$root/runs/compare-$before}
tree=$out/tree
# shellcheck source=bench/_beforeTree.sh
. "$root/bench/_beforeTree.sh"
before_tree "$root" "$before" "$tree"
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$root
    [ "$side" = before ] && dir=$tree
    for bench in engine train; do
      (cd "$dir" && node bench/run.mjs "$bench" --json --threads 1 --baseline-steps 0 --profile) \
        > "$out/$bench-$side-r$round.txt" 2>&1
      echo "$(date -u +%H:%M:%S) $bench $side round $round (load $(cut -d' ' -f1 /proc/loadavg))"
    done
  done
done
