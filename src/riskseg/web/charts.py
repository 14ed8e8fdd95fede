"""The geometry of the dashboard's charts; ``templates/_charts.html`` draws it as inline SVG.

Only numbers are computed here: every text a chart shows goes through the templates, whose
autoescape covers it, so no markup is ever built from data in Python. The charts are drawn by
the server, so the pages need no chart library and no network.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskseg.portfolio import LiftPoint


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    #: a colour class of app.css (low, medium, high, plain)
    tone: str
    #: the tooltip, e.g. "30-40: 19 customers"
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    label: str


def risk_histogram(
    bins: list[tuple[int, int]],
    *,
    bin_width: int,
    medium: float = 30.0,
    high: float = 60.0,
    width: int = 520,
    height: int = 160,
) -> BarChart:
    """Bars of customers per risk score bin, coloured by the grid's risk bands.

    >>> c = risk_histogram([(0, 4), (50, 2)], bin_width=50)
    >>> [b.tone for b in c.bars], c.bars[0].height > c.bars[1].height
    (['low', 'medium'], True)
    """
    top = max([n for _, n in bins] + [1])
    plot = height - 22
    step = width / max(len(bins), 1)
    bars = []
    for i, (low, n) in enumerate(bins):
        h = plot * n / top
        tone = "high" if low >= high else "medium" if low >= medium else "low"
        bars.append(
            Bar(
                round(i * step + 1, 1),
                round(plot - h, 1),
                round(step - 2, 1),
                round(h, 1),
                tone,
                f"risk {low}-{low + bin_width}: {n:,} customers",
            )
        )
    ticks = [
        Tick(round(i * step, 1), height - 6, str(low))
        for i, (low, _) in enumerate(bins)
        if i % 2 == 0
    ]
    ticks.append(Tick(width - 18, height - 6, "100"))
    return BarChart(width, height, bars, ticks, "risk score distribution")


def share_bar(share: float, *, width: int = 120) -> float:
    """Width of a bar showing a share (0-1) in ``width`` pixels.

    >>> share_bar(0.25)
    30.0
    """
    return round(max(0.0, min(1.0, share)) * width, 1)


@dataclass(frozen=True)
class LineChart:
    """Points on a square plot: x and y in pixels, with axis ticks and a reference line."""

    width: int
    height: int
    #: (x, y, tooltip) of each point
    points: list[tuple[float, float, str]]
    #: the polyline through the points
    path: str
    #: the reference: the diagonal (calibration) or lift 1 (lift)
    reference: str
    xticks: list[Tick]
    yticks: list[Tick]
    xlabel: str
    ylabel: str
    label: str


_PAD = 36


def _scale(v: float, top: float, size: int, *, flip: bool) -> float:
    span = size - 2 * _PAD
    pos = span * (v / top if top else 0.0)
    return round((size - _PAD - pos) if flip else (_PAD + pos), 1)


def calibration_chart(
    bins: list[dict[str, float]], *, size: int = 260, label: str = "calibration"
) -> LineChart:
    """Observed event rate against mean predicted probability per bin, with the diagonal.

    >>> c = calibration_chart([{"mean_predicted": 0.2, "observed_rate": 0.25, "count": 10}])
    >>> len(c.points), c.xlabel
    (1, 'predicted probability')
    """
    top = max(
        [float(b["mean_predicted"]) for b in bins] + [float(b["observed_rate"]) for b in bins]
    )
    top = min(1.0, max(0.1, round(top * 1.1 + 0.049, 1)))
    points = [
        (
            _scale(float(b["mean_predicted"]), top, size, flip=False),
            _scale(float(b["observed_rate"]), top, size, flip=True),
            f"predicted {float(b['mean_predicted']):.0%}, observed "
            f"{float(b['observed_rate']):.0%} ({int(b['count']):,} customers)",
        )
        for b in bins
    ]
    lo, hi = _scale(0, top, size, flip=False), _scale(top, top, size, flip=False)
    reference = f"M{lo},{size - _PAD} L{hi},{_PAD}"
    ticks = [i * top / 4 for i in range(5)]
    return LineChart(
        size,
        size,
        points,
        " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y, _) in enumerate(points)),
        reference,
        [Tick(_scale(t, top, size, flip=False), size - 14, f"{t:.0%}") for t in ticks],
        [Tick(4, _scale(t, top, size, flip=True) + 4, f"{t:.0%}") for t in ticks],
        "predicted probability",
        "observed rate",
        label,
    )


def lift_chart(curve: list[LiftPoint], *, size: int = 260, label: str = "lift") -> LineChart:
    """Cumulative lift against the share of customers taken, highest predictions first.

    >>> c = lift_chart([LiftPoint(0.5, 2.0, 1.0), LiftPoint(1.0, 1.0, 1.0)])
    >>> c.points[0][2]
    'top 50%: lift 2.00, 100% of the events'
    """
    top = max([p.lift for p in curve] + [1.0])
    top = float(int(top) + 1)
    points = [
        (
            _scale(p.share, 1.0, size, flip=False),
            _scale(p.lift, top, size, flip=True),
            f"top {p.share:.0%}: lift {p.lift:.2f}, {p.captured:.0%} of the events",
        )
        for p in curve
    ]
    one = _scale(1.0, top, size, flip=True)
    reference = f"M{_PAD},{one} L{size - _PAD},{one}"
    yt = [top * i / 4 for i in range(5)]
    return LineChart(
        size,
        size,
        points,
        " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y, _) in enumerate(points)),
        reference,
        [
            Tick(_scale(t, 1.0, size, flip=False), size - 14, f"{t:.0%}")
            for t in (0, 0.25, 0.5, 0.75, 1.0)
        ],
        [Tick(4, _scale(t, top, size, flip=True) + 4, f"{t:.1f}") for t in yt],
        "share of customers, highest predicted first",
        "lift",
        label,
    )
