"""Comparisons: grids of policies x traces x windows x seeds, presets, the runners (serial,
process pool, Ray; runs stored as they finish, resume, interrupts), statistics, summaries,
plots, the geo comparison and the tuning of simple baselines.

Layer 6: may import :mod:`cenas_gym.policies` and below.
"""
