"""Commands for editors tuning the rules: `rules check` validates the rule files, and
`explain` shows the analysis of one article (incidents, claims, alerts) without storing it."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cli.output import JsonFlag, print_json, print_plain, stderr, stdout
from monitor.cli.root import command_settings, parse_when, reported_errors

rules_app = typer.Typer(
    help="Check the rule files editors tune.", no_args_is_help=True, rich_markup_mode=None
)


@rules_app.command("check")
def rules_check() -> None:
    """Validate every file in the rules folder; print each problem with file, line and fix.

    Exits 1 when any problem is found.
    """
    from monitor.analysis.engine import check_rule_set

    with reported_errors():
        settings = command_settings()
        problems = check_rule_set(settings.rules_dir)
    for problem in problems:
        print_plain(stderr, problem)
    if problems:
        stderr.print(f"{len(problems)} problem(s) in {settings.rules_dir}", markup=False)
        raise typer.Exit(1)
    print_plain(stdout, f"rules OK: {settings.rules_dir}")


def explain(
    target: Annotated[str, typer.Argument(help="An article URL, or a .txt / .html file.")],
    published: Annotated[
        str | None, typer.Option(help="Publication time, ISO-8601 (resolves 'Wednesday' etc.).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source label for the article.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Dry run on one article: incidents and why, each sentence's incident, claims, alerts.

    Reads files as `monitor ingest` does. The alerts shown are those that would
    fire against the stored ledger. Writes nothing.
    """
    from monitor.pipeline.explain import explain_target

    published_at = parse_when(published, option="--published")
    with reported_errors():
        explanation = explain_target(
            command_settings(), target, published_at=published_at, source_label=source
        )
    if as_json:
        print_json(explanation.as_json())
        return
    for line in explanation.as_lines(width=stdout.width):
        print_plain(stdout, line)
