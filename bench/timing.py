from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def quantile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of samples already sorted, by the nearest rank."""
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), quantile(ordered, 0.95)


def measure(
    call: Callable[[int], object], samples: int, *, warmup: int = 20
) -> tuple[float, float]:
    """p50 and p95 in milliseconds of ``call(i)`` over ``samples`` runs, after a warm-up."""
    for i in range(warmup):
        call(i)
    timings = []
    for i in range(samples):
        started = time.perf_counter()
        call(i)
        timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)
