from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return p50, p95


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
