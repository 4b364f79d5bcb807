"""The start options `temporal workflow start` has beyond the basics: memo, search attributes,
headers, a start delay and --fail-existing; shared by start, execute and the *-with-start commands.

Only option declarations (Typer), so `--help` stays fast; `_start_request` parses them.
"""

from __future__ import annotations

from typing import Annotated

import typer

MemoOption = Annotated[
    list[str] | None,
    typer.Option(
        "--memo",
        help="A memo entry as KEY=VALUE, VALUE in JSON (e.g. note='\"rush\"'); repeatable.",
        show_default=False,
    ),
]
SearchAttributeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--search-attribute",
        help="A search attribute as KEY=VALUE, VALUE in JSON (e.g. Flavor='\"spicy\"'); repeatable.",
        show_default=False,
    ),
]
HeadersOption = Annotated[
    list[str] | None,
    typer.Option(
        "--headers",
        help="A workflow header (not a gRPC header) as KEY=VALUE, VALUE in JSON; repeatable.",
        show_default=False,
    ),
]
StartDelayOption = Annotated[
    str | None,
    typer.Option(
        "--start-delay",
        help="Wait this long before the first workflow task, e.g. 10m (a signal or update ends the wait).",
        show_default=False,
    ),
]
FailExistingOption = Annotated[
    bool, typer.Option("--fail-existing", help="Fail if a workflow with this ID is already running.")
]
