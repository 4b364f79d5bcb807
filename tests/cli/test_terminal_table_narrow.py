"""Tables wider than the terminal, drawn without Rich (tempo_cli._terminal_table), are what Rich
draws there for the app: the columns narrowed as Rich narrows them, long cells cut with an
ellipsis or folded onto more lines, byte for byte, colours included."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tempo_cli._go_format import TIME_FORMATS
from tempo_cli._plain_table import Column, Rows, one_cell_per_char
from tempo_cli._render_text import workflow_list_table
from tempo_cli._terminal_table import EIGHT_BIT, STANDARD, terminal_lines
from tests.cli.rich_drawing import SYSTEMS, described, rich_lines, tables

# Words of all lengths (longer than a narrow column too), runs of spaces (a no-break space
# among them), empty cells, the ellipsis and Latin letters.
words = st.text(alphabet=st.sampled_from("abcZ-:…é7\xad"), min_size=1, max_size=25)
spaces = st.sampled_from([" ", "  ", "   ", "\xa0", " \xa0 "])
texts = st.one_of(
    st.just(""),
    st.builds(lambda parts: "".join(parts), st.lists(st.one_of(words, spaces), max_size=8)),
)


@settings(max_examples=600, deadline=None)
@given(tables(texts, max_columns=7, max_rows=4), st.integers(20, 200), st.sampled_from(list(SYSTEMS)), st.booleans())
def test_a_table_narrowed_to_the_terminal_is_the_one_rich_draws(
    table: Rows, width: int, colors: str, no_color: bool
) -> None:
    lines = terminal_lines(table, width, colors, no_color)
    if table.rows or table.show_header:  # else Rich's to draw: nothing
        assert lines == rich_lines(table, width, colors, no_color), described(table)


def _workflow_list() -> Rows:
    """`workflow list`'s table of runs of each status, realistic ids and types, each time format."""
    from temporalio.api.common.v1 import WorkflowExecution, WorkflowType
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo

    now = datetime.datetime(2026, 12, 6, 21, 40, 0, tzinfo=datetime.UTC)
    runs = []
    for status in range(1, 9):  # Running, Completed, ... each in its colour
        info = WorkflowExecutionInfo(
            execution=WorkflowExecution(workflow_id=f"order-fulfillment-2026-12-06-{status:08d}"),
            type=WorkflowType(name="OrderFulfillmentWorkflow" if status % 2 else "Ship"),
            status=status,  # type: ignore[arg-type]
        )
        info.start_time.FromDatetime(now - datetime.timedelta(seconds=7**status))
        runs.append(info)
    tables = [workflow_list_table(runs, time_format, now) for time_format in TIME_FORMATS]
    return Rows(tables[0].columns, rows=[row for table in tables for row in table.rows])


def _history() -> Rows:
    table = Rows([Column("ID", 5, right=True), Column("Time", 20), Column("Type", 42), Column("Details", fold=True)])
    details = "Input:[{'order': 'a very long order name', 'items': 12}], TaskQueue:{Name:orders, Kind:Normal}"
    table.add_row("1", "2026-12-06T21:39:36Z", "WorkflowExecutionStarted", details)
    table.add_row("2", "2026-12-06T21:39:36Z", "WorkflowTaskScheduled", "TaskQueue:{Name:orders}")
    return table


def _keys_and_values() -> Rows:
    table = Rows([Column(style="bold"), Column(fold=True)], show_header=False)
    table.add_row("WorkflowId", "order-1")
    table.add_row("Result", "[" + ", ".join(f'"item number {n}"' for n in range(30)) + "]")
    table.add_row("Memo", "a-single-word-longer-than-any-terminal-" * 6)
    return table


def test_the_commands_tables_are_drawn_without_rich_at_any_width() -> None:
    for table in (_workflow_list(), _history(), _keys_and_values()):
        for width in range(20, 201):
            for colors, no_color in ((EIGHT_BIT, False), (STANDARD, True)):
                lines = terminal_lines(table, width, colors, no_color)
                assert lines is not None, (width, described(table))
                assert lines == rich_lines(table, width, colors, no_color), (width, described(table))


def test_a_long_value_folds_onto_lines_of_the_terminals_width() -> None:
    table = Rows([Column(style="bold"), Column(fold=True)], show_header=False)
    table.add_row("Result", "one two three four five six")
    # The value's column keeps 13 of the 20 cells: a space, then 12 for the words.
    bold_key, bold_blank = "\x1b[1mResult\x1b[0m\x1b[1m \x1b[0m", "\x1b[1m       \x1b[0m"
    assert terminal_lines(table, 20, STANDARD, True) == [
        f"{bold_key} one two",
        f"{bold_blank} three four",
        f"{bold_blank} five six",
    ]


def test_a_character_rich_measures_itself_leaves_the_table_to_rich() -> None:
    for code in range(0x3000):
        character = chr(code)
        table = Rows([Column("Name"), Column("Value")])
        table.add_row("a", f"x{character}y")
        drawn = terminal_lines(table, 80, STANDARD, False)
        assert (drawn is not None) == one_cell_per_char(character), hex(code)
