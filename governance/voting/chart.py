"""The hour-by-hour turnout chart's geometry: plain numbers the page draws as inline SVG.

Drawn on the server, with no chart library and no script (DESIGN: web; issue 11, item 6): bars are
the ballots cast in each hour, the line is the turnout so far as a share of the electorate. The
page's table carries the same figures for anyone who cannot see the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from governance.voting.turnout import ContestTurnout

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 12, 36  # room for the axis labels
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 6  # time labels along the bottom, at most


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    bottom: float  # y of the time axis
    right: float  # x of the right-hand (turnout %) axis
    bars: list[Bar]
    line: str  # SVG polyline points of the cumulative turnout %
    ticks: list[Tick]
    busiest: int  # ballots in the busiest hour: the top of the left-hand axis


def _label(moment: datetime, zone: str, with_day: bool) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%-d %b %H:%M") if with_day else local.strftime("%H:%M")


def _ticks(turnout: ContestTurnout, zone: str, step: float) -> list[Tick]:
    hours = turnout.hours
    every = max(1, -(-len(hours) // TICKS))  # ceiling division
    with_day = len(hours) > 24
    return [
        Tick(LEFT + index * step, _label(hour.starts_at, zone, with_day))
        for index, hour in enumerate(hours)
        if index % every == 0
    ]


def chart(turnout: ContestTurnout, zone: str) -> Chart | None:
    """The chart of one contest's turnout, or None before the first hour of voting."""
    hours = turnout.hours
    if not hours:
        return None
    step = PLOT_WIDTH / len(hours)
    busiest = max(hour.ballots for hour in hours) or 1
    base = TOP + PLOT_HEIGHT
    bars = [
        Bar(
            x=round(LEFT + index * step + step * 0.1, 2),
            y=round(base - PLOT_HEIGHT * hour.ballots / busiest, 2),
            width=round(step * 0.8, 2),
            height=round(PLOT_HEIGHT * hour.ballots / busiest, 2),
        )
        for index, hour in enumerate(hours)
        if hour.ballots
    ]
    points = []
    for index, hour in enumerate(hours):
        share = (turnout.percent_at(hour) or 0.0) / 100
        points.append(f"{LEFT + (index + 1) * step:.2f},{base - PLOT_HEIGHT * share:.2f}")
    line = f"{LEFT:.2f},{base:.2f} " + " ".join(points)
    return Chart(
        WIDTH,
        HEIGHT,
        LEFT,
        TOP,
        base,
        LEFT + PLOT_WIDTH,
        bars,
        line,
        _ticks(turnout, zone, step),
        busiest,
    )
