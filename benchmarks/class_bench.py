"""``make bench`` (class role play): 30 simulated students play a 6-session conference over HTTP.

The server is `wcitsim teach --class` on a loopback port; the students and the teacher
are threads making the pages' requests (wcitsim.teach.classroom.drill). Printed: each step's
time inside the server and as the teacher's click waits for it, and request latencies.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from wcitsim.teach.classroom.drill import ClassServer, drill


def main() -> None:
    server = ClassServer(
        Path(tempfile.mkdtemp(prefix="wcitsim-class-bench-")),
        "--sessions",
        "6",
        "--time-limit",
        "600",
        "--seed",
        "7",
    )
    try:
        report = drill(server.address, server.code, server.key, students=30, seed=3, poll=0.2)
        status = Path(f"/proc/{server.proc.pid}/status")
        peak = (
            next(
                (line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM")),
                None,
            )
            if status.exists()
            else None
        )
    finally:
        server.stop()
    steps, client = report["server_step_seconds"], report["advance_seconds"]
    print(f"class role play: 30 students, 6 sessions, {report['phase']} in {report['seconds']:.1f} s")
    print(
        f"  steps (open, 6 sessions, vote if any, signing): {len(steps)}; server errors: {len(report['server_errors'])}"
    )
    print(
        f"  step time in the server: max {max(steps) * 1000:.1f} ms, mean {sum(steps) / len(steps) * 1000:.1f} ms"
    )
    print(f"  step time as the teacher's click waits for it: max {max(client) * 1000:.1f} ms")
    print(f"  the debrief (model-only run, tables, figure, files): {report['debrief_seconds'] * 1000:.0f} ms")
    if peak is not None:
        print(f"  peak resident memory of the server: {int(peak) / 1024:.0f} MiB")
    print(
        f"  {report['requests']} requests: median {report['latency_median'] * 1000:.1f} ms, "
        f"95th percentile {report['latency_p95'] * 1000:.1f} ms, max {report['latency_max'] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
