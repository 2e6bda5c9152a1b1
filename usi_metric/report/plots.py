"""The report's pictures (matplotlib, Agg backend, Okabe–Ito colour-blind-safe palette).

Every function takes plain numbers (already computed by ``scoring`` / ``report``), draws one
figure and returns it; :func:`save_png` writes it without a timestamp or version in the
metadata, so the same numbers give the same bytes.

>>> import tempfile, os
>>> from usi_metric.aggregation import MeanStd
>>> fig = leaderboard_figure([("sim-a", MeanStd(70.0, 1.0))], MeanStd(90.0, 2.0))
>>> path = os.path.join(tempfile.mkdtemp(), "lb.png")
>>> save_png(fig, path)
>>> open(path, "rb").read(4) == b"\\x89PNG"
True
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from usi_metric.aggregation import MeanStd  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": black is kept for the humans.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
HUMAN_COLOUR = OKABE_ITO["black"]
SIM_COLOURS = tuple(OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple",
                                           "sky_blue", "yellow"))
SIM_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

RADAR_AXES = ("D1 conv", "D2 info", "D3 clarif", "D4 react", "Eval", "(1−ECE)·100")
BIN_LABELS = ("0–0.2\n(hardest)", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1\n(easiest)")

_RC = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
       "ytick.labelsize": 10, "legend.fontsize": 10, "figure.dpi": 100,
       "axes.spines.top": False, "axes.spines.right": False,
       # names come from file names and labels: "$" is a dollar sign, never TeX math
       "text.parse_math": False}
_PNG_OPTIONS = {"format": "png", "metadata": {"Software": None}, "bbox_inches": "tight",
                "pad_inches": 0.15, "facecolor": "white"}


def sim_style(i: int) -> tuple[str, str]:
    """(colour, marker) of the ``i``-th simulator: colours and markers cycle together."""
    return SIM_COLOURS[i % len(SIM_COLOURS)], SIM_MARKERS[i % len(SIM_MARKERS)]


def _savefig(fig: Figure, target: Any, dpi: int) -> None:
    """``fig.savefig`` without matplotlib's missing-glyph warnings: a name's control
    character (drawn as a box) would otherwise reach the terminal raw inside the warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph ", category=UserWarning)
        fig.savefig(target, dpi=dpi, **_PNG_OPTIONS)


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> None:
    """Write ``fig`` as PNG with no software/date metadata, then close it."""
    _savefig(fig, path, dpi)
    plt.close(fig)


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """``fig`` as the PNG bytes :func:`save_png` writes, without a file and without closing
    it (a server closes it under its own lock: pyplot's list of figures is process-global).

    >>> fig = leaderboard_figure([], None)
    >>> plt.close(fig)
    >>> png_bytes(fig)[:4] == b"\\x89PNG"
    True
    """
    buf = io.BytesIO()
    _savefig(fig, buf, dpi)
    return buf.getvalue()


# ----------------------------------------------------------------------------- 1. leaderboard


def leaderboard_figure(sims: Sequence[tuple[str, MeanStd | None]],
                       human: MeanStd | None, title: str = "USI leaderboard",
                       intervals: Sequence[tuple[float, float] | None] | None = None,
                       tied: Sequence[bool | None] | None = None,
                       interval_label: str = "95% bootstrap interval over tasks",
                       leader: str | None = None) -> Figure:
    """Horizontal USI bars with ± std error bars; the human ceiling as a line (± band).

    ``sims`` is drawn top to bottom in the given order; a simulator without USI says so.
    With ``intervals`` (one ``(low, high)`` or None per simulator) the whiskers are those
    intervals instead of the std, and ``tied`` marks the simulators that cannot be told
    apart from ``leader`` (``≈``; the leader itself is ``★``), the others drawn lighter.

    >>> fig = leaderboard_figure([("a", MeanStd(70.0, 1.0)), ("b", MeanStd(60.0, 1.0))],
    ...                          None, intervals=[(68.0, 72.0), (57.5, 61.0)],
    ...                          tied=[True, False], leader="a")
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['★ 70.0 [68.0, 72.0]', '60.0 [57.5, 61.0]']
    """
    with plt.rc_context(_RC):
        n = max(len(sims), 1)
        fig, ax = plt.subplots(figsize=(8.5, 1.4 + 0.5 * n))
        ys = np.arange(len(sims))[::-1]
        for i, (y, (name, cell)) in enumerate(zip(ys, sims, strict=True)):
            if cell is None:
                ax.text(1, y, "no USI (no overlap or no ECE)", va="center", fontsize=10,
                        color="#555555")
                continue
            if intervals is None:
                ax.barh(y, cell.mean, xerr=cell.std, height=0.6, color=OKABE_ITO["blue"],
                        ecolor="#333333", capsize=4, zorder=2)
                # values in their own column right of the axis, clear of the ceiling line
                ax.text(102, y, f"{cell.mean:.1f} ± {cell.std:.1f}", va="center", fontsize=10)
                continue
            ci = intervals[i]
            is_tied = bool(tied[i]) if tied is not None else True
            colour = OKABE_ITO["blue"] if is_tied else OKABE_ITO["sky_blue"]
            ax.barh(y, cell.mean, height=0.6, color=colour, zorder=2)
            mark = "★ " if name == leader else ("≈ " if tied is not None and is_tied else "")
            text = f"{mark}{cell.mean:.1f}"
            if ci is not None:
                err = [[max(cell.mean - ci[0], 0.0)], [max(ci[1] - cell.mean, 0.0)]]
                ax.errorbar(cell.mean, y, xerr=err, fmt="none", ecolor="#222222",
                            elinewidth=1.6, capsize=4, zorder=4)
                text += f" [{ci[0]:.1f}, {ci[1]:.1f}]"
            ax.text(102, y, text, va="center", fontsize=10)
        ax.text(102, len(sims) - 0.45, "USI" if intervals is None else "USI [interval]",
                va="bottom", fontsize=10, fontweight="bold")
        handles = []
        if human is not None:
            ax.axvspan(human.mean - human.std, human.mean + human.std, color="#999999",
                       alpha=0.3, zorder=1, lw=0)
            handles.append(ax.axvline(
                human.mean, color=HUMAN_COLOUR, ls="--", lw=1.8, zorder=3,
                label=f"human ceiling {human.mean:.1f} ± {human.std:.1f} (grey band: ± std)"))
        if intervals is not None and tied is not None and leader is not None:
            handles.append(plt.Rectangle((0, 0), 1, 1, color=OKABE_ITO["blue"],
                                         label=f"★ leader ({leader}) and ≈ cannot be told "
                                         "apart from it"))
            handles.append(plt.Rectangle((0, 0), 1, 1, color=OKABE_ITO["sky_blue"],
                                         label="below the leader (its USI gap's interval "
                                         "excludes 0)"))
        if handles:
            ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                      frameon=False)
        ax.set_yticks(ys, [name for name, _ in sims])
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_ylim(-0.7, len(sims) - 0.3)
        whiskers = ("± std over the 3 human batches" if intervals is None
                    else interval_label)
        ax.set_xlabel(f"USI (0–100, higher = more human-like)\nbars: mean, whiskers: "
                      f"{whiskers}")
        ax.grid(axis="x", color="#dddddd", zorder=0)
        ax.set_title(title, loc="left", pad=28 + 16 * max(len(handles) - 1, 0))
        return fig


# ----------------------------------------------------------------------------- 2. radar


def radar_values(cells: Mapping[str, MeanStd | None]) -> list[float | None]:
    """The six radar values of a row's cells: D1..D4, Eval, (1 − ECE)·100 (None if missing).

    >>> radar_values({"D1_conv": MeanStd(50, 0), "ece": MeanStd(0.2, 0)})[-1]
    80.0
    """
    keys = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree")
    out: list[float | None] = []
    for k in keys:
        c = cells.get(k)
        out.append(None if c is None else float(c.mean))
    e = cells.get("ece")
    out.append(None if e is None else (1.0 - float(e.mean)) * 100.0)
    return out


def _closed(angles: np.ndarray, values: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    vals = np.array([np.nan if v is None else v for v in values], dtype=float)
    return np.append(angles, angles[0]), np.append(vals, vals[0])


def radar_figure(sims: Sequence[tuple[str, list[float | None]]],
                 human: list[float | None] | None, ncols: int = 3) -> Figure:
    """Small multiples: one radar per simulator (filled) against the human ceiling (dashed).

    A missing value (e.g. no Eval without a survey file) is marked "n/a" on its axis.
    """
    with plt.rc_context(_RC):
        n = max(len(sims), 1)
        ncols = min(ncols, n)
        nrows = int(np.ceil(n / ncols))
        height = 5.2 * nrows + (0.8 if ncols > 1 else 1.4)
        fig = plt.figure(figsize=(4.8 * ncols, height))
        fig.subplots_adjust(left=0.08, right=0.92, bottom=0.5 / height,
                            top=1 - (1.3 if ncols > 1 else 1.9) / height, hspace=0.45,
                            wspace=0.55)
        angles = np.linspace(0, 2 * np.pi, len(RADAR_AXES), endpoint=False)
        for i, (name, vals) in enumerate(sims):
            ax = fig.add_subplot(nrows, ncols, i + 1, projection="polar")
            ax.set_theta_offset(np.pi / 2)
            ax.set_theta_direction(-1)
            ax.set_ylim(0, 100)
            ax.set_yticks([25, 50, 75, 100], ["25", "50", "75", "100"], fontsize=8,
                          color="#666666")
            ax.set_rlabel_position(30)  # between the D1 and D2 spokes
            ax.set_xticks(angles, RADAR_AXES, fontsize=10)
            ax.tick_params(axis="x", pad=10)
            if human is not None:
                a, v = _closed(angles, human)
                ax.plot(a, v, color=HUMAN_COLOUR, ls="--", lw=1.6, label="human ceiling")
            colour, marker = sim_style(i)
            present = [k for k, v in enumerate(vals) if v is not None]
            pa = np.array([angles[k] for k in present] + [angles[present[0]]]) if present \
                else np.array([])
            pv = np.array([vals[k] for k in present] + [vals[present[0]]], dtype=float) \
                if present else np.array([])
            ax.fill(pa, pv, color=colour, alpha=0.18)
            a, v = _closed(angles, vals)
            ax.plot(a, v, color=colour, lw=2.0, marker=marker, ms=5)
            if len(present) < len(vals):  # bridge a missing axis with a dotted chord
                ax.plot(pa, pv, color=colour, lw=1.2, ls=":")
            for ang, val in zip(angles, vals, strict=True):
                if val is None:
                    ax.text(ang, 30, "n/a", ha="center", va="center", fontsize=10,
                            fontweight="bold", color="#333333",
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#999999"})
            ax.set_title(name, pad=22, fontsize=12, fontweight="bold")
        handles = [plt.Line2D([], [], color=HUMAN_COLOUR, ls="--", lw=1.6,
                              label="human ceiling (batches vs each other)"),
                   plt.Line2D([], [], color="#555555", lw=2.0,
                              label="simulator (mean over the 3 human batches)")]
        if any(v is None for _, vals in sims for v in vals):
            handles.append(plt.Line2D([], [], color="#555555", lw=1.2, ls=":",
                                      label="n/a: no value (e.g. no survey, so no Eval)"))
        fig.legend(handles=handles, loc="upper center", frameon=False,
                   ncols=len(handles) if ncols > 1 else 1,
                   bbox_to_anchor=(0.5, 1 - 0.15 / height))
        return fig


# ----------------------------------------------------------------------------- 3. features


def feature_figure(name: str, labels: Sequence[str], human: Sequence[float],
                   sim: Sequence[float], value_text: Sequence[tuple[str, str]]) -> Figure:
    """Per-feature bars, human vs simulator, most different first (top).

    Each feature row is scaled to its own larger value, so features in different units
    (% of turns, words, ratios) share one axis; the actual values are written on the bars.
    """
    with plt.rc_context(_RC):
        n = len(labels)
        fig, ax = plt.subplots(figsize=(9.0, 1.3 + 0.52 * n))
        ys = np.arange(n)[::-1].astype(float)
        h = np.abs(np.asarray(human, dtype=float))
        s = np.abs(np.asarray(sim, dtype=float))
        top = np.maximum(np.maximum(h, s), 1e-12)
        bh, bs = h / top, s / top
        hgt = 0.36
        ax.barh(ys + hgt / 2, bh, height=hgt, color="#8a8a8a", label="humans", zorder=2)
        ax.barh(ys - hgt / 2, bs, height=hgt, color=OKABE_ITO["blue"], label=name, zorder=2)
        for y, vh, vs, (th, ts) in zip(ys, bh, bs, value_text, strict=True):
            ax.text(vh + 0.015, y + hgt / 2, th, va="center", fontsize=9)
            ax.text(vs + 0.015, y - hgt / 2, ts, va="center", fontsize=9,
                    color=OKABE_ITO["blue"])
        ax.set_yticks(ys, labels)
        ax.set_xlim(0, 1.28)
        ax.set_xticks([0, 0.5, 1.0], ["0", "½", "larger"])
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel("bar length relative to the larger of the two values "
                      "(actual values written)")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
        ax.set_title(f"{name}: behaviour vs humans, most different feature first",
                     loc="left", pad=26)
        ax.grid(axis="x", color="#eeeeee", zorder=0)
        return fig


# ----------------------------------------------------------------------------- 4. calibration


def calibration_figure(human: Sequence[float | None],
                       sims: Sequence[tuple[str, Sequence[float | None]]],
                       human_n: Sequence[int]) -> Figure:
    """Success rate (%) per difficulty bin: humans (black) vs each simulator."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(10.0, 5.2))
        x = np.arange(len(BIN_LABELS))

        def arr(vals: Sequence[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in vals], dtype=float)

        for i, (name, vals) in enumerate(sims):
            colour, marker = sim_style(i)
            ax.plot(x, arr(vals), color=colour, marker=marker, lw=1.8, ms=7, label=name)
        ax.plot(x, arr(human), color=HUMAN_COLOUR, marker="o", lw=2.6, ms=8, ls="--",
                label="humans (kept sessions, 3 batches)", zorder=5)
        ax.set_xticks(x, [f"{lab}\nn={k}" for lab, k in zip(BIN_LABELS, human_n, strict=True)])
        ax.set_ylim(-3, 103)
        ax.set_ylabel("agent success rate (%)")
        ax.set_xlabel("task difficulty bin (pooled simulator success); n = human sessions")
        ax.grid(axis="y", color="#dddddd")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=10)
        ax.set_title("Outcome calibration: success per difficulty bin", loc="left")
        return fig
