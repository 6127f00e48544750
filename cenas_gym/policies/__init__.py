"""Who decides how many GPUs train: rule-based policies (the CE-NAS heuristic and its variants,
baselines, oracles), geo rules, the authors' A3C agent, learned PPO players, and the one registry
of policy names with the loops that play them (:mod:`~cenas_gym.policies.play`).

Layer 5: may import :mod:`cenas_gym.envs` and below; PyTorch and Stable-Baselines3 only lazily.
"""

from cenas_gym import _moved

#: ``cenas_gym.policies`` was one module in 0.2: its names now live in :mod:`cenas_gym.policies.rules`.
__getattr__ = _moved.forward_from_package("cenas_gym.policies", "cenas_gym.policies.rules")
