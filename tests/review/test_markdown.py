"""The review markdown: escaping of everything a user wrote, whole tables, risk order, and the size budget."""

from __future__ import annotations

import re
import shutil

import pytest
from markdown_it import MarkdownIt

from blueprint.review import diff_projects, render_review
from blueprint.review.check import CheckOutcome, CheckViolation, unavailable
from blueprint.review.markdown import GITHUB_COMMENT_LIMIT, code, text

from .conftest import new_project

HOSTILE = "evil | <img src=x onerror=alert(1)> `tick` @octocat @acme/admins [link](https://x.example) **bold** <!-- -->"
render_html = MarkdownIt("commonmark").enable("table").render


def cells(html: str) -> list[list[str]]:
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]


@pytest.mark.parametrize("escape", [text, code])
def test_hostile_text_stays_in_its_cell(escape):
    html = render_html(f"| a | b | c |\n|---|---|---|\n| x | {escape(HOSTILE, 500)} | y |\n")
    rows = cells(html)
    assert rows[1][0] == "x" and rows[1][2] == "y", html  # the pipe did not open a new cell
    assert "<img" not in html and "<!--" not in html and "<strong>" not in html and "<a " not in html
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "@octocat" not in outside_code and "@acme/admins" not in outside_code


def test_mentions_are_defused_in_text():
    assert "@octocat" not in text("ping @octocat")
    assert "@\u200boctocat" in text("ping @octocat")


def test_code_survives_backticks_and_newlines():
    rendered = render_html(code("a ``b`` c\nd"))
    assert "<code>a ``b`` c d</code>" in rendered


def test_long_values_are_cut_not_broken():
    assert len(text("x" * 1000)) <= 80
    assert code("y" * 1000).count("`") == 2


def _hostile_project(tmp_path):
    base = new_project(tmp_path / "base")
    head = tmp_path / "head"
    shutil.copytree(base, head)
    blueprint = (head / "blueprint.yaml").read_text()
    blueprint = blueprint.replace("stance: strict", "stance: custom")
    blueprint += f"""
stances:
  custom:
    extends: balanced
    summary: {HOSTILE!r}
exceptions:
  - team: genomics
    control: compute.sessions.root_allowed
    value: true
    reason: "needs root | **now** @octocat please [x](https://x.example)"
    approved_by: ciso
    expires: 2099-12-31
"""
    (head / "blueprint.yaml").write_text(blueprint)
    (head / "teams").mkdir()
    (head / "teams/genomics.yaml").write_text("team: genomics\ncontrols:\n  compute.sessions.root_allowed: true\n")
    return base, head


def test_review_escapes_user_strings_and_keeps_tables_whole(tmp_path):
    base, head = _hostile_project(tmp_path)
    result = diff_projects(base, head, preview=False)
    check = CheckOutcome("failed", (CheckViolation("net-1", "high", "bad | thing @octocat", "urn:pulumi:dev::p::aws:ec2/vpc:Vpc::acme"),))
    markdown = render_review(result, check, base_label="origin/main")
    html = render_html(markdown)
    assert "<img" not in html and "<a href" not in html
    assert "@octocat" not in markdown.replace("`", "")  # only inside code spans, if at all
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        rows = cells(table)
        assert len({len(r) for r in rows}) == 1, rows  # no cell split by a pipe
    # Risk order: weakened controls, then public endpoints, IAM/encryption, quotas, exceptions, resources, check.
    headings = [h for h in re.findall(r"^### (.*)$", markdown, re.M)]
    order = ["Controls weakened", "Public endpoints", "IAM and encryption", "Quota increases", "Exceptions", "Resource changes", "blueprint check"]
    positions = [next(i for i, h in enumerate(headings) if key in h) for key in order if any(key in h for h in headings)]
    assert positions == sorted(positions) and len(positions) >= 5, headings


def test_summary_marks_the_stance_and_counts(tmp_path):
    base, head = _hostile_project(tmp_path)
    markdown = render_review(diff_projects(base, head, preview=False), unavailable("skipped"), base_label="HEAD~1")
    assert "stance `strict` → `custom`" in markdown
    assert re.search(r"\*\*\d+ weaker\*\*", markdown)
    assert len(markdown) < GITHUB_COMMENT_LIMIT


def test_budget_trims_rows_never_tables(tmp_path):
    base, head = _hostile_project(tmp_path)
    result = diff_projects(base, head, preview=False)
    full = render_review(result, unavailable("skipped"), base_label="b")
    small = render_review(result, unavailable("skipped"), base_label="b", budget=len(full) - 200)
    assert len(small) <= len(full) - 200
    assert "more weakened control change(s)" in small
    for table in re.findall(r"<table>.*?</table>", render_html(small), re.S):
        assert len({len(r) for r in cells(table)}) == 1
