"""The watch chart: the metric per bucket with its interval, control limits, change point, alerts.

Each mark carries an SVG id (matplotlib's ``gid``) so tests and people can find it:
``metric``, ``control-upper``, ``control-lower``, ``centre``, ``baseline``, ``change-point``,
``alerts``.
"""

from __future__ import annotations

from pathlib import Path

from causal_rca.errors import InputError
from causal_rca.timeline.watch import WatchReport


def write_watch_chart(report: WatchReport, out: Path) -> None:
    """PNG or SVG by the file's suffix."""
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InputError(f"--chart '{out}': use a .png or .svg file")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "causal-rca"  # stable ids: the same report gives the same file
    times = [b.start for b in report.buckets]
    values = [b.value for b in report.buckets]
    fig, ax = plt.subplots(figsize=(10, 4), dpi=110)
    try:
        ax.fill_between(times, [b.ci[0] for b in report.buckets], [b.ci[1] for b in report.buckets],
                        color="#9ecae1", alpha=0.4, linewidth=0, label="95% interval").set_gid("interval")
        ax.plot(times, values, color="#08519c", marker="o", markersize=3, linewidth=1.2,
                label=report.metric, gid="metric")
        lim = report.limits
        ax.axhline(lim.upper, color="#636363", linestyle="--", linewidth=1, label="control limits", gid="control-upper")
        ax.axhline(lim.lower, color="#636363", linestyle="--", linewidth=1, gid="control-lower")
        ax.axhline(lim.centre, color="#969696", linewidth=0.8, gid="centre")
        base = [b.start for b in report.buckets if b.baseline]
        if base:
            ax.axvspan(base[0], report.buckets[len(base)].start if len(base) < len(report.buckets) else base[-1],
                       color="#f0f0f0", zorder=0, label="baseline", gid="baseline")
        cp = report.change_point
        if cp is not None and cp.significant:
            ax.axvline(cp.time, color="#e6550d", linewidth=1.5, label=f"change point ({cp.kind})", gid="change-point")
        alerted = [b for b in report.buckets if b.alert]
        if alerted:
            ax.scatter([b.start for b in alerted], [b.value for b in alerted], marker="v", s=60, color="#cb181d",
                       zorder=5, label="alert", gid="alerts")
        ax.set_title(f"{report.metric} per {report.every} — {report.graph}")
        ax.set_ylabel(report.metric)
        ax.legend(loc="best", fontsize=8)
        fig.autofmt_xdate()
        fig.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        metadata = {"Date": None} if suffix == ".svg" else {}
        fig.savefig(out, format=suffix[1:], metadata=metadata)
    except OSError as exc:
        raise InputError(f"cannot write '{out}': {exc.strerror}") from None
    finally:
        plt.close(fig)
