"""How many of the machine's cores sat idle lately: whether a whole run of many teams is worth dealing out to
processes (`preview.incremental.workers`).

The 1-minute load average answers late: right after one preview it still counts that preview as load, so a second
preview straight after (a CI job, a benchmark, a user running check after preview) never used the idle core. Here
the machine's own idle time (Linux `/proc/stat`) is read when this module is imported, ahead of the Pulumi SDK
import that every run pays first, and again when asked: the share of idle time in between, times the cores, is
what sat idle while this process was busy on one of them.
"""

from __future__ import annotations

import os

MIN_TICKS = 20
"""Less CPU time than this (clock ticks, summed over the cores) between two readings tells nothing: answer None."""
PROC_STAT = "/proc/stat"


def sample() -> tuple[int, int] | None:
    """The machine's idle and total CPU time so far, in clock ticks; None where there is no /proc/stat."""
    try:
        with open(PROC_STAT, encoding="ascii") as stream:
            fields = stream.readline().split()
    except OSError:
        return None
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    try:
        # user nice system idle iowait irq softirq steal; guest time is counted inside user already.
        user, nice, system, idle, iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
    except ValueError:
        return None
    return idle + iowait, user + nice + system + idle + iowait + irq + softirq + steal


_last = sample()


def idle_cores() -> float | None:
    """Cores' worth of idle time since the previous reading (this module's import, or the previous call); None
    when it cannot tell (no /proc/stat, or too little time has passed)."""
    global _last
    now = sample()
    before, _last = _last, now
    if before is None or now is None:
        return None
    idle, total = now[0] - before[0], now[1] - before[1]
    if total < MIN_TICKS or idle < 0:
        return None
    return (os.cpu_count() or 1) * idle / total
