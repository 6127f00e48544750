"""How GPU time turns into energy and carbon: accounting presets as data, not branches.

energy_kwh = (train_gpu_s x train_power_w + sample_gpu_s x sample_power_w
              + idle_gpu_s x idle_power_w) x pue / 3.6e6
carbon_g   = energy_kwh x intensity_g_per_kwh      (intensity of the step the seconds fall in)

Presets:

``"default"`` (physically honest: every GPU-second is charged)
    NVIDIA A100 SXM4 40 GB: 400 W maximum board power (NVIDIA A100 Tensor Core GPU
    datasheet, "Max thermal design power (TDP) 400 W" for the SXM4 form factor). Training
    and one-shot sampling are both taken to run at that board power (an upper bound: full
    load). ``idle_power_w = 60`` is an *assumed* figure (the datasheet gives no idle power);
    set your own for your hardware. PUE 1.10 (Google's reported fleet-wide trailing
    twelve-month PUE for 2023). The ``n_init`` initial architectures are trained before the
    window opens and charged at the first step's intensity; they count towards the carbon
    budget.

``"shared"`` (a shared cluster or a cloud: what the search does not use is released)
    Training and sampling GPUs at ``default``'s board power and PUE (the same figures, written
    once above); GPUs that neither train nor sample are released to other work and charged
    0 W. Initial architectures charged as in ``default``. The preset for verdicts about
    *sampling*: an allocation pays for every GPU it keeps busy, and for nothing it leaves.

``"cenas"`` (reproduces the CE-NAS authors' simulator, cake-lab/CE-NAS ``cenas_RL.py``)
    1 kW per busy *training* GPU (their ``cost += seconds x intensity / 3600``), one-shot
    sampling and idle GPUs free, initial samples free, PUE 1.
"""

from __future__ import annotations

from dataclasses import dataclass

JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class CarbonAccounting:
    """Power figures (W) and rules that turn GPU-seconds into kWh and gCO2eq."""

    name: str
    train_power_w: float
    sample_power_w: float
    idle_power_w: float
    pue: float
    charge_initial_samples: bool

    def __post_init__(self) -> None:
        for field in ("train_power_w", "sample_power_w", "idle_power_w"):
            if getattr(self, field) < 0:
                raise ValueError(f"CarbonAccounting.{field} must be >= 0, got {getattr(self, field)}")
        if self.pue < 1.0:
            raise ValueError(f"CarbonAccounting.pue must be >= 1, got {self.pue}")

    def energy_kwh(self, train_gpu_s: float, sample_gpu_s: float, idle_gpu_s: float) -> float:
        """Facility energy (kWh) of the given GPU-seconds."""
        watt_seconds = (
            train_gpu_s * self.train_power_w + sample_gpu_s * self.sample_power_w + idle_gpu_s * self.idle_power_w
        )
        return watt_seconds * self.pue / JOULES_PER_KWH


#: NVIDIA A100 SXM4 maximum board power (W), training and sampling (``default``, ``shared``).
A100_BOARD_POWER_W = 400.0
#: Assumed idle power of a held A100 (W; not in the datasheet) (``default``).
A100_IDLE_POWER_W = 60.0
#: Google's fleet-wide trailing twelve-month PUE for 2023 (``default``, ``shared``).
FLEET_PUE = 1.10

ACCOUNTING_PRESETS: dict[str, CarbonAccounting] = {
    "default": CarbonAccounting(
        name="default",
        train_power_w=A100_BOARD_POWER_W,
        sample_power_w=A100_BOARD_POWER_W,
        idle_power_w=A100_IDLE_POWER_W,
        pue=FLEET_PUE,
        charge_initial_samples=True,
    ),
    "shared": CarbonAccounting(
        name="shared",
        train_power_w=A100_BOARD_POWER_W,
        sample_power_w=A100_BOARD_POWER_W,
        idle_power_w=0.0,  # released: someone else's work
        pue=FLEET_PUE,
        charge_initial_samples=True,
    ),
    "cenas": CarbonAccounting(
        name="cenas",
        train_power_w=1000.0,
        sample_power_w=0.0,
        idle_power_w=0.0,
        pue=1.0,
        charge_initial_samples=False,
    ),
}


def get_accounting(accounting: str | CarbonAccounting) -> CarbonAccounting:
    """A preset by name, or the record itself."""
    if isinstance(accounting, CarbonAccounting):
        return accounting
    try:
        return ACCOUNTING_PRESETS[accounting]
    except KeyError:
        raise ValueError(
            f"unknown accounting {accounting!r}; choose one of {sorted(ACCOUNTING_PRESETS)} "
            "or pass a CarbonAccounting"
        ) from None
