"""components.team_scope: which teams a run declares, and which team is being declared."""

from __future__ import annotations

from blueprint.components.team_scope import current_team, each_team, only_teams


def test_every_team_by_default_each_labelled_while_its_body_runs():
    seen = [(team, current_team()) for team in each_team(["a", "b", "c"])]
    assert seen == [("a", "a"), ("b", "b"), ("c", "c")]
    assert current_team() is None


def test_only_teams_narrows_the_loops_and_ends_with_its_block():
    teams = [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    with only_teams(["c", "a"]):
        assert [t["name"] for t in each_team(teams, lambda t: t["name"])] == ["a", "c"]
        with only_teams(None):
            assert len(list(each_team(teams, lambda t: t["name"]))) == 3
        assert list(each_team(teams, lambda t: t["name"])) == [teams[0], teams[2]]
    assert len(list(each_team(teams, lambda t: t["name"]))) == 3
    with only_teams(()):
        assert list(each_team(teams, lambda t: t["name"])) == []
