#!/usr/bin/env bash
# The task agents of issue 15, end to end (2 processes at most; wall limits sized for 2 shared cores).
# Outputs: runs/ (training, not committed), benchmarks/results/agents_v1/ (tuning, held-out judgement, curves).
set -euo pipefail
R=benchmarks/results/agents_v1
# 1. train: target with LaMOO in the loop, budget with the random proposer (+ one LaMOO seed for the sim-to-sim gap)
python -m cenas_gym.rl.task_train --task target --out runs/target_lamoo --seeds 0,1,2 --timesteps 100000 \
    --optimizer lamoo --forecaster yesterday --warm-start 3 --max-wall-s 330 &
python -m cenas_gym.rl.task_train --task budget --out runs/budget_random --seeds 0,1,2 --timesteps 100000 \
    --optimizer random --forecaster yesterday --warm-start 3 --max-wall-s 200
wait
python -m cenas_gym.rl.task_train --task budget --out runs/budget_lamoo --seeds 0 --timesteps 100000 \
    --optimizer lamoo --forecaster yesterday --warm-start 3 --max-wall-s 200 &
# 2. tune fixed:K (K=1..8) and threshold:P (P=25,50,75) on the TRAINING traces (LaMOO)
python -m cenas_gym.rl.task_eval --task target --traces train --seeds 0 --windows 2 --tune --out $R/tune_target
wait
python -m cenas_gym.rl.task_eval --task budget --traces train --seeds 0 --windows 1 --tune --out $R/tune_budget
# 3. held-out judgement (see the README section / model cards for the exact policy lists)
