"""Print the number of Hypothesis examples each property ran, so a shrunk budget cannot hide."""

from __future__ import annotations

from tests.property.counting import EXAMPLES


def pytest_terminal_summary(terminalreporter) -> None:
    if EXAMPLES:
        terminalreporter.write_sep("-", "hypothesis examples run")
        for name, count in sorted(EXAMPLES.items()):
            terminalreporter.write_line(f"{name}: {count}")
