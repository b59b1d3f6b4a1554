"""`blueprint new`: write a complete Pulumi project for a stance."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from ._app import HERE, ProjectDir, app, err, handles_errors, out

if TYPE_CHECKING:
    from ..generate.project import NewResult


class IdpKind(str, Enum):
    oidc = "oidc"
    saml = "saml"
    cognito = "cognito"


def _parse_team(option: str) -> tuple[str, str]:
    name, _, group = option.partition(":")
    if not name:
        raise UsageError(option="--team", message=f"{option!r} has no team name", fix="use NAME or NAME:IDP_GROUP, e.g. genomics:dsw-genomics")
    return name, group or name


def _interactive() -> bool:
    return sys.stdin.isatty()


@app.command()
@handles_errors
def new(
    directory: Annotated[Path, typer.Argument(help="Directory to create the project in (must not exist unless --force).")],
    stance: Annotated[str | None, typer.Option(help="Built-in stance: strict, balanced or open. Default: strict (asked when interactive).")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation name (lowercase, prefixes resource names). Default: the directory name's first word.")] = None,
    region: Annotated[str, typer.Option(help="AWS region.")] = "us-east-1",
    stack: Annotated[str, typer.Option(help="Pulumi stack name.")] = "dev",
    team: Annotated[list[str] | None, typer.Option(help="A team as NAME or NAME:IDP_GROUP; repeat for more teams. Default: one team 'data-science'.")] = None,
    idp: Annotated[IdpKind, typer.Option(help="Single sign-on: oidc (your IdP), saml (via Cognito) or cognito (a new user pool).")] = IdpKind.cognito,
    issuer_url: Annotated[str | None, typer.Option(help="OIDC issuer URL (with --idp oidc).")] = None,
    client_id: Annotated[str | None, typer.Option(help="OIDC client id (with --idp oidc).")] = None,
    metadata_url: Annotated[str | None, typer.Option(help="SAML metadata URL (with --idp saml).")] = None,
    hub_hostname: Annotated[str | None, typer.Option(help="DNS name of JupyterHub. Default: jupyter.<org>.internal.")] = None,
    alert_email: Annotated[list[str] | None, typer.Option(help="Budget alert recipient; repeat for more.")] = None,
    admin_cidr: Annotated[list[str] | None, typer.Option(help="CIDR allowed to reach a public Kubernetes API (open stance); repeat for more.")] = None,
    on_premises_cidr: Annotated[list[str] | None, typer.Option(help="Office/VPN network routed to the VPC (how users reach strict's internal hub); repeat for more.")] = None,
    certificate_arn: Annotated[str | None, typer.Option(help="ACM certificate of the hub you bring (e.g. from ACM Private CA). Default: read from the stack config hubCertificateArn.")] = None,
    private_ca_arn: Annotated[str | None, typer.Option(help="ACM Private CA the program requests the hub's certificate from.")] = None,
    validation_zone_id: Annotated[str | None, typer.Option(help="Public Route 53 zone id the program validates a public certificate in (public hub names only).")] = None,
    hub_zone_id: Annotated[str | None, typer.Option(help="Route 53 zone id for the hub's alias record. Default: a zone for the hub's name the program creates.")] = None,
    index_url: Annotated[
        str | None, typer.Option(help="An internal package index that serves workbench-blueprint. Default: the wheel blueprint runs from is vendored into the project (vendor/, pinned by sha256).")
    ] = None,
    github_repository: Annotated[
        str | None, typer.Option(help="GitHub OWNER/NAME this project will live in: the CodeBuild CI runner takes its jobs. Default: <org>/<directory name>.")
    ] = None,
    admin_role_arn: Annotated[list[str] | None, typer.Option(help="IAM role ARN given cluster-admin (EKS access entry); repeat for more.")] = None,
    ci_role_arn: Annotated[list[str] | None, typer.Option(help="IAM role ARN the CI jobs assume, given cluster access; repeat for more.")] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="Start from an existing blueprint.yaml (kept verbatim) instead of the options above.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Regenerate an existing project directory (files you added are kept).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON: {directory, files, stance, teams}.")] = False,
) -> None:
    """Create a complete Pulumi Python project for a stance in DIRECTORY."""
    from ..generate.project import NewProject, TeamAnswer, new_project, new_project_from_file

    if from_file is not None:
        result = new_project_from_file(from_file, directory, force=force, index_url=index_url)
        if as_json:
            _print_written(result)
        else:
            out.print(f"[green]created[/] {result.directory} from {from_file} ({len(result.files)} files, stance {result.spec.stance.name})")
        return

    if stance is None:
        stance = typer.prompt("Stance (strict, balanced, open)", default="strict") if _interactive() else "strict"
    if org is None:
        default_org = directory.resolve().name.split("-")[0].lower() or "org"
        org = typer.prompt("Organisation name", default=default_org) if _interactive() else default_org
    teams = tuple(TeamAnswer(*_parse_team(t)) for t in (team or ["data-science"]))
    answers = NewProject(
        directory=str(directory),
        stance=stance,
        org=org,
        region=region,
        stack=stack,
        hub_hostname=hub_hostname or "",
        teams=teams,
        idp=idp.value,
        issuer_url=issuer_url,
        client_id=client_id,
        metadata_url=metadata_url,
        alert_emails=tuple(alert_email or ()),
        admin_cidrs=tuple(admin_cidr or ()),
        on_premises_cidrs=tuple(on_premises_cidr or ()),
        tls={
            key: value
            for key, value in (
                ("certificate_arn", certificate_arn),
                ("private_ca_arn", private_ca_arn),
                ("validation_zone_id", validation_zone_id),
                ("hub_zone_id", hub_zone_id),
            )
            if value
        },
        index_url=index_url,
        github_repository=github_repository,
        admin_role_arns=tuple(admin_role_arn or ()),
        ci_role_arns=tuple(ci_role_arn or ()),
    )
    result = new_project(answers, force=force)
    if as_json:
        _print_written(result)
    else:
        out.print(f"[green]created[/] {result.directory} ({len(result.files)} files, stance {result.spec.stance.name}, {len(result.spec.teams)} team(s))")
    if github_repository is None:
        err.print(f"[yellow]note:[/] ci.repository is guessed as {result.spec.ci.repository}: the CI runner takes that repository's jobs; correct it in blueprint.yaml (or pass --github-repository)")
    if not result.spec.budgets.alert_emails:
        err.print("[yellow]note:[/] no --alert-email given: budgets are created but alert nobody; add budgets.alert_emails in blueprint.yaml")
    if not as_json:
        out.print(f"next: blueprint preview {directory}  ·  blueprint check {directory}")


def _print_written(result: NewResult) -> None:
    payload = {
        "directory": str(result.directory),
        "files": sorted(result.files),
        "stance": result.spec.stance.name,
        "teams": [{"name": team.name, "idp_group": team.idp_group} for team in result.spec.teams],
    }
    typer.echo(json.dumps(payload, indent=2, sort_keys=True))


@app.command()
@handles_errors
def fork(
    team: Annotated[str, typer.Option(help="Team to fork; added to blueprint.yaml if it does not exist yet.")],
    directory: ProjectDir = HERE,
    group: Annotated[str | None, typer.Option(help="IdP group of a new team. Default: the team name.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing teams/<team>.yaml.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON: {overlay, team, team_added}.")] = False,
) -> None:
    """Write teams/<team>.yaml: a team's overlay above the org floor, from its current values."""
    from ..generate.fork import fork_team

    result = fork_team(directory, team, group, force=force)
    if as_json:
        typer.echo(json.dumps({"overlay": str(result.overlay), "team": team, "team_added": result.team_added}, indent=2, sort_keys=True))
        return
    added = " (team added to blueprint.yaml)" if result.team_added else ""
    out.print(f"[green]wrote[/] {result.overlay}{added}")
