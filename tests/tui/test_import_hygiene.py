"""`tempo workflow …` and `tempo --help` never pay for Textual: the TUI is imported only by `tempo tui`."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import tempo_cli.main, tempo_cli._commands, tempo_cli.workflow, tempo_cli.tui.command
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "textual_serve", "aiohttp"))
print(",".join(loaded))
"""


def test_the_cli_does_not_import_textual() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_tempo_tui_help_is_listed_without_importing_textual() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tempo_cli.main import app\n"
        "result = CliRunner().invoke(app, ['tui', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '--serve' in result.output\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
