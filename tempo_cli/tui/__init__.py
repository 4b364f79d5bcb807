"""`tempo tui`: a Textual UI for workflows, histories, queries and actions.

Importing this package imports no Textual: the app lives in :mod:`tempo_cli.tui.app`
and the command that starts it in :mod:`tempo_cli.tui.command`.
"""
