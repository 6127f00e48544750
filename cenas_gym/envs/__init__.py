"""Gymnasium adapters over :mod:`cenas_gym.sim`: :class:`~cenas_gym.envs.cenas.CENASEnv`
(``CENAS-v0``/``-v1`` ids), :class:`~cenas_gym.envs.geo.CENASGeoEnv` (``CENAS-Geo-v1``), the
observation feature tables, the reward records and the renderer.

Layer 4: may import :mod:`cenas_gym.sim` and below.
"""
