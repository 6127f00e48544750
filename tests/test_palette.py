"""The plot palette gives up to 20 policies 20 different, visibly distinct colours, and the
comparison plots use it."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np

from cenas_gym.compare import palette


def _lab(hex_colour: str) -> np.ndarray:
    """CIELAB (D65) of an sRGB hex colour."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_twenty_distinct_colours():
    assert len(palette.PALETTE) >= 20
    twenty = palette.colors(20)
    assert len(set(twenty)) == 20
    closest = min(np.linalg.norm(_lab(a) - _lab(b)) for a, b in itertools.combinations(twenty, 2))
    assert closest >= 20, f"two colours only {closest:.1f} CIELAB units apart"


def test_colours_visible_on_white():
    assert all(_lab(c)[0] <= 80 for c in palette.PALETTE)


def test_first_ten_are_tab10():
    import matplotlib

    tab10 = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab10"].colors]
    assert list(palette.PALETTE[:10]) == tab10


def test_policy_colors_no_repeat_for_twenty_policies():
    names = [f"policy{i}" for i in range(20)] + ["policy3"]
    colours = palette.policy_colors(names)
    assert list(colours) == names[:20]
    assert len(set(colours.values())) == 20
    assert palette.colors(21)[20] == palette.PALETTE[0]  # beyond the palette they cycle


def test_plots_use_the_palette(tmp_path):
    import pandas as pd

    from cenas_gym.compare import plots

    seen: list[str] = []
    policies = [f"fixed:{i}" for i in range(12)]

    def spy(plt, r, trajectories, outdir, names, settings, colors):
        seen.extend(colors[p] for p in names)
        return []

    results = pd.DataFrame({"policy": policies, "trace": "T", "window": "W", "seed": 0})
    with mock.patch.multiple(plots, _plot_quality=spy, _plot_hv=spy, _plot_allocation=spy, _plot_bars=spy,
                             _plot_budgets=spy), mock.patch.object(plots, "_setting", lambda r: r["trace"]):
        plots.plot_all(results, [], tmp_path)
    assert seen[:12] == palette.colors(12)
    assert len(set(seen[:12])) == 12
