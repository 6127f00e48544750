"""The NAS-Bench-201 table shipped with the package (``nb201.csv.gz``) and the script that builds it.

Layer 2, with :mod:`cenas_gym.search` (whose :class:`~cenas_gym.search.nasbench.ArchTable` reads it).
"""
