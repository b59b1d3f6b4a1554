"""A broken or hostile blueprint either validates or gives one clean SpecError naming the file; never anything else."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.errors import SpecError
from blueprint.model import load_blueprint
from blueprint.model.yamlio import dump_yaml
from tests.property.counting import EXAMPLES
from tests.property.strategies import mutated

MUTATION_EXAMPLES = 300
CLI_EXAMPLES = 6
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# Raw control characters in a message could drive the terminal (ESC sequences) or forge lines.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")
runner = CliRunner()


def blueprint_text(kind: str, document: object, edit: tuple[float, str, int] | None) -> str:
    text = dump_yaml(document)
    if edit is not None:
        where, inserted, deleted = edit
        at = int(where * len(text))
        text = text[:at] + inserted + text[at + deleted :]
    return text


def assert_clean_spec_error(error: SpecError, path: Path) -> None:
    message = str(error)
    assert str(path) in message, f"the message does not name the file: {message!r}"
    assert error.source == str(path)
    assert "Traceback" not in message and 'File "' not in message, message
    assert not RAW_CONTROL.search(message), f"raw control characters in the message: {message!r}"
    assert error.problems, "a SpecError without problems tells the user nothing"
    # Values are shown shortened; a 5000-character hostile value must not be echoed whole.
    assert len(message) < 4000, f"{len(message)} characters: {message[:300]!r}..."


def test_mutated_documents_validate_or_raise_one_clean_spec_error():
    outcomes: Counter[str] = Counter()

    @settings(max_examples=MUTATION_EXAMPLES, deadline=None, suppress_health_check=SLOW)
    @given(mutated())
    def check(case):
        kind, document, edit = case
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "acme-dsw" / "blueprint.yaml"
            path.parent.mkdir()
            path.write_text(blueprint_text(kind, document, edit), encoding="utf-8")
            try:
                load_blueprint(path)
            except SpecError as error:
                assert_clean_spec_error(error, path)
                outcomes[f"{kind}: SpecError"] += 1
            else:
                outcomes[f"{kind}: valid"] += 1

    check()
    total = sum(outcomes.values())
    EXAMPLES["mutated documents load"] += total
    for outcome in ("SpecError", "valid"):
        EXAMPLES[f"mutated documents load ({outcome})"] += sum(n for k, n in outcomes.items() if k.endswith(outcome))
    assert total >= MUTATION_EXAMPLES * 0.9, outcomes
    # The mutations must mostly break things, or the property proves little.
    assert sum(n for k, n in outcomes.items() if k.endswith("SpecError")) > total / 3, outcomes


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_mutated_documents_through_the_cli_exit_cleanly_and_change_nothing_on_bad_input():
    outcomes: Counter[str] = Counter()

    @settings(max_examples=CLI_EXAMPLES, deadline=None, suppress_health_check=[*SLOW, HealthCheck.function_scoped_fixture])
    @given(mutated(), st.sampled_from(("check", "fork")))
    def check(case, command):
        kind, document, edit = case
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch) / "acme-dsw"
            project.mkdir()
            (project / "blueprint.yaml").write_text(blueprint_text(kind, document, edit), encoding="utf-8")
            before = snapshot(Path(scratch))
            args = [command, str(project)] + (["--team", "newcomers"] if command == "fork" else [])
            result = runner.invoke(app, args)
            output = result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), f"{type(result.exception).__name__}: {result.exception}"
            assert "Traceback" not in output, output
            assert result.exit_code in (0, 1, 2), output
            if command == "check" or result.exit_code == 2:
                assert snapshot(Path(scratch)) == before, "a failed or read-only command changed files"
            if result.exit_code == 2:
                assert "error:" in output and "blueprint.yaml" in output, output
            if command == "fork" and result.exit_code == 0:
                assert (project / "teams" / "newcomers.yaml").is_file()
                assert sorted(snapshot(Path(scratch))) == ["acme-dsw/blueprint.yaml", "acme-dsw/teams/newcomers.yaml"]
            outcomes[f"{command} exit {result.exit_code}"] += 1

    check()
    EXAMPLES["mutated documents through the CLI"] += sum(outcomes.values())
    assert sum(outcomes.values()) >= CLI_EXAMPLES * 0.9, outcomes

