"""docs/validation.md's works-rules table: per stance, the works rules passed and failed on the generated project."""

from __future__ import annotations

from blueprint.export.checkov import evaluate as triage
from blueprint.export.checkov import render_validation
from blueprint.export.validation import works_figures
from blueprint.model import load_blueprint
from blueprint.policy import evaluate, select


def test_the_works_table_counts_each_stances_works_rules_as_check_does(stance_projects, stance_graphs):
    figures = [works_figures(stance, graph, load_blueprint(stance_projects[stance])) for stance, graph in stance_graphs.items()]
    works = {r.id for r in select("works")}
    for f in figures:
        spec = load_blueprint(stance_projects[f.stance])
        result = evaluate(spec, stance_graphs[f.stance], rules=select("works"))
        assert f.passed == result.passed and f.failed == tuple(sorted({v.rule for v in result.violations}))
        assert set(f.passed) | set(f.failed) | set(f.not_run) | set(f.not_applicable) == works and not f.not_run
    text = render_validation({}, {}, triage({}, []), works=figures)
    table = text[text.index("## works rules (`blueprint check --family works`)") :].splitlines()
    rows = [line for line in table if line.startswith("| ") and not line.startswith("| stance")]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == list(stance_graphs)
    for f, row in zip(figures, rows):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1:6] == [str(len(works)), str(len(f.passed)), str(len(f.failed)), "0", str(len(f.not_applicable))]
        assert cells[6] == (", ".join(f"`{r}`" for r in f.failed) or "-")


def test_without_a_blueprint_the_bare_stance_judges_and_the_idp_rule_is_not_asked_for(stance_graphs):
    figures = works_figures("strict", stance_graphs["strict"])
    assert "works.identity.hub-reaches-idp" in figures.not_applicable
