"""Gymnasium adapters over :mod:`cenas_gym.sim`: :class:`~cenas_gym.envs.cenas.CENASEnv`
(``CENAS-v0``/``-v1`` ids) and :class:`~cenas_gym.envs.geo.CENASGeoEnv` (``CENAS-Geo-v1``) on
one base (:mod:`~cenas_gym.envs.base`: the options both take), the observation feature
tables (both envs'), the reward records and the renderer.

Layer 4: may import :mod:`cenas_gym.sim` and below.
"""
