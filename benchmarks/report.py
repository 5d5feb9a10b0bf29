"""What the benchmarks print: a figure as its median [min..max], and target lines.

Every benchmark ends with one line per target:
`target <name>: <median> <unit> [min..max] (goal <op> <limit>) PASS|FAIL`.
"""

from __future__ import annotations

import statistics


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """Median [min..max]."""
    return (
        f"{fmt.format(statistics.median(values))}"
        f" [{fmt.format(min(values))}..{fmt.format(max(values))}]"
    )


def met(values: list[float], op: str, limit: float) -> bool:
    """Whether the median meets the goal (`op` is "<=" or ">=")."""
    median = statistics.median(values)
    return median <= limit if op == "<=" else median >= limit


def target(
    name: str,
    values: list[float],
    unit: str,
    op: str,
    limit: float,
    fmt: str = "{:.2f}",
) -> str:
    """One target line: the median, its unit, then [min..max] and the goal."""
    median = fmt.format(statistics.median(values))
    span = f"[{fmt.format(min(values))}..{fmt.format(max(values))}]"
    figure = " ".join(part for part in (median, unit, span) if part)
    verdict = "PASS" if met(values, op, limit) else "FAIL"
    return f"target {name}: {figure} (goal {op} {limit:g}) {verdict}"
