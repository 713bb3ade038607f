"""Benchmarks: python bench/run.py [--sizes 1000,10000,100000] [--rounds 7] [--skip-full-sheet]

Measures the cmassoc that is installed, through its command line (and, for B and C1, the
library functions in the one ADAPTER block below; 3 and 6 build the demo site and the web
app as they always have), against yardsticks timed in the same
run, round by round in turn, so each ratio compares one state of the machine. Prints the
targets as a table and writes bench/RESULTS.md. Nothing here is a test: the targets are
compared and reported, never asserted.

Targets (limits in TARGETS below):
  A  `cmassoc validate` of a 5,000-row sheet with both reports, process start to exit,
     against bench/by_hand.py (pandas reads it with calamine, writes it with XlsxWriter);
  B  the Excel report writer on a validated wave of the largest size, against XlsxWriter
     alone writing the same cells (in one child process);
  C1 read + validate of the largest size in this process, against python-calamine's parse;
  C2 `cmassoc validate` of the largest size with both reports, against calamine's parse;
  D  `cmassoc validate` of a full sheet (1,048,575 pairs) with both reports: its time, and
     the peak RSS of it and of its children against python-calamine iterating the sheet.
Also measured, with their own targets: 2. the pipeline on the demo site; 3. the remote
path (pywinrm against the loopback WinRM endpoint, and the AdminService); 6. the web pages.

  python bench/run.py                          everything (D takes a few minutes)
  python bench/run.py --sizes 1000,5000 --skip-full-sheet   a quick trial
  python bench/run.py --only A,B               some sections (A B C 2 3 D 6)
  python bench/run.py --full-sheet-run         also `cmassoc run` of the full sheet on a demo site
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # bench and tests; `importer` is whatever is installed

from bench import wavegen  # noqa: E402
from bench.measure import PEAK, READER, own_peak_mb  # noqa: E402

TARGETS = {
    "A": 1.5,  # x bench/by_hand.py, whole processes
    "B": 1.3,  # x XlsxWriter alone, the same cells
    "C1": 2.0,  # x calamine's parse
    "C2": 25.0,  # x calamine's parse
    "D-time": 600.0,  # seconds
    "D-peak": 1.5,  # x calamine's own peak RSS while iterating the sheet
}
BY_HAND_ROWS = 5_000  # the top of a wave
TARGET_ROWS = 100_000  # the size B and C are stated for
FULL_SHEET = 1_048_575  # pairs under one header row: every row of an .xlsx
LATENCY = 0.05
REMOTE_PAIRS = 5000
USER, PASSWORD = "CONTOSO\\bench", "bench-only-password"
MEASURE = Path(__file__).resolve().parent / "measure.py"


# == ADAPTER: the only code of targets A-D that calls the core's library functions ========
# The rest of A-D goes through the command line. If the core's entry points move, change
# these three functions and nothing else (sections 3 and 6 import the demo site, the test
# endpoints and the web app directly, as before).


def validated(sheet: Path) -> Any:
    """What `cmassoc validate SHEET` reports on, default options: importer.read.read_wave,
    then importer.pipeline.validate_wave (given RunOptions() if it takes a second argument)."""
    import inspect

    from importer import pipeline
    from importer.read.wave import read_wave

    wave = read_wave(sheet)
    if len(inspect.signature(pipeline.validate_wave).parameters) > 1:
        from importer.results import RunOptions

        return pipeline.validate_wave(wave, RunOptions())
    return pipeline.validate_wave(wave)


def check_valid(result: Any, size: int) -> None:
    """Every row of the generated wave read and found valid."""
    assert len(result.rows) == size, (len(result.rows), size)
    assert int(result.exit_status) == 0, result.exit_status


def write_report(result: Any, path: Path) -> None:
    """The Excel report, as the command writes it."""
    from importer.report.excel_report import write_xlsx

    write_xlsx(result, path)


# == end of the ADAPTER ===================================================================


@dataclass
class Target:
    key: str
    what: str
    measured: str = "not measured"
    limit: str = ""
    ok: bool | None = None  # None: not measured
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "not measured"}[self.ok] + (
            f" ({self.note})" if self.note else ""
        )


def cmassoc(*args: str) -> list[str]:
    """The installed command line: its console script, run by this interpreter."""
    script = shutil.which("cmassoc", path=str(Path(sys.executable).parent)) or shutil.which("cmassoc")
    return [script, *args] if script else ["-m", "importer", *args]


def validate_command(sheet: Path, reports: Path) -> list[str]:
    """`cmassoc validate SHEET --report R.xlsx --json R.json`."""
    return cmassoc(
        "validate",
        str(sheet),
        "--report",
        str(reports.with_suffix(".xlsx")),
        "--json",
        str(reports.with_suffix(".json")),
    )


def child(
    argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> tuple[float, float, str]:
    """Run `script ARGS`, `-m module ARGS` or `-c CODE ARGS` in a fresh interpreter through
    bench/measure.py: its wall time (s), peak RSS (MB, its own VmHWM) and output. Past
    `timeout` the child and its own children are killed and TimeoutExpired raised."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(MEASURE), *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a timeout ends its children too
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group this call started, no other
        proc.communicate()
        raise
    wall = time.perf_counter() - started
    output = out.decode("utf-8", "replace")
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"{argv[:4]} failed ({proc.returncode}): {output[-2000:]}")
    return wall, _marked(output, PEAK), output


def _marked(output: str, marker: str) -> float:
    """The MB figure measure.py printed after `marker`."""
    found = [line for line in output.splitlines() if line.startswith(marker)]
    return int(found[-1][len(marker) :]) / 1024 if found else float("nan")


def in_turn(rounds: int, **timed: Callable[[], float]) -> dict[str, list[float]]:
    """Each of `timed` once per round, in turn, after one warm-up round not counted."""
    times: dict[str, list[float]] = {name: [] for name in timed}
    for number in range(rounds + 1):
        for name, run in timed.items():
            took = run()
            if number:
                times[name].append(took)
    return times


def ratio(times: dict[str, list[float]], ours: str, theirs: str) -> float:
    """The median of the rounds' ratios: each compares one state of the machine."""
    return statistics.median(a / b for a, b in zip(times[ours], times[theirs], strict=True))


def med(values: list[float]) -> float:
    return statistics.median(values)


def stopwatch(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        total = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
        memory = f"{total:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = []
    for name in ("pandas", "pyarrow", "numpy", "python-calamine", "xlsxwriter", "openpyxl", "pywinrm"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    spec = importlib.util.find_spec("importer")
    where = str(Path(spec.origin).parent) if spec and spec.origin else "not found"
    try:
        core = metadata.version("cm-association-importer")
    except metadata.PackageNotFoundError:
        core = "not installed"
    head = subprocess.run(
        ["git", "-C", where, "log", "-1", "--format=%h"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": memory,
        "python": platform.python_version(),
        "packages": ", ".join(versions),
        "cmassoc measured": f"{core} at {where}" + (f" (commit {head})" if head else ""),
        "load": f"{os.getloadavg()[0]:.2f}",
    }


def fresh_site(inventory: Path, site: Path) -> Path:
    """A new demo site (any old one and its WAL files removed) from `inventory`."""
    for stale in site.parent.glob(f"{site.name}*"):
        stale.unlink()
    child(cmassoc("demo-site", "create", str(site), "--inventory", str(inventory)))
    return site


def sheets(size: int, work: Path) -> tuple[Path, Path]:
    """The generated wave of `size` pairs, as .xlsx and .csv (written once)."""
    xlsx, csv = work / f"wave-{size}.xlsx", work / f"wave-{size}.csv"
    if not xlsx.exists():
        rows = wavegen.pair_rows(size)
        wavegen.write_xlsx(xlsx, rows)
        wavegen.write_csv(csv, rows)
    return xlsx, csv


def calamine_parse(path: Path) -> list[list[object]]:
    """What python-calamine itself takes to turn the file into Python rows: the floor."""
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)


def at_size(size: int) -> str:
    """A verdict's caveat when a target was measured at another size than it is stated for."""
    return "" if size == TARGET_ROWS else f"at {size:,} rows; the target is stated for {TARGET_ROWS:,}"


# -- 1. reading and validating (C) ----------------------------------------------------


def bench_read(sizes: list[int], work: Path, rounds: int) -> list[dict[str, Any]]:
    """Read + validate in this process (xlsx and csv), each round after calamine's parse."""
    results = []
    for size in sizes:
        xlsx, csv = sheets(size, work)

        def ours(path: Path, size: int = size) -> float:
            started = time.perf_counter()
            result = validated(path)
            took = time.perf_counter() - started
            check_valid(result, size)
            return took

        times = in_turn(
            rounds,
            calamine=lambda xlsx=xlsx: stopwatch(lambda: calamine_parse(xlsx)),
            xlsx=lambda xlsx=xlsx: ours(xlsx),
            csv=lambda csv=csv: ours(csv),
        )
        entry = {
            "size": size,
            **{k: med(v) for k, v in times.items()},
            "ratio": ratio(times, "xlsx", "calamine"),
        }
        results.append(entry)
        print(
            f"  read+validate {size:>7}: xlsx {entry['xlsx']:.3f} s = {entry['ratio']:.2f}x calamine's "
            f"{entry['calamine']:.3f} s; csv {entry['csv']:.3f} s",
            flush=True,
        )
    return results


def bench_validate_command(size: int, work: Path, rounds: int) -> dict[str, Any]:
    """`cmassoc validate` with both reports, process start to exit, each round after a
    calamine parse of the same file."""
    sheet, _ = sheets(size, work)
    peaks: list[float] = []

    def command() -> float:
        wall, peak, _ = child(validate_command(sheet, work / "validate"))
        peaks.append(peak)
        return wall

    times = in_turn(rounds, calamine=lambda: stopwatch(lambda: calamine_parse(sheet)), command=command)
    entry = {
        "size": size,
        "command": med(times["command"]),
        "calamine": med(times["calamine"]),
        "ratio": ratio(times, "command", "calamine"),
        "rss_mb": max(peaks),
    }
    print(
        f"  validate command {size}: {entry['command']:.2f} s = {entry['ratio']:.1f}x calamine's "
        f"{entry['calamine']:.2f} s",
        flush=True,
    )
    return entry


# -- 7. the command against a script written by hand (A) -------------------------------


def bench_by_hand(work: Path, rounds: int) -> dict[str, Any]:
    """`cmassoc validate` of a 5,000-row sheet with both reports against bench/by_hand.py,
    both whole processes, in turn."""
    sheet, _ = sheets(BY_HAND_ROWS, work)
    script = Path(__file__).resolve().parent / "by_hand.py"
    peaks: dict[str, list[float]] = {"ours": [], "by_hand": []}

    def run(name: str, argv: list[str]) -> float:
        wall, peak, _ = child(argv)
        peaks[name].append(peak)
        return wall

    times = in_turn(
        rounds,
        ours=lambda: run("ours", validate_command(sheet, work / "by-hand-ours")),
        by_hand=lambda: run("by_hand", [str(script), str(sheet), str(work / "by-hand.xlsx")]),
    )
    assert (work / "by-hand.xlsx").exists() and (work / "by-hand-ours.json").exists()
    entry = {
        "size": BY_HAND_ROWS,
        "ours": med(times["ours"]),
        "by_hand": med(times["by_hand"]),
        "ratio": ratio(times, "ours", "by_hand"),
        "ours_mb": max(peaks["ours"]),
        "by_hand_mb": max(peaks["by_hand"]),
    }
    print(
        f"  by hand {BY_HAND_ROWS}: ours {entry['ours']:.2f} s, by hand {entry['by_hand']:.2f} s, "
        f"{entry['ratio']:.2f}x",
        flush=True,
    )
    return entry


# -- 2. the pipeline ---------------------------------------------------------------


def bench_pipeline(waves: list[tuple[int, Path]], work: Path) -> list[dict[str, Any]]:
    """`cmassoc run` of each (size, sheet) on a demo site holding its computers."""
    results = []
    for size, sheet in waves:
        inventory, site = work / f"inventory-{size}.csv", work / f"site-{size}.db"
        wavegen.write_inventory(inventory, size)
        fresh_site(inventory, site)
        journal = work / f"journal-{size}.db"
        journal.unlink(missing_ok=True)
        wall, rss, output = child(
            cmassoc(
                "--debug",
                "run",
                str(sheet),
                "--demo",
                str(site),
                "--report",
                str(work / f"report-{size}.xlsx"),
                "--json",
                str(work / f"report-{size}.json"),
            ),
            env={"CMASSOC_JOURNAL": str(journal)},
        )
        created = json.loads((work / f"report-{size}.json").read_text())["summary"]["counts"].get("created")
        assert created == size, output[-500:]
        stages = {line.split()[1]: float(line.split()[3]) for line in output.splitlines() if " took " in line}
        results.append({"size": size, "wall": wall, "rss_mb": rss, "stages": stages})
        print(f"  pipeline {size:>7}: {wall:.1f} s, peak RSS {rss:.0f} MB  {stages}", flush=True)
    return results


# -- 3. the remote path ------------------------------------------------------------


def bench_remote(work: Path, naive_pairs: int) -> dict[str, Any]:
    from importer.site.demo.provider import DemoSite
    from tests.support.wsman_endpoint import Endpoint

    inventory, site = work / "inventory-remote.csv", work / "site-remote.db"
    wavegen.write_inventory(inventory, REMOTE_PAIRS)
    fresh_site(inventory, site)
    sheet = work / "wave-remote.csv"
    wavegen.write_csv(sheet, wavegen.pair_rows(REMOTE_PAIRS))
    endpoint = Endpoint(lambda: DemoSite(site), USER, PASSWORD, work / "certs", latency=LATENCY).start()
    env = {
        "CMASSOC_USERNAME": USER,
        "CMASSOC_PASSWORD": PASSWORD,
        "CMASSOC_JOURNAL": str(work / "j-remote.db"),
    }
    try:
        wall, _, output = child(
            cmassoc(
                "run",
                str(sheet),
                "--server",
                endpoint.address,
                "--site-code",
                "DEM",
                "--ca-bundle",
                endpoint.ca_bundle,
                "--batch-size",
                "200",
                "--report",
                str(work / "report-remote.xlsx"),
            ),
            env=env,
        )
        assert "5000 created" in output, output[-800:]
        ours = {
            "pairs": REMOTE_PAIRS,
            "requests": sum(endpoint.requests.values()),
            "wall": wall,
            "by_action": dict(endpoint.requests),
        }
        print(
            f"  batched, {REMOTE_PAIRS} pairs: {ours['requests']} requests, {wall:.1f} s {ours['by_action']}",
            flush=True,
        )
        endpoint.requests.clear()
        with sqlite3.connect(site) as db:  # the same pairs again, on an empty site
            db.execute("DELETE FROM associations")
            db.execute("DELETE FROM association_users")
        wall, _, output = child(
            [
                str(Path(__file__).resolve()),
                "--naive",
                str(naive_pairs),
                endpoint.address,
                endpoint.ca_bundle,
            ]
        )
        naive = {
            "pairs": naive_pairs,
            "requests": sum(endpoint.requests.values()),
            "wall": wall,
            "by_action": dict(endpoint.requests),
        }
        print(
            f"  naive run_ps per pair, {naive_pairs} pairs: {naive['requests']} requests, {wall:.1f} s",
            flush=True,
        )
    finally:
        endpoint.stop()
    scale = REMOTE_PAIRS / naive_pairs
    naive["requests_5000"] = naive["requests"] * scale
    naive["wall_5000"] = naive["wall"] * scale
    return {"ours": ours, "naive": naive, "latency": LATENCY, "adminservice": bench_adminservice(work)}


def bench_adminservice(work: Path) -> dict[str, Any]:
    """The same wave, on a fresh site, through the AdminService (the loopback OData endpoint,
    the same 50 ms added to every request): one request per call, several in flight."""
    from importer.site.demo.provider import DemoSite
    from tests.support.odata_endpoint import ODataEndpoint

    inventory, site = work / "inventory-remote.csv", work / "site-as.db"
    fresh_site(inventory, site)
    service = ODataEndpoint(lambda: DemoSite(site), USER, PASSWORD, work / "certs", latency=LATENCY).start()
    env = {"CMASSOC_USERNAME": USER, "CMASSOC_PASSWORD": PASSWORD, "CMASSOC_JOURNAL": str(work / "j-as.db")}
    try:
        wall, _, output = child(
            cmassoc(
                "run",
                str(work / "wave-remote.csv"),
                "--server",
                service.address,
                "--via",
                "adminservice",
                "--site-code",
                "DEM",
                "--ca-bundle",
                service.ca_bundle,
                "--report",
                str(work / "report-as.xlsx"),
            ),
            env=env,
        )
        assert f"{REMOTE_PAIRS} created" in output, output[-800:]
        result = {
            "pairs": REMOTE_PAIRS,
            "requests": sum(service.requests.values()),
            "handshakes": service.handshakes,
            "wall": wall,
            "by_method": dict(service.requests),
        }
    finally:
        service.stop()
    print(
        f"  adminservice, {REMOTE_PAIRS} pairs: {result['requests']} requests, {wall:.1f} s {result['by_method']}",
        flush=True,
    )
    return result


def naive_client(pairs: int, address: str, ca_bundle: str) -> None:
    """One Session.run_ps per pair, as a PowerShell loop over New-CMComputerAssociation would."""
    from winrm import Session

    session = Session(
        f"https://{address}/wsman",
        auth=(USER, PASSWORD),
        transport="ntlm",
        server_cert_validation="validate",
        ca_trust_path=ca_bundle,
    )
    for source, destination, behavior, users, _ in wavegen.pair_rows(pairs):
        name = [
            "CaptureAndRestoreAllUserAccounts",
            "CaptureAllUserAccountsAndRestoreSpecifiedAccounts",
            "CaptureAndRestoreSpecifiedUserAccounts",
        ][int(behavior)]
        script = (
            f"New-CMComputerAssociation -SourceComputer '{source}' -DestinationComputer '{destination}' "
            f"-MigrationBehavior {name}"
        )
        if users:
            script += " -MigrationUserName " + ",".join(f"'{u}'" for u in users.split(";"))
        result = session.run_ps(script)
        assert result.std_out.strip() == b"OK", result.std_out


# -- 4. writing the report (B) ---------------------------------------------------------


def bench_report(size: int, work: Path, rounds: int) -> dict[str, Any]:
    """Our Excel report writer against XlsxWriter alone, the same cells, in one child."""
    sheets(size, work)
    _, rss, output = child(
        [str(Path(__file__).resolve()), "--report-child", str(size), str(work), str(rounds)]
    )
    timings = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    timings.update({"size": size, "rss_mb": rss})
    print(
        f"  report {size}: ours {timings['ours']:.2f} s, XlsxWriter alone {timings['alone']:.2f} s "
        f"({timings['ratio']:.2f}x; {timings['cells']:,} cells), peak RSS {rss:.0f} MB",
        flush=True,
    )
    return timings


def report_child(size: int, work: Path, rounds: int) -> None:
    """In this (child) process: validate the wave, then write our report and XlsxWriter
    alone's in turn; prints the medians as one JSON line."""
    result = validated(work / f"wave-{size}.xlsx")
    check_valid(result, size)
    ours, alone = work / "report-ours.xlsx", work / "report-alone.xlsx"
    before = own_peak_mb()
    write_report(result, ours)  # once, for the cells and widths XlsxWriter alone will write
    cells, widths = results_sheet(ours)
    times = in_turn(
        rounds,
        ours=lambda: stopwatch(lambda: write_report(result, ours)),
        alone=lambda: stopwatch(lambda: xlsxwriter_alone(cells, widths, alone)),
    )
    print(
        json.dumps(
            {
                "ours": med(times["ours"]),
                "alone": med(times["alone"]),
                "ratio": ratio(times, "ours", "alone"),
                "cells": sum(v != "" for row in cells for v in row),
                "columns": len(cells[0]),
                "rows_rss_mb": before,
                "ours_mb": ours.stat().st_size / 1e6,
                "alone_mb": alone.stat().st_size / 1e6,
            }
        )
    )


def results_sheet(report: Path) -> tuple[list[list[Any]], dict[int, float]]:
    """Our report's Results sheet (header included) as python-calamine reads it back, and
    the widths our report gave its columns (0-based column -> width)."""
    import re
    import zipfile

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(report))
    name = next((n for n in book.sheet_names if n.startswith("Results")), book.sheet_names[-1])
    cells = book.get_sheet_by_name(name).to_python()

    def attributes(tag: str) -> dict[str, str]:
        return dict(re.findall(r'([\w:]+)="([^"]*)"', tag))

    with zipfile.ZipFile(report) as z:
        ids = {
            a["name"]: a["r:id"]
            for a in map(attributes, re.findall(r"<sheet\b[^>]*>", z.read("xl/workbook.xml").decode()))
        }
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        targets = {a["Id"]: a["Target"] for a in map(attributes, re.findall(r"<Relationship\b[^>]*>", rels))}
        target = targets[ids[name]].lstrip("/")
        with z.open(target if target.startswith("xl/") else f"xl/{target}") as fh:
            head = fh.read(1 << 16).decode("utf-8", "replace")  # <cols> comes before the rows
    widths = {}
    for a in map(attributes, re.findall(r"<col\b[^>]*>", head)):
        for column in range(int(a["min"]) - 1, int(a["max"])):
            widths[column] = float(a.get("width", 8.43))
    return cells, widths


def xlsxwriter_alone(cells: list[list[Any]], widths: dict[int, float], path: Path) -> None:
    """The same cells written by a minimal XlsxWriter loop: a bold header, the same widths."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = book.add_worksheet("Results")
    for column, width in widths.items():
        sheet.set_column(column, column, width)
    sheet.write_row(0, 0, cells[0], book.add_format({"bold": True}))
    for number, row in enumerate(cells[1:], start=1):
        sheet.write_row(number, 0, row)
    book.close()


# -- 5. the largest sheet Excel can hold (D) -------------------------------------------

CALAMINE_ALONE = """
import sys
from python_calamine import CalamineWorkbook
rows = 0
for _ in CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_name(sys.argv[2]).iter_rows():
    rows += 1
print("rows", rows)
"""


def bench_full_sheet(work: Path, demo_run: bool) -> dict[str, Any]:
    """`cmassoc validate` of a full sheet with both reports: wall time, peak RSS of it and its
    children; python-calamine alone iterating the same sheet row by row, in a child."""
    xlsx = work / "wave-full.xlsx"
    if not xlsx.exists():
        wavegen.write_xlsx(xlsx, wavegen.pair_rows(FULL_SHEET))
    wall, calamine_mb, output = child(["-c", CALAMINE_ALONE, str(xlsx), "Wave"])
    assert f"rows {FULL_SHEET + 1}" in output, output[-500:]
    entry: dict[str, Any] = {"size": FULL_SHEET, "calamine_wall": wall, "calamine_mb": calamine_mb}
    print(f"  calamine alone, full sheet: {wall:.1f} s, peak RSS {calamine_mb:.0f} MB", flush=True)
    try:
        wall, rss, output = child(validate_command(xlsx, work / "full"), timeout=2 * TARGETS["D-time"])
        entry.update(wall=wall, rss_mb=rss, child_mb=_marked(output, READER))
    except subprocess.TimeoutExpired:
        entry.update(wall=float("inf"), rss_mb=float("nan"), child_mb=float("nan"))
    print(
        f"  validate full sheet: {entry['wall']:.1f} s, peak RSS {entry['rss_mb']:.0f} MB, "
        f"largest child {entry['child_mb']:.0f} MB",
        flush=True,
    )
    if demo_run:
        entry["run"] = bench_pipeline([(FULL_SHEET, xlsx)], work)[0]
    return entry


# -- 6. the web front end ------------------------------------------------------------


def bench_web(work: Path, size: int = 10_000) -> dict[str, Any]:
    """A wave of `size` rows uploaded to `cmassoc serve` (in-process, Starlette's test client):
    how long its page takes to render, first (the report parsed) and again, and filtered."""
    import re

    from starlette.testclient import TestClient

    from importer.report import readback
    from importer.site.demo.provider import DemoSite
    from importer.site.demo.samples import create_sample_site
    from importer.web.app import build_app
    from importer.web.auth import hash_password
    from importer.web.config import WebConfig
    from importer.web.store import Role, Store
    from importer.web.worker import Worker

    sheet = work / f"web-{size}.csv"
    wavegen.write_csv(sheet, wavegen.pair_rows(size))
    site = work / "web-site.db"
    site.unlink(missing_ok=True)
    create_sample_site(site)
    store = Store(work / "web-data")
    store.add_user("bench", Role.PLANNER, hash_password("bench-password-1"))
    worker = Worker(store, lambda: DemoSite(site)).start()
    timings: dict[str, Any] = {"size": size}
    with TestClient(build_app(WebConfig(store, worker, "demo"))) as client:
        client.post("/login", data={"name": "bench", "password": "bench-password-1"})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/upload").text)
        assert csrf is not None
        started = time.perf_counter()
        answer = client.post(
            "/upload",
            data={"csrf": csrf.group(1), "behavior": "2"},
            files={"sheet": (sheet.name, sheet.read_bytes(), "text/csv")},
        )
        timings["upload"] = time.perf_counter() - started
        page = str(answer.url)
        readback._ROWS_CACHE.clear()  # the first view parses the report, as after a restart
        for label, url in (("first", page), ("again", page), ("filtered", page + "?status=valid&page=50")):
            started = time.perf_counter()
            html = client.get(url).text
            timings[label] = time.perf_counter() - started
            assert f"{size:,} rows" in html, html[:2000]
    worker.stop()
    store.close()
    print(f"  web page of a {size:,}-row wave: {timings}", flush=True)
    return timings


# -- the targets and RESULTS.md -------------------------------------------------------


def targets(got: dict[str, Any]) -> list[Target]:
    """Each target measured against its limit (or not measured, and why)."""
    out = []
    a = Target(
        "A", f"`cmassoc validate` of {BY_HAND_ROWS:,} rows, both reports, vs the pandas script by hand"
    )
    if got.get("A"):
        e = got["A"]
        a.measured = f"{e['ratio']:.2f}x ({e['ours']:.2f} s vs {e['by_hand']:.2f} s)"
        a.ok = e["ratio"] <= TARGETS["A"]
    out.append(a)
    b = Target("B", "Excel report writer vs XlsxWriter alone, the same cells")
    if got.get("B"):
        e = got["B"]
        b.measured = f"{e['ratio']:.2f}x ({e['ours']:.2f} s vs {e['alone']:.2f} s)"
        b.ok, b.note = e["ratio"] <= TARGETS["B"], at_size(e["size"])
    out.append(b)
    c1 = Target("C1", "read + validate vs python-calamine's parse")
    if got.get("C"):
        e = got["C"]["read"][-1]
        c1.measured = f"{e['ratio']:.2f}x ({e['xlsx']:.2f} s vs {e['calamine']:.2f} s)"
        c1.ok, c1.note = e["ratio"] <= TARGETS["C1"], at_size(e["size"])
    out.append(c1)
    c2 = Target("C2", "`cmassoc validate`, both reports, vs python-calamine's parse")
    if got.get("C"):
        e = got["C"]["command"]
        c2.measured = f"{e['ratio']:.1f}x ({e['command']:.2f} s vs {e['calamine']:.2f} s)"
        c2.ok, c2.note = e["ratio"] <= TARGETS["C2"], at_size(e["size"])
    out.append(c2)
    d1 = Target("D-time", f"`cmassoc validate` of {FULL_SHEET:,} pairs, both reports: wall time")
    d2 = Target("D-peak", "largest process of that command vs python-calamine iterating the sheet")
    if got.get("D"):
        e = got["D"]
        d1.measured = f"{e['wall']:.1f} s"
        d1.ok = e["wall"] <= TARGETS["D-time"]
        worst = max(e["rss_mb"], e["child_mb"] if e["child_mb"] == e["child_mb"] else 0)
        d2.measured = f"{worst / e['calamine_mb']:.2f}x ({worst:.0f} MB vs {e['calamine_mb']:.0f} MB)"
        d2.ok = worst <= TARGETS["D-peak"] * e["calamine_mb"]
    out += [d1, d2]
    for t in out:
        unit = " s" if t.key == "D-time" else "x"
        t.limit = f"at most {TARGETS[t.key]:g}{unit}"
    return out


def target_table(rows: list[Target]) -> list[str]:
    lines = ["| target | what | measured | limit | verdict |", "|---|---|---|---|---|"]
    lines += [f"| {t.key} | {t.what} | {t.measured} | {t.limit} | {t.verdict} |" for t in rows]
    return lines


def write_results(info: dict[str, str], got: dict[str, Any], failed: dict[str, str], note: str) -> str:
    lines = ["# Benchmark results", ""]
    if note:
        lines += [f"**{note}**", ""]
    lines += [
        "Written by `python bench/run.py` (see its docstring for each section alone); rerun it to refresh.",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["", "## Targets", "", *target_table(targets(got)), ""]
    lines += [
        "Each ratio is the median, over the rounds, of one round's ratio: the two sides run in turn "
        "(one warm-up round first, not counted), so each ratio compares one state of the machine.",
        "",
    ]
    for section, error in failed.items():
        lines += [f"Section {section} failed: `{error}`", ""]
    if got.get("C"):
        read, command = got["C"]["read"], got["C"]["command"]
        lines += [
            "## 1. Reading and validating (C)",
            "",
            "In this process: importer.read.read_wave then importer.pipeline.validate_wave, each "
            "round after python-calamine's own parse of the same .xlsx (`to_python()`, the floor of "
            "any reader built on it). The csv is the same wave; it has no target.",
            "",
            "| rows | calamine's parse (s) | read + validate xlsx (s) | ratio | read + validate csv (s) |",
            "|---:|---:|---:|---:|---:|",
        ]
        for e in read:
            lines.append(
                f"| {e['size']:,} | {e['calamine']:.3f} | {e['xlsx']:.3f} | {e['ratio']:.2f}x | {e['csv']:.3f} |"
            )
        lines += [
            "",
            f"The whole `cmassoc validate` command on {command['size']:,} rows, Excel and JSON reports "
            f"written, process start to exit: {command['command']:.2f} s, {command['ratio']:.1f}x "
            f"calamine's parse in the same rounds ({command['calamine']:.2f} s); peak RSS "
            f"{command['rss_mb']:.0f} MB, {command['command'] / command['size'] * 1e6:.1f} µs per row.",
            "",
        ]
    if got.get("2"):
        pipeline = got["2"]
        lines += [
            "## 2. The whole pipeline on the demo site",
            "",
            "Read, validate, resolve, plan, create, Excel + JSON report, in a child process.",
            "",
            "| rows | wall (s) | peak RSS (MB) | resolve (s) | plan (s) | create (s) |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for entry in pipeline:
            st = entry["stages"]
            lines.append(
                f"| {entry['size']:,} | {entry['wall']:.1f} | {entry['rss_mb']:.0f} | {st.get('resolve', 0):.1f} | "
                f"{st.get('plan', 0):.1f} | {st.get('apply', 0):.1f} |"
            )
        top = pipeline[-1]
        caveat = "" if top["size"] == TARGET_ROWS else f" ({at_size(top['size'])})"
        lines += [
            "",
            f"Target: 100,000 rows end to end under 30 s and 600 MB: {top['size']:,} rows took "
            f"{top['wall']:.1f} s, {top['rss_mb']:.0f} MB, {verdict(top['wall'] < 30 and top['rss_mb'] < 600)}"
            f"{caveat}. Creation is "
            "bound by the simulated provider (a SQLite transaction per call, as the provider commits each call).",
            "",
        ]
    if got.get("3"):
        lines += remote_lines(got["3"])
    if got.get("B"):
        e = got["B"]
        lines += [
            "## 4. Writing the report (B)",
            "",
            f"A validated {e['size']:,}-row wave, in one child process: our Excel report "
            f"(importer.report.excel_report.write_xlsx: Summary and Results sheets) {e['ours']:.2f} s, "
            f"{e['ours_mb']:.1f} MB; XlsxWriter alone writing the Results sheet's cells as python-calamine "
            f"reads them back from our report ({e['cells']:,} cells in {e['columns']} columns; "
            "`constant_memory`, no string conversions, `write_row` per row, a bold header, the same widths) "
            f"{e['alone']:.2f} s, {e['alone_mb']:.1f} MB: {e['ratio']:.2f}x. Peak RSS of the process "
            f"{e['rss_mb']:.0f} MB, of which {e['rows_rss_mb']:.0f} MB before the first report.",
            "",
        ]
    if got.get("D"):
        e = got["D"]
        lines += [
            "## 5. The largest sheet Excel can hold (D)",
            "",
            f"{FULL_SHEET:,} pairs under a header row. python-calamine alone iterating the sheet row by "
            f"row in a child (`CalamineWorkbook.from_path(p).get_sheet_by_name(n).iter_rows()`): "
            f"{e['calamine_wall']:.1f} s, peak RSS {e['calamine_mb']:.0f} MB. `cmassoc validate` with both "
            f"reports: {e['wall']:.1f} s ({e['wall'] / FULL_SHEET * 1e6:.1f} µs per row), peak RSS "
            f"{e['rss_mb']:.0f} MB, its largest child's {e['child_mb']:.0f} MB (a child's high-water "
            "mark starts at its parent's when it forks).",
            "",
        ]
        if "run" in e:
            r = e["run"]
            lines += [
                f"`cmassoc run` of the same sheet on a demo site holding its computers: {r['wall']:.1f} s "
                f"({r['wall'] / FULL_SHEET * 1e6:.1f} µs per row), peak RSS {r['rss_mb']:.0f} MB; "
                f"stages {r['stages']}.",
                "",
            ]
    if got.get("6"):
        web = got["6"]
        worst = max(web["first"], web["again"], web["filtered"])
        lines += [
            "## 6. The web front end",
            "",
            f"A {web['size']:,}-row wave uploaded to `cmassoc serve` (checked on upload: {web['upload']:.2f} s); "
            f"its page rendered in {web['first']:.2f} s the first time (its report parsed), "
            f"{web['again']:.2f} s again, {web['filtered']:.2f} s filtered to one status and paged. "
            f"Target: under 1 s: {verdict(worst < 1)}.",
            "",
        ]
    if got.get("A"):
        e = got["A"]
        lines += [
            "## 7. The command against a script written by hand (A)",
            "",
            f"A {e['size']:,}-row sheet, both as whole processes in turn. `cmassoc validate SHEET --report "
            f"R.xlsx --json R.json`: {e['ours']:.2f} s, peak RSS {e['ours_mb']:.0f} MB. bench/by_hand.py "
            '(`pd.read_excel(path, engine="calamine", dtype=str)`, then '
            '`df.to_excel(out, engine="xlsxwriter", index=False)`): '
            f"{e['by_hand']:.2f} s, peak RSS {e['by_hand_mb']:.0f} MB. Ratio {e['ratio']:.2f}x.",
            "",
        ]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def remote_lines(remote: dict[str, Any]) -> list[str]:
    ours, naive = remote["ours"], remote["naive"]
    per200 = (ours["requests"] - 7) / (ours["pairs"] / 200)
    lines = [
        "## 3. The remote path (pywinrm against the loopback WinRM endpoint)",
        "",
        f"{remote['latency'] * 1000:.0f} ms added to every HTTP request. The naive design is one "
        "`Session.run_ps` per pair (what a PowerShell loop over New-CMComputerAssociation costs over "
        f"WinRM); it was measured on {naive['pairs']} pairs and scaled linearly to {ours['pairs']:,} "
        "(its cost per pair is constant: 5 requests and a new PowerShell).",
        "",
        "| design | pairs | HTTP requests | wall (s) |",
        "|---|---:|---:|---:|",
        f"| batched stdin stream (ours) | {ours['pairs']:,} | {ours['requests']} | {ours['wall']:.1f} |",
        f"| run_ps per pair, measured | {naive['pairs']:,} | {naive['requests']} | {naive['wall']:.1f} |",
        f"| run_ps per pair, scaled | {ours['pairs']:,} | {naive['requests_5000']:,.0f} | {naive['wall_5000']:.0f} |",
        "",
        f"Requests by action (ours): {ours['by_action']}.",
    ]
    if "adminservice" in remote:
        rest = remote["adminservice"]
        lines += [
            "",
            f"The same {rest['pairs']:,} pairs through the AdminService (`--via adminservice`, the loopback OData "
            f"endpoint, the same {remote['latency'] * 1000:.0f} ms per request, 4 requests in flight): "
            f"{rest['requests']:,} requests ({rest['by_method']}, plus {rest['handshakes']} NTLM handshakes, one "
            f"per connection), {rest['wall']:.1f} s, against WinRM's {ours['requests']} requests and "
            f"{ours['wall']:.1f} s. One request per call is the AdminService's cost; in exchange it needs no "
            "PowerShell on the server. (The loopback endpoint runs every call against one SQLite demo site, "
            "one at a time, so its wall time is bound by that more than by the requests in flight.)",
        ]
    lines += [
        "",
        f"Targets: under 3 requests per 200 pairs plus a constant: {per200:.2f} per 200 pairs beyond the 7 of "
        f"setup and teardown, {verdict(per200 < 3)}; at least 50x fewer requests: "
        f"{naive['requests_5000'] / ours['requests']:.0f}x, {verdict(naive['requests_5000'] / ours['requests'] >= 50)}; "
        f"at least 20x less wall time: {naive['wall_5000'] / ours['wall']:.0f}x, "
        f"{verdict(naive['wall_5000'] / ours['wall'] >= 20)}.",
        "",
    ]
    return lines


SECTIONS = ("C", "A", "2", "3", "B", "D", "6")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="wave sizes for C and 2; B and C at the largest"
    )
    parser.add_argument("--rounds", type=int, default=7, help="counted rounds of each comparison [7]")
    parser.add_argument("--naive-pairs", type=int, default=100)
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run: A,B,C,D,2,3,6 [all]")
    parser.add_argument("--skip-full-sheet", action="store_true", help="leave out D (minutes)")
    parser.add_argument(
        "--full-sheet-run", action="store_true", help="D also runs the full sheet on a demo site"
    )
    parser.add_argument("--note", default="", help="a line put first in RESULTS.md (say a trial is a trial)")
    parser.add_argument("--work", type=Path, default=None, help="folder for generated files [temporary]")
    parser.add_argument("--naive", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--report-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive_client(int(args.naive[0]), args.naive[1], args.naive[2])
        return
    if args.report_child:
        report_child(int(args.report_child[0]), Path(args.report_child[1]), int(args.report_child[2]))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    only = {s.strip() for s in args.only.split(",")} - ({"D"} if args.skip_full_sheet else set())
    # `pip install .` byte-compiles the package; an editable install under
    # PYTHONDONTWRITEBYTECODE would compile every module at every start, which no installed
    # cmassoc pays. Compile it here, as pip does.
    spec = importlib.util.find_spec("importer")
    if spec and spec.origin:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)
    with tempfile.TemporaryDirectory(prefix="cmassoc-bench-") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        info = machine()
        runs: dict[str, tuple[str, Callable[[], Any]]] = {
            "C": (
                "1. read + validate, and the validate command (C)",
                lambda: {
                    "read": bench_read(sizes, work, args.rounds),
                    "command": bench_validate_command(sizes[-1], work, args.rounds),
                },
            ),
            "A": ("7. the command against a script by hand (A)", lambda: bench_by_hand(work, args.rounds)),
            "2": (
                "2. pipeline on the demo site",
                lambda: bench_pipeline([(s, sheets(s, work)[0]) for s in sizes], work),
            ),
            "3": ("3. remote path", lambda: bench_remote(work, args.naive_pairs)),
            "B": ("4. the report writer (B)", lambda: bench_report(sizes[-1], work, args.rounds)),
            "D": ("5. the largest sheet (D)", lambda: bench_full_sheet(work, args.full_sheet_run)),
            "6": ("6. web front end", lambda: bench_web(work)),
        }
        got: dict[str, Any] = {}
        failed: dict[str, str] = {}
        for key in SECTIONS:
            if key not in only:
                continue
            title, run = runs[key]
            print(title, flush=True)
            try:
                got[key] = run()
            except Exception as exc:  # one section's failure must not lose the others' figures
                traceback.print_exc()
                failed[title] = f"{type(exc).__name__}: {str(exc)[:300]}"
    # Other work on a shared machine slows everything; the ratios hold better than the times.
    info["load average (1 min)"] = f"{info.pop('load')} at the start, {os.getloadavg()[0]:.2f} at the end"
    text = write_results(info, got, failed, args.note)
    (ROOT / "bench" / "RESULTS.md").write_text(text, encoding="utf-8")
    print()
    print("\n".join(target_table(targets(got))))
    for title, error in failed.items():
        print(f"FAILED {title}: {error}")
    print(f"\nbench/RESULTS.md written ({len(got)} sections).")


if __name__ == "__main__":
    main()
