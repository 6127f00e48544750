"""Headless renderings of a run: a text line per step, and a matplotlib picture."""

from __future__ import annotations

import numpy as np

from cenas_gym.sim.simulator import Simulator


def ansi(sim: Simulator) -> str:
    """One line per step played so far: time, intensity, GPU split, trained, HV, carbon."""
    lines = [
        f"{'time (UTC)':<25} {'gCO2/kWh':>9} {'train':>5} {'sample':>6} {'trained':>7} {'queue':>5} "
        f"{'HV norm':>8} {'kg CO2':>8}"
    ]
    for r in sim.history:
        lines.append(
            f"{r['time_utc']:<25} {r['intensity_g_per_kwh']:>9.1f} {r['gpus_train']:>5d} {r['gpus_sample']:>6d} "
            f"{r['n_trained']:>7d} {r['queue_len']:>5d} {r['hv_normalized']:>8.5f} {r['cum_carbon_g'] / 1000:>8.2f}"
        )
    return "\n".join(lines) + "\n"


def rgb_array(sim: Simulator, width_px: int = 800, height_px: int = 600) -> np.ndarray:
    """Intensity, GPU split and hypervolume so far, as an (H, W, 3) uint8 image."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(width_px / 100, height_px / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
    steps = np.arange(len(sim.history))
    n = sim.config.n_steps
    intensity = [sim.intensity_at(i) for i in range(n)]
    ax1.plot(np.arange(n), intensity, color="0.5", lw=1)
    ax1.set_ylabel("gCO2eq/kWh")
    ax1.set_title(f"{sim.trace.name}  |  {sim.config.optimizer}, {sim.config.n_gpus} GPUs")
    if sim.history:
        train = [r["gpus_train"] for r in sim.history]
        ax2.bar(steps, train, color="tab:green", width=1.0, label="train")
        ax2.bar(steps, [sim.config.n_gpus - t for t in train], bottom=train, color="tab:orange", width=1.0, label="sample")
        ax3.plot(steps, [r["hv_normalized"] for r in sim.history], color="tab:blue")
        ax2.legend(loc="upper right", fontsize=7)
    ax2.set_ylim(0, sim.config.n_gpus)
    ax2.set_ylabel("GPUs")
    ax3.set_ylabel("HV (normalised)")
    ax3.set_xlabel("step (hours)")
    ax3.set_xlim(-0.5, n - 0.5)
    fig.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
