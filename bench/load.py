"""Workloads, replay speed, idle memory and the command line: the benchmark's first sections.

Each function runs Tempo and the real dev server side by side in this one run and adds its
figures to the report (``bench.harness.Report``).
"""

from __future__ import annotations

import os
import statistics
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import bench_cli
from bench.children import WARM_UP, record_history, run_child
from bench.harness import (
    Figure,
    Report,
    ServerProcess,
    at_least,
    at_most,
    make_server,
    pid_of,
    rss_mib,
    run_async,
    running,
)


@dataclass
class Sizes:
    """How much each section does; ``python -m bench --scale`` sets them (see ``sizes_for``)."""

    scale: float
    workflows: int
    concurrency: int
    latency_runs: int
    activities: int
    queries: int
    replay_events: int
    replays: int
    cli_runs: int
    cli_starts: int
    store_levels: list[int]
    history_events: list[int]
    pollers: list[int]
    schedules: list[int]
    idle_seconds: float
    repeats: int
    # Throughput runs per SDK and server, alternating the SDKs; the table shows their medians.
    rounds: int


def sizes_for(scale: float, idle_seconds: float) -> Sizes:
    """Everything at ``scale``: 1 is the issue's full run (1,000/10,000/100,000 workflows).

    The cheap sections (pollers, schedules, the 500-activity workflow, queries, CLI runs) are full
    from ``--scale 0.1`` up and shrink below it, so that a test can run everything quickly.
    """

    def of(full: int, factor: float, least: int = 1) -> int:
        return max(least, round(full * factor))

    light = min(1.0, 10 * scale)
    return Sizes(
        scale=scale,
        workflows=of(2000, scale, 5),
        concurrency=20,
        latency_runs=of(200, scale, 3),
        activities=of(500, light, 3),
        queries=of(500, light, 3),
        replay_events=of(10_000, light, 50),
        replays=3 if light == 1 else 1,
        cli_runs=of(10, light),
        cli_starts=of(5, light),
        store_levels=_distinct(of(n, scale) for n in (1_000, 10_000, 100_000)),
        history_events=_distinct(of(n, scale, 20) for n in (1_000, 10_000, 50_000)),
        pollers=_distinct(of(n, light) for n in (10, 100, 1_000)),
        schedules=_distinct(of(n, light) for n in (100, 1_000)),
        idle_seconds=idle_seconds,
        repeats=of(20, light, 3),
        rounds=3 if light == 1 else 1,
    )


def _distinct(sizes: Iterable[int]) -> list[int]:
    return sorted(set(sizes))


# --- workloads ------------------------------------------------------------------------------


def _workload(report: Report, key: str, server: Any, sdk: str, sizes: Sizes, full: bool) -> dict[str, Any]:
    spec = {
        "kind": f"workload-{sdk}",
        "address": server.address,
        "server_pid": pid_of(server),
        "workflows": sizes.workflows,
        "concurrency": sizes.concurrency,
        "latency_runs": sizes.latency_runs if full else 0,
        "activities": sizes.activities if full else 0,
        "queries": sizes.queries if full else 0,
    }
    return _measured(report, key, spec, timeout=1800)


def _bare_queries(report: Report, key: str, server: Any, sizes: Sizes) -> dict[str, Any]:
    spec = {"kind": "query-bare", "address": server.address, "server_pid": pid_of(server), "queries": sizes.queries}
    return _measured(report, key, spec, timeout=600)


def _measured(report: Report, key: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one child measurement, kept under ``key`` in the report's raw figures; an error or
    failed workflows are the report's failures."""
    print(f"  {key} ...", flush=True)
    result = run_child(spec, timeout=timeout)
    if "error" in result:
        report.failed(f"{key}: {result['error']}")
    elif result.get("failures"):
        report.failed(f"{key}: {result['failures']} workflows failed, e.g. {result['first_failures']}")
    report.raw[key] = result
    return result


def median_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One workload's result from its rounds: the first round's latency, activity and query
    figures (only it measures them), each throughput figure's median over the rounds that
    measured it, and the failures of all rounds."""
    merged = dict(rounds[0])
    measured = [r["throughput"] for r in rounds if isinstance(r.get("throughput"), dict)]
    if measured:
        merged["throughput"] = {
            name: statistics.median(t[name] for t in measured)
            for name in measured[0]
            if all(isinstance(t.get(name), int | float) for t in measured)
        }
        merged["throughput"]["rounds"] = len(measured)
        # The server's CPU over the load generator's, round by round: the machine's speed,
        # which moves by tens of percent within minutes, moves both alike.
        per_load = [
            t["server_cpu_ms_per_workflow"] / t["load_cpu_ms_per_workflow"]
            for t in measured
            if isinstance(t.get("server_cpu_ms_per_workflow"), int | float)
            and isinstance(t.get("load_cpu_ms_per_workflow"), int | float)
            and t["load_cpu_ms_per_workflow"] > 0
        ]
        if per_load:
            merged["throughput"]["server_cpu_per_load_cpu"] = statistics.median(per_load)
    merged["failures"] = sum(int(r.get("failures", 1)) for r in rounds)
    return merged


def workloads(report: Report, sizes: Sizes, tmp: Path) -> None:
    """Throughput, latency, server CPU per workflow, the 500-activity workflow and queries.

    Each kind of server runs ``sizes.rounds`` times, each time started afresh, a round of
    Tempo next to a round of the real server (Tempo first, then the real one first, ...), and
    the two SDKs take turns going first on it (official then ours, ours then official, ...):
    this machine's speed drifts by tens of percent within minutes, and a single run of each,
    or all of one server's rounds before all of the other's, compared one moment with another.
    A fresh server each round keeps the rounds alike: the real server's CPU per workflow
    grows as its store fills (18 ms on a fresh one, 27-31 ms two rounds later, in one run),
    which a round on the same server would fold in."""
    print(
        f"workloads: {sizes.workflows} seed-scenario workflows, {sizes.concurrency} at a time, "
        f"{sizes.rounds} round(s) per SDK and server",
        flush=True,
    )
    results: dict[tuple[str, str, str], dict[str, Any]] = {}
    for mode in ("memory", "db"):
        rounds: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for number in range(sizes.rounds):
            # Each round of one server next to a round of the other, taking turns to go first:
            # a ratio compares minutes of one hour, not the start of the section with its end.
            kinds = ("tempo", "real") if number % 2 == 0 else ("real", "tempo")
            for kind in kinds:
                db = tmp / f"load-{kind}-{number + 1}.db" if mode == "db" else None
                with running(make_server(kind, db)) as server:
                    order = ("official", "ours") if number % 2 == 0 else ("ours", "official")
                    for sdk in order:
                        key = f"workload/{mode}/{kind}/{sdk}" + (f"/round-{number + 1}" if number else "")
                        full = mode == "memory" and number == 0
                        rounds.setdefault((kind, sdk), []).append(_workload(report, key, server, sdk, sizes, full))
                    if mode == "memory" and number == 0 and sizes.queries:
                        results[(mode, kind, "bare")] = _bare_queries(report, f"queries/{kind}/bare", server, sizes)
        for (kind, sdk), measured in rounds.items():
            results[(mode, kind, sdk)] = median_rounds(measured)

    def value(mode: str, kind: str, sdk: str, *path: str) -> float | None:
        found: Any = results.get((mode, kind, sdk), {})
        for step in path:
            if not isinstance(found, dict) or step not in found:
                return None
            found = found[step]
        return float(found) if isinstance(found, int | float) else None

    def failures(mode: str, sdk: str) -> int:
        return sum(int(results.get((mode, kind, sdk), {}).get("failures", 1)) for kind in ("tempo", "real"))

    section = "workloads"
    for mode, label, times in (("memory", "in memory", 4.0), ("db", "with --db-filename", 6.0)):
        rate = ("throughput", "rate")
        figure = report.add(
            Figure(
                section,
                f"throughput {label}, official SDK",
                "workflows/s",
                value(mode, "tempo", "official", *rate),
                value(mode, "real", "official", *rate),
                f"at least {times:g}x",
                failures=failures(mode, "official"),
            )
        )
        figure.met = at_least(figure.ratio, times)
        figure.note = throughput_ceiling(
            os.cpu_count() or 1,
            value(mode, "tempo", "official", "throughput", "server_cpu_ms_per_workflow"),
            value(mode, "tempo", "official", "throughput", "load_cpu_ms_per_workflow"),
            figure.real,
        )
        ours = report.add(
            Figure(
                section,
                f"throughput {label}, our sdk",
                "workflows/s",
                value(mode, "tempo", "ours", *rate),
                value(mode, "real", "ours", *rate),
                "our sdk at least the official SDK's on each server",
                failures=failures(mode, "ours"),
            )
        )
        if None not in (ours.tempo, ours.real, figure.tempo, figure.real):
            ours.met = bool(ours.tempo >= figure.tempo and ours.real >= figure.real)  # type: ignore[operator]
        for sdk, who in (("official", "official SDK"), ("ours", "our sdk")):
            cpu = report.add(
                Figure(
                    section,
                    f"server CPU per workflow {label}, {who}",
                    "ms",
                    value(mode, "tempo", sdk, "throughput", "server_cpu_ms_per_workflow"),
                    value(mode, "real", sdk, "throughput", "server_cpu_ms_per_workflow"),
                    "at most 0.1x" if (mode, sdk) == ("memory", "official") else "",
                )
            )
            if cpu.target:
                cpu.met = at_most(cpu.ratio, 0.1)
            cpu.note = per_load_note(
                value(mode, "tempo", sdk, "throughput", "server_cpu_per_load_cpu"),
                value(mode, "real", sdk, "throughput", "server_cpu_per_load_cpu"),
            )
            # What the load itself costs: with 2 cores, a load that needs more than a core per
            # workflow/s the server can give bounds the throughput, whatever the server does.
            report.add(
                Figure(
                    section,
                    f"load generator CPU per workflow {label}, {who} (client and worker, one process)",
                    "ms",
                    value(mode, "tempo", sdk, "throughput", "load_cpu_ms_per_workflow"),
                    value(mode, "real", sdk, "throughput", "load_cpu_ms_per_workflow"),
                )
            )
    for sdk, who in (("official", "official SDK"), ("ours", "our sdk")):
        report.add(
            Figure(
                section,
                f"p50 latency, one-activity workflow, {who}",
                "ms",
                _ms(value("memory", "tempo", sdk, "latency_p50_s")),
                _ms(value("memory", "real", sdk, "latency_p50_s")),
            )
        )
        report.add(
            Figure(
                section,
                f"a {sizes.activities}-activity workflow, {who}",
                "s",
                value("memory", "tempo", sdk, "activities_s"),
                value("memory", "real", sdk, "activities_s"),
            )
        )
        query = report.add(
            Figure(
                section,
                f"query p50, {who}",
                "ms",
                _ms(value("memory", "tempo", sdk, "query_p50_s")),
                _ms(value("memory", "real", sdk, "query_p50_s")),
                "at most 0.4x" if sdk == "official" else "",
            )
        )
        if query.target:
            query.met = at_most(query.ratio, 0.4)
            query.note = query_floor(query.tempo, value("memory", "tempo", sdk, "query_server_cpu_ms"), query.real)
        report.add(
            Figure(
                section,
                f"server CPU per query, {who}",
                "ms",
                value("memory", "tempo", sdk, "query_server_cpu_ms"),
                value("memory", "real", sdk, "query_server_cpu_ms"),
            )
        )
    report.add(
        Figure(
            section,
            "query p50, no SDK (a bare gRPC client and worker: the servers' own part)",
            "ms",
            _ms(value("memory", "tempo", "bare", "query_p50_s")),
            _ms(value("memory", "real", "bare", "query_p50_s")),
        )
    )
    report.raw["workload_note"] = (
        f"{WARM_UP} warm-up workflows before each throughput run; throughput figures are the medians "
        f"of {sizes.rounds} round(s) per SDK and server, Tempo's and the real server's interleaved"
    )


def per_load_note(tempo: float | None, real: float | None) -> str:
    """The server's CPU per workflow measured in the load generator's (the same rounds' own
    CPU per workflow, a yardstick the machine's speed moves as it moves the server's)."""
    if tempo is None or not real:
        return ""
    return f"over the load generator's own CPU in the same rounds: {tempo:.2f} against {real:.2f}, {tempo / real:.2f}x"


def throughput_ceiling(cores: int, server_ms: float | None, load_ms: float | None, real_rate: float | None) -> str:
    """The most this machine allows the throughput ratio, as a note for its row: Tempo and the
    load generator share the ``cores``, so Tempo's workflows/s cannot pass ``cores`` over their
    CPU per workflow together, whatever the real server does; nor, were Tempo to use no CPU at
    all, ``cores`` over the load generator's alone."""
    if not (server_ms and load_ms and real_rate):
        return ""
    most = 1000 * cores / (server_ms + load_ms) / real_rate
    free = 1000 * cores / load_ms / real_rate
    return (
        f"{cores} cores allow at most {most:.2f}x with this load generator ({free:.2f}x were the server to use no CPU)"
    )


def query_floor(tempo_ms: float | None, server_cpu_ms: float | None, real_ms: float | None) -> str:
    """The best the query ratio can be with this SDK, as a note for its row: a query is one
    round trip after another (client, server, worker, server, client), so were Tempo's server
    to use no CPU, its p50 would still be the rest; the server's CPU per query, measured over
    the same queries, is the most it could take off."""
    if not (tempo_ms and server_cpu_ms is not None and real_ms):
        return ""
    best = max(0.0, tempo_ms - server_cpu_ms) / real_ms
    return f"Tempo's server used {server_cpu_ms:.2f} ms of CPU per query: were it to use none, {best:.2f}x at best"


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else 1000 * seconds


# --- replay speed ---------------------------------------------------------------------------


def replay_speed(report: Report, sizes: Sizes, tmp: Path) -> None:
    """A Churn history recorded on Tempo, replayed by our sdk and by the official SDK."""
    history = tmp / "churn.json"
    print(f"replay: recording a history of about {sizes.replay_events} events on Tempo ...", flush=True)
    with running(make_server("tempo")) as server:
        try:
            info = run_async(record_history(server.address, sizes.replay_events, history, "ours"))
        except Exception as err:
            report.failed(f"recording the replayed history: {type(err).__name__}: {err}")
            return
    report.raw["replay/history"] = info
    rates: dict[str, float | None] = {}
    for kind in ("replay-ours", "replay-official", "replay-official-unsandboxed"):
        result = run_child({"kind": kind, "history": str(history), "repeats": sizes.replays})
        report.raw[f"replay/{kind}"] = result
        if "error" in result:
            report.failed(f"{kind}: {result['error']}")
            rates[kind] = None
        else:
            rates[kind] = info["events"] / min(result["total_s"])
    figure = report.add(
        Figure(
            "replay",
            f"replay of a {info['events']}-event history (parse included): our sdk vs official SDK",
            "events/s",
            rates["replay-ours"],
            rates["replay-official"],
            "at least 1x (our sdk as fast)",
            note=f"official without its sandbox: {_fmt(rates['replay-official-unsandboxed'])} events/s",
            failures=sum(rate is None for rate in rates.values()),
        )
    )
    figure.met = at_least(figure.ratio, 1.0)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


# --- idle memory ----------------------------------------------------------------------------


def idle_memory(report: Report, sizes: Sizes) -> None:
    """RSS of each server (its processes together) a few seconds after it answered, idle; with
    the web UI, also after its page was loaded once (Tempo starts the UI's process then)."""
    print("idle memory ...", flush=True)
    figures: dict[tuple[str, str], float] = {}
    for web_ui in (False, True):
        for kind in ("tempo", "real"):
            with running(make_server(kind, web_ui=web_ui)) as server:
                time.sleep(min(5.0, sizes.idle_seconds))
                figures[(kind, "+ui" if web_ui else "")] = rss_mib(pid_of(server))
                if web_ui:
                    _load_ui_page(server)
                    time.sleep(min(5.0, sizes.idle_seconds))
                    figures[(kind, "+ui opened")] = rss_mib(pid_of(server))
    report.raw["idle_rss_mib"] = {f"{kind}{' ' if ui else ''}{ui}": v for (kind, ui), v in figures.items()}
    report.add(Figure("memory", "idle RSS, headless", "MiB", figures[("tempo", "")], figures[("real", "")]))
    with_ui = report.add(
        Figure(
            "memory",
            "idle RSS with the web UI",
            "MiB",
            figures[("tempo", "+ui")],
            figures[("real", "+ui")],
            "at most 0.6x",
            note="no browser opened it yet: Tempo starts the UI's process with the first visitor",
        )
    )
    with_ui.met = at_most(with_ui.ratio, 0.6)
    report.add(
        Figure(
            "memory",
            "idle RSS with the web UI, its page loaded once",
            "MiB",
            figures[("tempo", "+ui opened")],
            figures[("real", "+ui opened")],
        )
    )


def _load_ui_page(server: ServerProcess) -> None:
    """GET the web UI's page (retrying while it starts); its port follows ``--ui-port``."""
    port = int(server.argv[server.argv.index("--ui-port") + 1])
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
                page.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# --- the command line -----------------------------------------------------------------------


def command_line(report: Report, sizes: Sizes) -> None:
    """bench.bench_cli's figures: each `tempo` command next to `temporal`, and readiness."""
    print(f"command line: {sizes.cli_runs} runs per command, {sizes.cli_starts} starts per server ...", flush=True)
    tempo = [bench_cli.TEMPO]
    commands: list[bench_cli.CommandFigure] = []
    for kind in ("tempo", "real"):
        with running(make_server(kind)) as server:
            try:
                with bench_cli.worker(server.address):
                    commands += bench_cli.time_commands(kind, server.address, sizes.cli_runs, tempo)
            except RuntimeError as err:
                report.failed(f"command line on {kind}: {err}")
    for c in commands:
        if c.server != "tempo":
            continue
        help_target = c.command == "--help"
        figure = report.add(
            Figure(
                "command line",
                f"`{c.command}` (tempo vs temporal, against Tempo)",
                "ms",
                1000 * c.tempo_s,
                1000 * c.temporal_s,
                "under 100 ms" if help_target else "at most 2x",
                note=f"CPU {1000 * c.tempo_cpu_s:.0f} vs {1000 * c.temporal_cpu_s:.0f} ms",
            )
        )
        figure.met = (1000 * c.tempo_s < 100) if help_target else at_most(figure.ratio, 2.0)
    try:
        ready = bench_cli.readiness(sizes.cli_starts, tempo)
    except RuntimeError as err:
        report.failed(f"readiness: {err}")
        ready = []
    by = {(r.server, r.web_ui): r.seconds for r in ready}
    for web_ui in (False, True):
        if ("tempo", web_ui) in by:
            figure = report.add(
                Figure(
                    "command line",
                    f"start-dev to first GetSystemInfo, {'with the web UI' if web_ui else 'headless'}",
                    "ms",
                    1000 * by[("tempo", web_ui)],
                    1000 * by[("temporal", web_ui)],
                    "at most 1x",
                )
            )
            figure.met = at_most(figure.ratio, 1.0)
    if ("tempo-test-server", False) in by and ("temporal", False) in by:
        figure = report.add(
            Figure(
                "command line",
                "tempo-test-server to first GetSystemInfo (temporal: start-dev headless)",
                "ms",
                1000 * by[("tempo-test-server", False)],
                1000 * by[("temporal", False)],
                "at most 1x",
            )
        )
        figure.met = at_most(figure.ratio, 1.0)
    try:
        harness = bench_cli.start_local_figures(sizes.cli_starts, tempo)
    except Exception as err:  # the official SDK's harness: whatever it raises is a failure here
        report.failed(f"start_local: {err}")
        harness = {}
    if "tempo" in harness and "temporal" in harness:
        figure = report.add(
            Figure(
                "command line",
                "official SDK's WorkflowEnvironment.start_local, to a connected client",
                "ms",
                1000 * harness["tempo"],
                1000 * harness["temporal"],
                "at most 1x",
                note="the harness checks about every 100 ms",
            )
        )
        figure.met = at_most(figure.ratio, 1.0)
    report.raw["command_line"] = {
        "commands": [{**vars(c), "ratio": c.ratio} for c in commands],
        "readiness": [vars(r) for r in ready],
        "start_local": harness,
    }
