"""`python -m tests.cli.tempo_entry workflow ...`: the `tempo workflow` app as a real process.

Mounted exactly as `tempo_cli.main` mounts it, so tests can run the commands as
users type them, also in a subprocess (for streaming and for the real exit path).
"""

from __future__ import annotations

import typer

from tempo_cli import workflow
from tempo_cli._usage_errors import OneLineUsageErrors

root = typer.Typer(pretty_exceptions_enable=False, rich_markup_mode=None, cls=OneLineUsageErrors)
root.add_typer(workflow.app, name="workflow")

if __name__ == "__main__":
    root(prog_name="tempo")
