#!/usr/bin/env bash
# The distillation experiments of docs/results.md (issue 12), one after another, each resumable
# (finished runs are skipped, a killed search continues from its journal). Needs the flow teacher
# of docs/results.md ("Distillation from its defaults"): runs/d12/teacher-flow.
#
#   nohup bash pipelines/experiments/distill-all.sh > runs/distill-all.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASSEMBLENET_THREADS="${ASSEMBLENET_THREADS:-1}"
TSX=(node --import tsx)
T=runs/d12/teacher-flow
D=runs/d12/dataset/synthetic-motion.csv

# AKD vs NAS + KD at the first budget (1 epoch per candidate): the third seed of the table.
"${TSX[@]}" pipelines/experiments/distill.ts --teacher $T --dataset $D --experiments akd \
  --seeds 1,2,3 --epochs 2 --budget 3 --search-epochs 1 --space evolution/spaces/students-8x32.json \
  --rgb-only --workers 1 --out runs/d12/exp --results docs/results/distill-akd.json

# RGB-only students with none / logit KD / feature KD, trained 12 epochs (168 steps) instead of 2.
"${TSX[@]}" pipelines/experiments/distill.ts --teacher $T --dataset $D --experiments rgb \
  --seeds 1,2,3 --epochs 12 --workers 1 --out runs/d12/exp-12ep \
  --results docs/results/distill-rgb-12ep.json

# AKD vs NAS + KD with candidates trained past chance: RGB+flow students (the flow stream is what
# the motion set needs), 4 epochs per candidate, winner 12 epochs.
"${TSX[@]}" pipelines/experiments/distill.ts --teacher $T --dataset $D --experiments akd \
  --seeds 1,2,3 --epochs 12 --budget 4 --search-epochs 4 \
  --space evolution/spaces/students-8x32.json --workers 1 --out runs/d12/exp-akd4 \
  --results docs/results/distill-akd-4ep.json
