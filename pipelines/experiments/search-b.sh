#!/usr/bin/env bash
# Experiment B (search efficiency) on both cores: two identical processes (one wasm thread each)
# that share the searches with --claim: each takes the next search no live process holds (guided,
# random, plain for seeds 1, 2, 3, then guided+inherit and plain+inherit for seeds 1, 2, 3), runs
# it and its final training, and moves on. Every search resumes from its journal and every final
# training from its checkpoint: rerun this script after a stop (a search held by a killed process
# is free again once its lock is 20 minutes old). When both are done (and at any time, with
# `--report-only` alone), the last command reads all journals and finals and writes
# docs/results/search-efficiency.json and the table.
#
#   nohup bash pipelines/experiments/search-b.sh > runs/search-b.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASSEMBLENET_THREADS="${ASSEMBLENET_THREADS:-1}"
mkdir -p runs/exp-search
# Proxy: 25 train videos per class (200), 12 epochs = 300 steps, width 0.25, one clip; fitness =
# top-1 on the whole val split (200 videos). Table A showed 40-step proxies would sit at chance.
COMMON=(--dataset runs/streams/dataset/synthetic-streams.csv
  --arms guided,random,plain,guided+inherit,plain+inherit --seeds 1,2,3
  --budget 40 --population 8 --proxy-per-class 25 --proxy-epochs 12 --out runs/exp-search)
SEARCH=(node --import tsx pipelines/experiments/search.ts "${COMMON[@]}")

for process in 1 2; do
  "${SEARCH[@]}" --claim --json "runs/exp-search/process-$process.json" \
    >> "runs/exp-search/process-$process.log" 2>&1 &
done
wait
"${SEARCH[@]}" --report-only --json docs/results/search-efficiency.json \
  --svg docs/results/search-efficiency.svg
