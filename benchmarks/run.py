"""``make bench``: the figures the issues ask for, printed in one run."""

from __future__ import annotations

import time
import tracemalloc

from wcitsim.data import load_dataset


def bench_data_loading(repeat: int = 20) -> dict[str, float]:
    """Time the validated loading of the three data files."""
    load_dataset()
    tracemalloc.start()
    start = time.perf_counter()
    for _ in range(repeat):
        load_dataset()
    elapsed = (time.perf_counter() - start) / repeat
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds_per_load": elapsed, "peak_mib": peak / 2**20}


def main() -> None:
    data = bench_data_loading()
    print(
        f"data loading: {data['seconds_per_load'] * 1e3:.1f} ms per validated load, peak {data['peak_mib']:.1f} MiB"
    )


if __name__ == "__main__":
    main()
