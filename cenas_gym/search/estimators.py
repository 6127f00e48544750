"""The cheap estimates that sampling GPUs compute, and what each one really costs.

An estimator turns a screened architecture into a number that says how good it may be:

==========  ==============================  =========  ===================================
name        table column                    kind       cost of one screening (GPU-seconds)
==========  ==============================  =========  ===================================
oneshot     ``oneshot_acc_cifar10_pct``     accuracy   one forward pass (below) + supernet
fewshot     ``fewshot_acc_cifar10_pct``     accuracy   one forward pass + sub-supernets
acc12       ``acc12_cifar10_pct``           accuracy   12/200 of the cell's training time
naswot      ``naswot_cifar10``              score      FreeREA's measured time per score
synflow     ``log10_synflow_cifar10``       score      FreeREA's measured time per score
oracle      ``acc_cifar10_pct`` (the truth) accuracy   one forward pass; NOT DEPLOYABLE
==========  ==============================  =========  ===================================

*Accuracy* estimates are percentages; *scores* (zero-cost proxies) are not: the ``queue``
screening mode uses every estimate only to rank (dominance in the queue), the other modes
map it to accuracy with an error model fitted on the cells already trained
(:mod:`cenas_gym.screening`). Where a proxy is ``-inf`` (a singular NASWOT kernel, a zero
SynFlow score: note 3 of the data SOURCES) the estimate is the column's finite minimum.

``oracle`` is the true accuracy at the price of a forward pass: the ceiling of what
screening could be worth, never a method one can deploy.

One forward pass. Not measured anywhere (see the data README), so derived from the measured
NAS-Bench-201 training time per epoch: a one-shot evaluation scores the validation images
with supernet weights,
``train_time_per_epoch_cifar10_s x VALIDATION_IMAGES / TRAIN_IMAGES_PER_EPOCH x FORWARD_SHARE_OF_TRAINING``.

Supernets (charged once per run, at the accounting's training power, with the initial
architectures: ``SimConfig.supernet_train_gpu_h=None`` asks for these figures). They are
**assumed**, stated here once: :data:`ONESHOT_SUPERNET_GPU_H` = 2 GPU-hours is the order of
the weight-sharing search costs NAS-Bench-201 reports for CIFAR-10 (a few GPU-hours per
method); few-shot NAS (Zhao et al., ICML 2021) splits the NB201 supernet on one edge into
:data:`FEWSHOT_SUB_SUPERNETS` = 5 sub-supernets (one per operation), each assumed to cost
a one-shot supernet (an upper bound: the paper warm-starts them from the one-shot
supernet). acc12, the proxies and the oracle need no supernet.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from cenas_gym.search.nasbench import ArchTable

TRAIN_IMAGES_PER_EPOCH = 50_000  # CIFAR-10 training set (NAS-Bench-201 "cifar10" split)
VALIDATION_IMAGES = 10_000  # CIFAR-10 test set size, the images a one-shot evaluation scores
FORWARD_SHARE_OF_TRAINING = 1.0 / 3.0  # forward pass ~ 1/3 of a forward+backward training step
#: Epochs of the low-fidelity training behind ``acc12`` and of the full schedule (NB201).
ACC12_EPOCHS, FULL_EPOCHS = 12, 200
#: Assumed one-shot supernet training cost (GPU-hours; see the module docstring).
ONESHOT_SUPERNET_GPU_H = 2.0
#: Sub-supernets of few-shot NAS on NB201 (one per operation of the split edge).
FEWSHOT_SUB_SUPERNETS = 5

FORWARD = "forward"  # cost: one forward pass over the validation images
LOW_FIDELITY = "acc12"  # cost: ACC12_EPOCHS / FULL_EPOCHS of the full training


@dataclass(frozen=True)
class Estimator:
    """One cheap estimate and its cost.

    Attributes:
        column: the table column it reads.
        kind: ``"accuracy"`` (percent) or ``"score"`` (a zero-cost proxy; rank only, or
            mapped to accuracy by the error model).
        cost: ``"forward"`` (one forward pass), ``"acc12"`` (12 of 200 epochs) or a table
            column holding the measured seconds of one score.
        supernet_gpu_h: one-time supernet training (GPU-hours), charged once per run.
        deployable: False for the oracle (it reads the truth).
    """

    column: str
    kind: str
    cost: str
    supernet_gpu_h: float = 0.0
    deployable: bool = True


ESTIMATOR_SPECS: dict[str, Estimator] = {
    "oneshot": Estimator("oneshot_acc_cifar10_pct", "accuracy", FORWARD, ONESHOT_SUPERNET_GPU_H),
    "fewshot": Estimator("fewshot_acc_cifar10_pct", "accuracy", FORWARD, FEWSHOT_SUB_SUPERNETS * ONESHOT_SUPERNET_GPU_H),
    "acc12": Estimator("acc12_cifar10_pct", "accuracy", LOW_FIDELITY),
    "naswot": Estimator("naswot_cifar10", "score", "naswot_time_s"),
    "synflow": Estimator("log10_synflow_cifar10", "score", "synflow_time_s"),
    "oracle": Estimator("acc_cifar10_pct", "accuracy", FORWARD, deployable=False),
}


def get_estimator(name: str) -> Estimator:
    """An estimator by name; ValueError names the argument and the choices."""
    try:
        return ESTIMATOR_SPECS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown estimator {name!r}; choose one of {list(ESTIMATOR_SPECS)}") from None


def estimate_values(table: ArchTable, name: str) -> np.ndarray:
    """The estimate of every cell (``-inf`` replaced by the column's finite minimum)."""
    values = table.column(get_estimator(name).column)
    if np.isnan(values).any():
        raise ValueError(f"estimator column {get_estimator(name).column!r} has NaN values")
    finite = np.isfinite(values)
    if not finite.all():
        values = np.where(finite, values, values[finite].min())
    return values


def forward_pass_s(table: ArchTable) -> np.ndarray:
    """Seconds of one forward pass over the validation images, per cell (derived, see above)."""
    return (
        table.column("train_time_per_epoch_cifar10_s")
        * (VALIDATION_IMAGES / TRAIN_IMAGES_PER_EPOCH)
        * FORWARD_SHARE_OF_TRAINING
    )


def screening_seconds(table: ArchTable, name: str, oneshot_eval_s: float | None = None) -> np.ndarray:
    """GPU-seconds of one screening of every cell with estimator ``name``.

    ``oneshot_eval_s`` overrides the forward-pass time of the forward-pass estimators
    (oneshot, fewshot, oracle) with one number for every cell."""
    cost = get_estimator(name).cost
    if cost == FORWARD:
        if oneshot_eval_s is not None:
            return np.full(len(table), float(oneshot_eval_s))
        return forward_pass_s(table)
    if cost == LOW_FIDELITY:
        return table.column("train_time_cifar10_s") * (ACC12_EPOCHS / FULL_EPOCHS)
    return table.column(cost)


def supernet_gpu_h(name: str) -> float:
    """The stated one-time supernet cost (GPU-hours) of an estimator."""
    return get_estimator(name).supernet_gpu_h
