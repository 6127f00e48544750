"""Learned GPU-allocation agents: PPO (Stable-Baselines3) on ``CENAS-v0``.

One job per module:

* :mod:`~cenas_gym.rl.hyperparams`: read rl-zoo3 hyperparameter files (``agents/ppo.yml``).
* :mod:`~cenas_gym.rl.features`: the episode-window features an agent reads on top of the
  env's observation, and the observation wrapper that appends them.
* :mod:`~cenas_gym.rl.policy`: :class:`~cenas_gym.rl.policy.PPOPolicy` (a saved agent as a
  policy) and its observation statistics as plain numbers.
* :mod:`~cenas_gym.rl.splits`: held-out windows (the traces: :data:`TRAIN_TRACES`,
  :data:`HELD_OUT_TRACES` below).
* :mod:`~cenas_gym.rl.callbacks`, :mod:`~cenas_gym.rl.train`: :func:`train_ppo`.
* :mod:`~cenas_gym.rl.evaluate`: the agent against the baselines through ``compare``.
* :mod:`~cenas_gym.rl.task_train`: the causal task agents for ``CENAS-Target-v1`` and
  ``CENAS-Budget-v1`` (v1 observation only; ``ppo-target`` / ``ppo-budget``).
* :mod:`~cenas_gym.rl.task_eval`: paired judgement of policy names on those tasks, and the
  tuning of ``fixed:K`` / ``threshold:P`` on the training traces.

Stable-Baselines3, PyTorch and PyYAML are needed to train or load an agent
(``pip install cenas-gym[rl]``); importing this package imports none of them.
"""

#: Traces the shipped agent was trained on (one drawn per episode; agents/MODEL_CARD.md).
TRAIN_TRACES: tuple[str, ...] = ("US-CAL-CISO:2021", "ES:2021", "NO:2021", "EIA-AZPS:2022", "EIA-SOCO:2022")
#: Traces it never saw: held out by year (US-CAL-CISO:2023, ES:2023), by data source
#: (EIA-CISO:2022) and by zone (EIA-BPAT:2022).
HELD_OUT_TRACES: tuple[str, ...] = ("US-CAL-CISO:2023", "ES:2023", "EIA-CISO:2022", "EIA-BPAT:2022")
