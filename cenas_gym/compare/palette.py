"""Colours for policies in plots: 20 that do not repeat, so a comparison of up to 20 policies
never draws two in the same colour (matplotlib's ``tab10`` repeats after 10).

The first 10 are ``tab10`` (plots of up to 10 policies look as they always did); the next 10
were chosen greedily from a list of named colours to be as far as possible (CIE76 distance in
CIELAB) from those already chosen, leaving out colours too light to see on white (L* > 80).
Every pair of the 20 is at least 27 CIELAB units apart (``tests/test_palette.py`` checks 20).
"""

from __future__ import annotations

from collections.abc import Iterable

#: 20 distinct colours, in the order they are handed out.
PALETTE: tuple[str, ...] = (
    # matplotlib tab10
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    # then: dark blue, black, magenta, light salmon, deep pink,
    # dark sea green, light steel blue, purple, maroon, brown
    "#00008b", "#000000", "#f032e6", "#ffa07a", "#ff1493",
    "#8fbc8f", "#b0c4de", "#911eb4", "#800000", "#9a6324",
)


def colors(n: int) -> list[str]:
    """``n`` colours; distinct for ``n <= len(PALETTE)`` (20), then they cycle."""
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def policy_colors(policies: Iterable[str]) -> dict[str, str]:
    """A colour per policy name, in the order given (repeated names keep their first colour)."""
    names = list(dict.fromkeys(policies))
    return dict(zip(names, colors(len(names))))
