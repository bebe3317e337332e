"""``chronolex``: the command group and the one error edge.

Each command parses its arguments, calls the engine and renders what it gets back
(:mod:`chronolex.cli.commands`); this module only names them and turns the engine's one
exception into a one-line message with exit code 2 (the codes are named in
:mod:`chronolex.cli._common`).

A command's module is imported when that command runs, not before: ``chronolex --help``
lists the commands from :data:`COMMANDS` without loading the engine, so it starts in a
few tens of milliseconds (a test checks that each summary here is the first line of the
command's own help).
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


import click

import chronolex
from chronolex.cli._common import BadInput, error_text


class CommandEntry(NamedTuple):
    """Where a command is defined, and the summary ``chronolex --help`` shows for it."""

    module: str
    attribute: str
    summary: str


_COMMANDS = "chronolex.cli.commands."

#: Every command, in the order ``chronolex --help`` lists them.
COMMANDS: dict[str, CommandEntry] = {
    "validate": CommandEntry(_COMMANDS + "validate", "validate",
                             "Check policy bundles: YAML, schema, conditions, versions and time."),
    "test": CommandEntry(_COMMANDS + "policy_tests", "policy_test",
                         "Run policy tests: the cases in each bundle's tests/*.yaml."),
    "versions": CommandEntry(_COMMANDS + "versions", "versions",
                             "List a bundle's versions: when each is in force, when it was published, and notes."),
    "show": CommandEntry(_COMMANDS + "versions", "show",
                         "Print a version as a complete, resolved rule set (extends applied)."),
    "why": CommandEntry(_COMMANDS + "replay", "why",
                        "Why ACCOUNT is (or is not) blocked at an instant, with evidence, and when it lifts."),
    "timeline": CommandEntry(_COMMANDS + "replay", "timeline_command",
                             "The exact intervals in which ACCOUNT's decision and its reasons are constant."),
    "evaluate": CommandEntry(_COMMANDS + "replay", "evaluate", "Evaluate given fact values directly, without events."),
    "replay": CommandEntry(_COMMANDS + "replay", "replay",
                           "Decide for every account at an instant: one row per account and action, then a "
                           "summary of accounts blocked per category and per rule."),
    "diff": CommandEntry(_COMMANDS + "diff", "diff",
                         "Compare policy versions: the text, the meaning (proved with a solver) and the accounts."),
    "ingest": CommandEntry(_COMMANDS + "ingest", "ingest",
                           "Append the events of FILES (JSON Lines or CSV) to the store at --db."),
    "events": CommandEntry(_COMMANDS + "events", "events",
                           "Event files: convert JSON Lines, CSV or the store into Parquet for batch replay."),
    "store": CommandEntry(_COMMANDS + "store", "store",
                          "Check the embedded event store: SQLite's integrity check and every ingest's checksum."),
    "log": CommandEntry(_COMMANDS + "log", "log",
                        "The decision log: verify its chain, show what was decided, replay it with today's knowledge, "
                        "export it."),
    "init": CommandEntry(_COMMANDS + "init", "init",
                         "Create a bundle repository in DIRECTORY that passes validate and test as it is."),
    "serve": CommandEntry(_COMMANDS + "serve", "serve", "Serve decisions over HTTP: the decision service (docs/serve.md)."),
    "schema": CommandEntry(_COMMANDS + "schema", "schema",
                           "Write the JSON Schemas of chronolex's files, for editors and other tools."),
}


class _Group(click.Group):
    """Finds each command on first use, and turns the engine's one error type into a
    one-line message and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry.summary) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except chronolex.ChronolexError as error:
            raise BadInput(error_text(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(chronolex.__version__, prog_name="chronolex")
def cli() -> None:
    """Policy-as-code for restrictions that change over time: validate, explain, replay and diff."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="chronolex")
