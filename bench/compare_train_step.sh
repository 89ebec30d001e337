#!/bin/bash
# The scaled AssembleNet-50 training step (bench/_trainStep.ts), `src/` at BEFORE against the
# working tree, alternating, one process per run, ROUNDS rounds, 1 wasm thread; prints one line
# per run: side, round, load average, the step's JSON (best and median wall, median CPU ms per step).
#   bash bench/compare_train_step.sh BEFORE [ROUNDS=5] [STEPS=7]
set -euo pipefail
before=${1:?usage: bench/compare_train_step.sh BEFORE [ROUNDS] [STEPS]}
rounds=${2:-5}
steps=${3:-7}
root=$(cd "$(dirname "$0")/.." && pwd)
tree=$root/runs/compare-step-$before
# shellcheck source=bench/_beforeTree.sh
. "$root/bench/_beforeTree.sh"
before_tree "$root" "$before" "$tree"
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$root
    [ "$side" = before ] && dir=$tree
    result=$(cd "$dir" && node --import tsx bench/_trainStep.ts "$steps" | tail -1)
    echo "$side $round load=$(cut -d' ' -f1 /proc/loadavg) $result"
  done
done
