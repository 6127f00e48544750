"""The CE-NAS loop one hour at a time, without Gymnasium: the run's settings
(:mod:`~cenas_gym.sim.config`), GPUs, jobs and queue (:mod:`~cenas_gym.sim.simulator`), accounting presets, tasks (fixed-time, target, budget),
episodes (windows, random streams, the policy context) and the multi-site simulator
(:mod:`~cenas_gym.sim.geo`).

Layer 3: may import :mod:`cenas_gym.carbon` and :mod:`cenas_gym.search`.
"""
