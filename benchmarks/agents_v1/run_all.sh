#!/usr/bin/env bash
# Issue 15's task agents end to end, exactly as run for the committed results (2 processes at most;
# wall limits sized for 2 shared cores). Training goes to runs/ (not committed; its episode logs are
# copied to benchmarks/results/agents_v1/training/), judgements to benchmarks/results/agents_v1/.
# These are the 0.2.0 commands. Since 0.3 `python -m cenas_gym.rl.task_train` is `cenas-gym train --task`
# (--max-wall-s S is --max-minutes S/60) and `python -m cenas_gym.rl.task_eval` is `cenas-gym evaluate --task`
# (its --tune is gone: `cenas-gym tune` picks fixed:K and threshold:P).
set -euo pipefail
R=benchmarks/results/agents_v1
A=runs/target_lamoo; B=runs/budget_random
# 1. train: target with LaMOO in the loop; budget with the random proposer, plus one LaMOO seed
python -m cenas_gym.rl.task_train --task target --out $A --seeds 0,1,2 --timesteps 100000 \
    --optimizer lamoo --forecaster yesterday --warm-start 3 --max-wall-s 330 &
python -m cenas_gym.rl.task_train --task budget --out $B --seeds 0,1,2 --timesteps 100000 \
    --optimizer random --forecaster yesterday --warm-start 3 --max-wall-s 200
python -m cenas_gym.rl.task_eval --task target --traces train --seeds 0 --windows 2 --optimizer random \
    --policies heuristic,vanilla,fixed:4 --out $R/gap_target_random_proposer
wait
python -m cenas_gym.rl.task_train --task budget --out runs/budget_lamoo --seeds 0 --timesteps 100000 \
    --optimizer lamoo --forecaster yesterday --warm-start 3 --max-wall-s 200 &
# 2. tune fixed:K (K=1..8) and threshold:P (P=25,50,75) on training traces only (LaMOO)
python -m cenas_gym.rl.task_eval --task target --traces train --seeds 0 --windows 2 --tune --out $R/tune_target
wait
python -m cenas_gym.rl.task_eval --task budget --traces US-CAL-CISO:2021,ES:2021,EIA-AZPS:2022,EIA-SOCO:2022 \
    --seeds 0 --windows 1 --tune --out $R/tune_budget
# 3. held-out judgement, paired (the tuned names are read from tune_*/tuned.json)
FT=$(python -c "import json;print(json.load(open('$R/tune_target/tuned.json'))['fixed'])")
TT=$(python -c "import json;print(json.load(open('$R/tune_target/tuned.json'))['threshold'])")
python -m cenas_gym.rl.task_eval --task target --traces held-out --seeds 0,1 --windows 2 \
    --policies heuristic,heuristic:causal,vanilla,$FT,$TT,oracle,ppo-target#0=ppo:$A/seed0/ppo_target.zip,ppo-target#1=ppo:$A/seed1/ppo_target.zip,ppo-target#2=ppo:$A/seed2/ppo_target.zip \
    --out $R/heldout_target
TB=$(python -c "import json;print(json.load(open('$R/tune_budget/tuned.json'))['threshold'])")  # fixed:8 = vanilla
python -m cenas_gym.rl.task_eval --task budget --traces US-CAL-CISO:2023,ES:2023,EIA-CISO:2022 --seeds 0,1 --windows 2 --jobs 2 \
    --policies heuristic,heuristic:causal,vanilla,$TB,ppo-budget#0=ppo:$B/seed0/ppo_budget.zip,ppo-budget#1=ppo:$B/seed1/ppo_budget.zip,ppo-budget#2=ppo:$B/seed2/ppo_budget.zip,ppo-budget-lamoo#0=ppo:runs/budget_lamoo/seed0/ppo_budget.zip \
    --out $R/heldout_budget
# 4. learning curves
python -m cenas_gym.rl.task_eval --task budget --traces train --optimizer random --seeds 0 --windows 2 \
    --policies heuristic,vanilla --out $R/budget_random_proposer_train
python benchmarks/agents_v1/learning_curve.py --task target --runs $A --reference $R/tune_target/results.csv --window 20 --out $R/learning_curve_target.png
python benchmarks/agents_v1/learning_curve.py --task budget --runs $B --reference $R/budget_random_proposer_train/results.csv --window 50 --out $R/learning_curve_budget.png
# after merging the v1/fidelity branches, re-judge with their names, e.g. add oracle:target, heuristic:window
