"""Training and evaluating PPO agents (Stable-Baselines3); the players themselves live in
:mod:`cenas_gym.policies` (:mod:`~cenas_gym.policies.ppo`, :mod:`~cenas_gym.policies.features`,
:mod:`~cenas_gym.policies.hyperparams`).

One job per module:

* :mod:`~cenas_gym.rl.splits`: held-out windows (the traces: :data:`TRAIN_TRACES`,
  :data:`HELD_OUT_TRACES` below).
* :mod:`~cenas_gym.rl.callbacks`, :mod:`~cenas_gym.rl.train`: :func:`train_ppo`.
* :mod:`~cenas_gym.rl.evaluate`: the agent against the baselines through ``compare``.
* :mod:`~cenas_gym.rl.task_train`: the causal task agents for ``CENAS-Target-v1`` and
  ``CENAS-Budget-v1`` (v1 observation only; ``ppo-target`` / ``ppo-budget``).
* :mod:`~cenas_gym.rl.task_eval`: paired judgement of policy names on those tasks, and the
  tuning of ``fixed:K`` / ``threshold:P`` on the training traces.

Layer 7: may import :mod:`cenas_gym.compare` and below. Stable-Baselines3, PyTorch and PyYAML
are needed to train or load an agent (``pip install cenas-gym[rl]``); importing this package
imports none of them.
"""

from cenas_gym.carbon.catalogue import HELD_OUT_TRACES, TRAIN_TRACES  # the splits live in the trace catalogue

__all__ = ["HELD_OUT_TRACES", "TRAIN_TRACES"]
