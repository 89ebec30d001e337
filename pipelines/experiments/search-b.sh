#!/usr/bin/env bash
# Experiment B (search efficiency) on both cores: seeds 1 and 3 in one process, seed 2 in the
# other (disjoint seeds, so no search journal has two writers; each process its own JSON under
# runs/exp-search/), one wasm thread each. Every search resumes from its journal and every final
# training from its checkpoint: rerun this script after a stop. When both are done (and at any
# time, with `--report-only` alone), the last command reads all journals and finals and writes
# docs/results/search-efficiency.json and the table.
#
#   nohup bash pipelines/experiments/search-b.sh > runs/search-b.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASSEMBLENET_THREADS="${ASSEMBLENET_THREADS:-1}"
mkdir -p runs/exp-search
# Proxy: 25 train videos per class (200), 12 epochs = 300 steps, width 0.25, one clip; fitness =
# top-1 on the whole val split (200 videos). Table A showed 40-step proxies would sit at chance.
COMMON=(--dataset runs/streams/dataset/synthetic-streams.csv --arms guided,random,plain
  --budget 40 --population 8 --proxy-per-class 25 --proxy-epochs 12 --out runs/exp-search)
SEARCH=(node --import tsx pipelines/experiments/search.ts "${COMMON[@]}")

"${SEARCH[@]}" --seeds 1,3 --json runs/exp-search/part-1-3.json > runs/exp-search/part-1-3.log 2>&1 &
"${SEARCH[@]}" --seeds 2 --json runs/exp-search/part-2.json > runs/exp-search/part-2.log 2>&1 &
wait
"${SEARCH[@]}" --seeds 1,2,3 --report-only --json docs/results/search-efficiency.json
