"""preview.cores: idle cores from the machine's own idle time between two readings of /proc/stat."""

from __future__ import annotations

from pathlib import Path

import pytest

from blueprint.preview import cores


def stat_line(*, user: int, idle: int, iowait: int = 0, system: int = 0, steal: int = 0, guest: int = 0) -> str:
    # user nice system idle iowait irq softirq steal guest guest_nice, then a per-core line that must not be read
    return f"cpu  {user} 0 {system} {idle} {iowait} 0 0 {steal} {guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"


@pytest.fixture
def proc_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "stat"
    monkeypatch.setattr(cores, "PROC_STAT", str(path))
    monkeypatch.setattr(cores.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(cores, "_last", None)  # the tests set readings of their own: the real one is put back after
    return path


def test_idle_time_in_between_times_the_cores_is_the_idle_cores(proc_stat):
    proc_stat.write_text(stat_line(user=1000, idle=5000, guest=700))
    cores._last = cores.sample()
    # 400 ticks pass: this process busy on one core (100), another process on half of one (50, as steal), 250 idle
    proc_stat.write_text(stat_line(user=1100, idle=5200, iowait=50, steal=50, guest=790))
    assert cores.idle_cores() == pytest.approx(4 * 250 / 400)  # guest time is inside user: not counted twice
    proc_stat.write_text(stat_line(user=1500, idle=5200, iowait=50, steal=50, guest=790))
    assert cores.idle_cores() == 0.0  # since the previous call: 400 busy ticks, none idle


def test_too_short_an_interval_or_no_proc_stat_tells_nothing(proc_stat):
    proc_stat.write_text(stat_line(user=1000, idle=5000))
    cores._last = cores.sample()
    proc_stat.write_text(stat_line(user=1005, idle=5010))
    assert cores.idle_cores() is None  # 15 ticks: less than MIN_TICKS
    proc_stat.unlink()
    assert cores.sample() is None and cores.idle_cores() is None
    proc_stat.write_text("intr 1 2 3\n")
    assert cores.sample() is None
    proc_stat.write_text("cpu  1 2 x 4 5 6 7 8\n")
    assert cores.sample() is None


def test_the_first_reading_is_taken_before_the_sdk_is_imported():
    """The interval must cover the SDK import, the seconds this process is busy on one core before a run: the
    preview imports cores ahead of the SDK (the order in which a fresh process first asks for each module)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "asked = []\n"
        "class Order:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        asked.append(name)\n"
        "sys.meta_path.insert(0, Order())\n"
        "import blueprint.preview.incremental\n"
        "print(asked.index('blueprint.preview.cores'), asked.index('pulumi'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    cores_at, pulumi_at = map(int, done.stdout.split())
    assert cores_at < pulumi_at
