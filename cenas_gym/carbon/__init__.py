"""Carbon data: the trace value object (:class:`~cenas_gym.carbon.trace.CarbonTrace`), its CSV
readers, the catalogue of shipped traces, and forecasters (:mod:`~cenas_gym.carbon.forecast`).

Layer 1 (bottom, beside :mod:`cenas_gym.search`): imports nothing else of the package.
"""

from cenas_gym import _moved

#: ``cenas_gym.carbon`` was one module in 0.2: its names now live in :mod:`cenas_gym.carbon.trace`.
__getattr__ = _moved.forward_from_package("cenas_gym.carbon", "cenas_gym.carbon.trace")
