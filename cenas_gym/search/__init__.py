"""The architecture search: the NAS-Bench-201 table (:class:`~cenas_gym.search.nasbench.ArchTable`),
Pareto fronts and hypervolume, the SVM classifiers, LaMOO, random search, the candidate queue.

Layer 2 (bottom, beside :mod:`cenas_gym.carbon`): may import :mod:`cenas_gym.carbon` and
:mod:`cenas_gym.data`; knows nothing of GPUs, carbon accounting or Gymnasium.
"""
