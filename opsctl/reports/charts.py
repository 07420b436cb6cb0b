"""Plain-text charts for the terminal and Slack: sparklines and bars (no Rich needed)."""

from __future__ import annotations

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return BLOCKS[0] * len(values)
    return "".join(BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1) + 0.5))] for v in values)


def bar(value: float, top: float, width: int = 24) -> str:
    if top <= 0 or value <= 0:
        return ""
    cells = value / top * width
    return "█" * int(cells) + ("▌" if cells - int(cells) >= 0.5 else "")


def bucket(series: list[tuple[str, int]], most: int = 60) -> list[int]:
    """Squeeze a long per-day series into at most `most` buckets (sums)."""
    counts = [count for _, count in series]
    if len(counts) <= most:
        return counts
    size = -(-len(counts) // most)
    return [sum(counts[i:i + size]) for i in range(0, len(counts), size)]
