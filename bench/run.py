"""Benchmarks: python bench/run.py [--sizes 1000,10000,100000] [--naive-pairs 100]

Prints a table and writes bench/RESULTS.md with the machine it ran on. Nothing here is
a test: the targets are compared and reported, never asserted.

1. reading + validating generated waves (xlsx with shared strings, and csv), ours vs
   python-calamine's own parse (the floor) and pandas.read_excel(engine="openpyxl") reading
   alone; then the whole `cmassoc validate` command;
2. the whole pipeline on the demo site (a child process: wall time and peak RSS);
3. the remote path through pywinrm against the loopback WinRM endpoint with 50 ms added
   to every HTTP request: our batched design vs one Session.run_ps per pair;
4. writing the report for the largest size: time and peak RSS;
5. a full sheet (1,048,575 pairs): validate (xlsx, csv) and a demo-site run, time per row and
   peak RSS against the largest size (--skip-full-sheet leaves it out);
6. the web front end: the page of a 10,000-row wave.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wavegen  # noqa: E402
from bench.measure import PEAK, READER, own_peak_mb  # noqa: E402

LATENCY = 0.05
REMOTE_PAIRS = 5000
USER, PASSWORD = "CONTOSO\\bench", "bench-only-password"


def child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a Python command line (args[1:] after the interpreter) in a fresh process through
    bench/measure.py; its wall time (s), peak RSS (MB, its own VmHWM) and output."""
    started = time.perf_counter()
    proc = subprocess.run(
        [args[0], str(Path(__file__).resolve().parent / "measure.py"), *args[1:]],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    wall = time.perf_counter() - started
    output = proc.stdout.decode("utf-8", "replace")
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"{args[:4]} failed ({proc.returncode}): {output[-2000:]}")
    peak = [line for line in output.splitlines() if line.startswith(PEAK)]
    return wall, int(peak[-1][len(PEAK) :]) / 1024 if peak else float("nan"), output


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
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("pandas", "openpyxl", "python-calamine", "pywinrm", "tenacity")
    )
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": memory,
        "python": platform.python_version(),
        "packages": versions,
    }


def fresh_site(inventory: Path, site: Path) -> Path:
    """A new demo site (any old one and its WAL files removed) from `inventory`."""
    for stale in site.parent.glob(f"{site.name}*"):
        stale.unlink()
    child([sys.executable, "-m", "importer", "demo-site", "create", str(site), "--inventory", str(inventory)])
    return site


# -- 1. reading --------------------------------------------------------------------


def bench_read(sizes: list[int], work: Path) -> list[dict[str, Any]]:
    import pandas as pd

    from importer.model import Behavior
    from importer.read import read_wave
    from importer.validate import validate

    results = []
    for size in sizes:
        rows = wavegen.pair_rows(size)
        xlsx, csv = work / f"wave-{size}.xlsx", work / f"wave-{size}.csv"
        wavegen.write_xlsx(xlsx, rows)
        wavegen.write_csv(csv, rows)
        # Interleaved rounds: the floor and ours meet the same state of the machine (its
        # caches, its clock, its neighbours), so their ratio is not one moment against another.
        calamine: list[float] = []
        timed: dict[Path, tuple[list[float], list[float]]] = {xlsx: ([], []), csv: ([], [])}
        for _ in range(5):
            started = time.perf_counter()
            parsed = calamine_parse(xlsx)
            calamine.append(time.perf_counter() - started)
            assert len(parsed) == size + 1
            del parsed
            for path, (ours, cpu) in timed.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                checked = validate(read_wave(path), Behavior.CAPTURE_AND_RESTORE_SPECIFIED)
                ours.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                assert len(checked) == size and not any(r.status for r in checked)
                del checked
        for path, (ours, cpu) in timed.items():
            entry: dict[str, Any] = {
                "size": size,
                "format": path.suffix[1:],
                "ours": statistics.median(ours),
                "cpu": statistics.median(cpu),
            }
            if path.suffix == ".xlsx":
                entry["calamine"] = statistics.median(calamine)
                theirs = []
                for _ in range(1 if size >= 100_000 else 3):
                    started = time.perf_counter()
                    frame = pd.read_excel(path, engine="openpyxl", dtype=str, keep_default_na=False)
                    theirs.append(time.perf_counter() - started)
                    assert len(frame) == size
                entry["pandas_openpyxl"] = statistics.median(theirs)
            results.append(entry)
            print(
                f"  read+validate {size:>7} {entry['format']}: {entry['ours']:.2f} s"
                + (f" (calamine parse alone: {entry['calamine']:.2f} s)" if "calamine" in entry else "")
                + (
                    f"  (pandas+openpyxl read only: {entry['pandas_openpyxl']:.2f} s)"
                    if "pandas_openpyxl" in entry
                    else ""
                ),
                flush=True,
            )
    return results


def calamine_parse(path: Path) -> list[list[object]]:
    """What python-calamine itself takes to turn the file into Python rows: the floor."""
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)


def validate_command(sheet: Path, reports: Path) -> list[str]:
    """`cmassoc validate SHEET` writing reports.xlsx and reports.json."""
    return [
        sys.executable,
        "-m",
        "importer",
        "validate",
        str(sheet),
        "--report",
        str(reports.with_suffix(".xlsx")),
        "--json",
        str(reports.with_suffix(".json")),
    ]


def bench_validate_command(size: int, work: Path) -> dict[str, Any]:
    """`cmassoc validate` with Excel and JSON reports, process start to exit, each round after
    a calamine parse of the same file (medians of 5, interleaved as in bench_read)."""
    sheet = work / f"wave-{size}.xlsx"
    walls, floors = [], []
    for _ in range(5):
        started = time.perf_counter()
        parsed = calamine_parse(sheet)
        floors.append(time.perf_counter() - started)
        del parsed
        wall, rss, _ = child(validate_command(sheet, work / "validate"))
        walls.append(wall)
    calamine = statistics.median(floors)
    entry = {"size": size, "wall": statistics.median(walls), "rss_mb": rss, "calamine": calamine}
    print(
        f"  validate command {size}: {entry['wall']:.2f} s ({entry['wall'] / calamine:.1f}x calamine's "
        f"{calamine:.2f} s in the same rounds)",
        flush=True,
    )
    return entry


# -- 5. the largest sheet Excel can hold -------------------------------------------

FULL_SHEET = 1_048_575  # pairs under one header row: every row of an .xlsx


def bench_full_sheet(work: Path, small: int) -> list[dict[str, Any]]:
    """validate (xlsx and csv) and a demo-site run of a full sheet, against the same at `small`
    rows: wall time, peak RSS of cmassoc and of its reader children, time per row."""
    rows = wavegen.pair_rows(FULL_SHEET)
    xlsx, csv = work / "wave-full.xlsx", work / "wave-full.csv"
    wavegen.write_xlsx(xlsx, rows)
    wavegen.write_csv(csv, rows)
    del rows
    out = []
    for label, size, path in (
        ("validate xlsx", small, work / f"wave-{small}.xlsx"),
        ("validate xlsx", FULL_SHEET, xlsx),
        ("validate csv", small, work / f"wave-{small}.csv"),
        ("validate csv", FULL_SHEET, csv),
    ):
        wall, rss, output = child(validate_command(path, work / "full"))
        out.append(
            {"what": label, "size": size, "wall": wall, "rss_mb": rss, "reader_mb": _reader_mb(output)}
        )
        print(
            f"  {label} {size}: {wall:.1f} s, {rss:.0f} MB (largest child {out[-1]['reader_mb']:.0f} MB)",
            flush=True,
        )
    for size, path in ((small, work / f"wave-{small}.xlsx"), (FULL_SHEET, xlsx)):
        inventory, site = work / f"inventory-full-{size}.csv", work / f"site-full-{size}.db"
        wavegen.write_inventory(inventory, size)
        fresh_site(inventory, site)
        journal = work / f"journal-full-{size}.db"
        journal.unlink(missing_ok=True)
        wall, rss, output = child(
            [
                sys.executable,
                "-m",
                "importer",
                "run",
                str(path),
                "--demo",
                str(site),
                "--report",
                str(work / "full-run.xlsx"),
                "--json",
                str(work / "full-run.json"),
            ],
            env={"CMASSOC_JOURNAL": str(journal)},
        )
        report = json.loads((work / "full-run.json").read_text())
        assert report["summary"]["counts"].get("created") == size, output[-500:]
        del report
        out.append(
            {
                "what": "run on the demo site",
                "size": size,
                "wall": wall,
                "rss_mb": rss,
                "reader_mb": _reader_mb(output),
            }
        )
        print(f"  run {size}: {wall:.1f} s, {rss:.0f} MB", flush=True)
    return out


def _reader_mb(output: str) -> float:
    found = [line for line in output.splitlines() if line.startswith(READER)]
    return int(found[-1][len(READER) :]) / 1024 if found else float("nan")


# -- 6. the web front end ------------------------------------------------------------


def bench_web(work: Path, size: int = 10_000) -> dict[str, Any]:
    """A wave of `size` rows uploaded to `cmassoc serve` (in-process, Starlette's test client):
    how long its page takes to render, first (the report parsed) and again, and filtered."""
    import re

    from starlette.testclient import TestClient

    from importer.demo.samples import create_sample_site
    from importer.demo.site import DemoSite
    from importer.web import app as web_app
    from importer.web.app import WebConfig, build_app
    from importer.web.auth import hash_password
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
        web_app._ROWS_CACHE.clear()  # the first view parses the report, as after a restart
        for label, url in (("first", page), ("again", page), ("filtered", page + "?status=valid&page=50")):
            started = time.perf_counter()
            html = client.get(url).text
            timings[label] = time.perf_counter() - started
            assert f"{size:,} rows" in html, html[:2000]
    worker.stop()
    store.close()
    print(f"  web page of a {size:,}-row wave: {timings}", flush=True)
    return timings


# -- 2. the pipeline ---------------------------------------------------------------


def bench_pipeline(sizes: list[int], work: Path) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        inventory, site = work / f"inventory-{size}.csv", work / f"site-{size}.db"
        wavegen.write_inventory(inventory, size)
        fresh_site(inventory, site)
        journal = work / f"journal-{size}.db"
        journal.unlink(missing_ok=True)
        wall, rss, output = child(
            [
                sys.executable,
                "-m",
                "importer",
                "--debug",
                "run",
                str(work / f"wave-{size}.xlsx"),
                "--demo",
                str(site),
                "--report",
                str(work / f"report-{size}.xlsx"),
                "--json",
                str(work / f"report-{size}.json"),
            ],
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
    from importer.demo.site import DemoSite
    from tests.wsman_endpoint import Endpoint

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
            [
                sys.executable,
                "-m",
                "importer",
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
            ],
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
                sys.executable,
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
    from importer.demo.site import DemoSite
    from tests.odata_endpoint import ODataEndpoint

    inventory, site = work / "inventory-remote.csv", work / "site-as.db"
    fresh_site(inventory, site)
    service = ODataEndpoint(lambda: DemoSite(site), USER, PASSWORD, work / "certs", latency=LATENCY).start()
    env = {"CMASSOC_USERNAME": USER, "CMASSOC_PASSWORD": PASSWORD, "CMASSOC_JOURNAL": str(work / "j-as.db")}
    try:
        wall, _, output = child(
            [
                sys.executable,
                "-m",
                "importer",
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
            ],
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


# -- 4. the report -----------------------------------------------------------------


def bench_report(size: int, work: Path) -> dict[str, Any]:
    wall, rss, output = child(
        [sys.executable, str(Path(__file__).resolve()), "--report-child", str(size), str(work)]
    )
    timings = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    timings.update({"size": size, "process_wall": wall, "rss_mb": rss})
    print(
        f"  report {size}: xlsx {timings['xlsx']:.1f} s ({timings['xlsx_mb']:.1f} MB file; "
        f"{timings['xlsx_helped']:.2f} s helped), json "
        f"{timings['json']:.1f} s, peak RSS of the process {rss:.0f} MB (rows included; "
        f"{timings['rows_rss_mb']:.0f} MB before writing)",
        flush=True,
    )
    return timings


def report_child(size: int, work: Path) -> None:
    from importer.model import Behavior, Status
    from importer.read import read_wave
    from importer.report.json_report import write_json
    from importer.report.xlsx_report import write_xlsx
    from importer.results import RunOptions, RunResult
    from importer.validate import validate

    wave = read_wave(work / f"wave-{size}.csv")
    rows = validate(wave, Behavior.CAPTURE_AND_RESTORE_SPECIFIED)
    for index, row in enumerate(rows):
        row.status = Status.CREATED
        row.source_resource_id, row.restore_resource_id = 2 * index + 1, 2 * index + 2
    result = RunResult("run", wave, RunOptions(), rows)
    result.finished = dt.datetime.now().astimezone()
    before = own_peak_mb()
    started = time.perf_counter()
    write_xlsx(result, work / "report-bench.xlsx")
    xlsx = time.perf_counter() - started
    started = time.perf_counter()
    write_json(result, work / "report-bench.json")
    json_s = time.perf_counter() - started
    started = time.perf_counter()
    write_xlsx(result, work / "report-bench-helped.xlsx", helped=True)
    helped = time.perf_counter() - started
    print(
        json.dumps(
            {
                "xlsx": xlsx,
                "xlsx_helped": helped,
                "json": json_s,
                "rows_rss_mb": before,
                "xlsx_mb": (work / "report-bench.xlsx").stat().st_size / 1e6,
            }
        )
    )


# -- results -----------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def write_results(
    info: dict[str, str],
    read: list[dict[str, Any]],
    pipeline: list[dict[str, Any]],
    remote: dict[str, Any],
    report: dict[str, Any],
    command: dict[str, Any],
    full: list[dict[str, Any]],
    web: dict[str, Any] | None = None,
) -> str:
    lines = ["# Benchmark results", "", "Written by `python bench/run.py`; rerun it to refresh.", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += [
        "",
        "## 1. Reading and validating",
        "",
        "| rows | format | ours: read + validate, wall (s) | ours: CPU (s) | pandas + openpyxl: read only (s) | speed-up |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for entry in read:
        theirs = entry.get("pandas_openpyxl")
        lines.append(
            f"| {entry['size']:,} | {entry['format']} | {entry['ours']:.2f} | {entry['cpu']:.2f} | "
            + (f"{theirs:.2f} | {theirs / entry['ours']:.1f}x |" if theirs else " | |")
        )
    big = next(e for e in read if e["format"] == "xlsx" and e["size"] == max(x["size"] for x in read))
    ratio = big["ours"] / big["calamine"]
    speedup = big["pandas_openpyxl"] / big["ours"]
    lines += [
        "",
        f"python-calamine alone (the file to Python rows, the floor of any reader built on it) took "
        f"{big['calamine']:.2f} s on the {big['size']:,}-row xlsx in this run (median of 5 rounds, each "
        "round timing calamine, then ours on the xlsx and the csv, so both meet the machine in the same state).",
        "",
        f"Targets: read + validate within 1.5x of calamine's parse: {ratio:.2f}x "
        f"({big['ours']:.2f} s, median of 5; {big['cpu']:.2f} s of CPU in this process), {verdict(ratio <= 1.5)}. "
        f"At least 12x faster than the pandas + openpyxl read alone: {speedup:.1f}x, {verdict(speedup >= 12)}.",
        "",
        f"The whole `cmassoc validate` command on {command['size']:,} rows, Excel and JSON reports written, "
        f"process start to exit: {command['wall']:.2f} s (median of 5) = {command['wall'] / command['calamine']:.1f}x "
        f"calamine's parse in the same rounds ({command['calamine']:.2f} s; target 4x), "
        f"{verdict(command['wall'] <= 4 * command['calamine'])}.",
    ]
    lines += [
        "",
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
    lines += [
        "",
        f"Target: {top['size']:,} rows end to end under 30 s and 600 MB: {top['wall']:.1f} s, "
        f"{top['rss_mb']:.0f} MB, {verdict(top['wall'] < 30 and top['rss_mb'] < 600)}. Creation is "
        "bound by the simulated provider (a SQLite transaction per call, as the provider commits each call).",
    ]
    ours, naive = remote["ours"], remote["naive"]
    per200 = (ours["requests"] - 7) / (ours["pairs"] / 200)
    lines += [
        "",
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
    ]
    lines += [
        "",
        "## 4. Writing the report",
        "",
        f"{report['size']:,} rows: Excel {report['xlsx']:.1f} s ({report['xlsx_mb']:.1f} MB), JSON "
        f"{report['json']:.1f} s; peak RSS of the process {report['rss_mb']:.0f} MB, of which "
        f"{report['rows_rss_mb']:.0f} MB were the rows before writing began (the writers stream). "
        f"Excel with a forked helper writing the second half of the rows (what the CLI does when "
        f"no JSON report's child holds the other core): {report['xlsx_helped']:.2f} s.",
        "",
    ]
    if full:
        lines += [
            "## 5. The largest sheet Excel can hold",
            "",
            f"{FULL_SHEET:,} pairs under a header row (every row of an .xlsx), against the smaller size; "
            "reports written. Peak RSS of cmassoc itself, and the largest of its children: the "
            "guarded reader (python-calamine holds the whole sheet while it parses: about 575 MB "
            "for this one on its own) or the forked JSON writer, whose RSS counts the pages it "
            "shares with cmassoc by copy-on-write.",
            "",
            "| what | rows | wall (s) | µs per row | peak RSS, cmassoc (MB) | peak RSS, largest child (MB) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for e in full:
            lines.append(
                f"| {e['what']} | {e['size']:,} | {e['wall']:.1f} | {e['wall'] / e['size'] * 1e6:.1f} | "
                f"{e['rss_mb']:.0f} | {e['reader_mb']:.0f} |"
            )
        verdicts = []
        for what in dict.fromkeys(e["what"] for e in full):
            small, large = (e for e in full if e["what"] == what)
            growth = (large["wall"] / large["size"]) / (small["wall"] / small["size"])
            verdicts.append(
                f"{what}: time per row {growth:.2f}x that at {small['size']:,} rows "
                f"({verdict(growth <= 1.3)}), cmassoc's peak {large['rss_mb']:.0f} MB "
                f"({verdict(large['rss_mb'] < 600)}), its largest child's {large['reader_mb']:.0f} MB "
                f"({verdict(large['reader_mb'] < 600)})"
            )
        lines += [
            "",
            "Targets: time per row within 1.3x, peak RSS under 600 MB. " + "; ".join(verdicts) + ".",
            "",
        ]
    if web:
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
    lines += PROFILE.splitlines()
    return "\n".join(lines)


PROFILE = """
## Where the time and memory go (profiled with cProfile and /proc for issue 14, 100k rows)

Before: calamine 0.34 s; our read 0.64 s (0.15 s turning every cell into text in the reader,
0.13 s pickling 100k row lists, a dict and an InputRow per row); validate 0.68 s (a
RowResult of 23 slots and five empty lists per row, a regular expression per cell, 0.4 s
parsing users); the reports rebuilt a dict per row several times. At 1,048,575 rows the
reader child ran out of its 1 GB (to_python() holds every cell as a Python object) and the
main process needed 1.2-1.7 GB.

After the first round (the previous RESULTS): the reader builds one joined string per column
and sends each column as one message; the XML scan for error and formula cells runs in a
second child beside the parse; validation is a possessive regular expression per column,
one check per distinct behaviour, and numpy hashes for the sheet rules; a row is 15 slots
and derives plain names and users from the column store. The two reports then cost about
1 microsecond per cell in Python, most of the whole command.

Second round (profiled again on 100k rows):
- Reports: a chunk of 8,192 rows is gathered column by column (names, users and cells read
  a run of rows at a time from the column store) and written from one template whose
  literal XML is zipped with the columns and joined in C: the Excel report went from 1.1 s
  to 0.5 s, the JSON from 0.77 s to 0.25 s. The sheet XML is deflated on a thread (zlib
  lets go of the GIL), so compression costs almost no wall time; xml:space="preserve" is
  written only where text starts or ends with whitespace, and rows with no messages or
  users get no empty cell, a sixth less XML. tests/test_report_columns.py holds both
  reports to the old row loops' bytes.
- Start-up: a command's module is imported when it runs; validate no longer imports the
  site, journal or progress-bar code (0.20 s to 0.13 s).
- Validation: behaviours mapped through a dict of their distinct cells; repeated accounts
  in a plain users column found by hashing every account at once; the blank-cell search
  skips to separators (40 ms to 4 ms); rows are frozen out of the collector's way in the
  command once checked.
- What read + validate spends now, on top of calamine's own 0.29-0.33 s: about 0.05 s
  building the columns from calamine's rows, 0.04 s for the guarded child (fork, a cold
  heap, the transfer), 0.06 s creating one RowResult per row, 0.07 s of checks. The first
  two are the price of the guard; the third of having a row object that every later stage
  fills in.

Third round (profiled again on 100k rows):
- Measuring: calamine's parse and ours now alternate round by round (and the command runs
  after a calamine parse each round), so a ratio compares one state of the machine, not
  two moments; calamine alone wanders from 0.29 to 0.39 s on this VM. The package is
  byte-compiled first, as pip install does: this VM sets PYTHONDONTWRITEBYTECODE, so every
  command start had been compiling our modules (50 ms no installed cmassoc pays).
- Validation, 0.128 s to 0.110 s: the collector stays paused until the checked rows are
  frozen (its first pass over a million young objects cost 20 ms and found no cycle);
  a plain users cell's accounts are counted from where the separators sit in the column's
  bytes (12 ms to 2 ms); the behaviour/users balance check is array arithmetic.
- Reading: a column is joined before it is inspected; only a column the join refuses (a
  number, a date) is converted cell by cell (the type check of every cell was a tenth of
  the column building).
- Excel report: a column of plain ASCII text is recognised in C over its joined cells (the
  five passes per column cost 0.10 s, now 0.075 s); literal XML pieces that meet are
  merged before the rows are zipped. A forked helper writes the second half of a large
  sheet and its deflate stream is spliced into the sheet's zip member (Excel report alone,
  100k rows: 0.56 s to 0.39 s). With a JSON report the JSON's child already holds the
  other core; three processes on two cores measured no gain, so the helper is used only
  without one.
- What read + validate spends now beyond calamine's parse: about 0.03 s building the
  columns, 0.045 s for the guard (the child's cold heap 0.02 s, fork and transfer 0.02 s),
  0.045 s creating the row objects and 0.065 s of checks.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--naive-pairs", type=int, default=100)
    parser.add_argument("--work", type=Path, default=None, help="folder for generated files [temporary]")
    parser.add_argument("--skip-full-sheet", action="store_true", help="leave out section 5 (minutes)")
    parser.add_argument("--naive", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--report-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive_client(int(args.naive[0]), args.naive[1], args.naive[2])
        return
    if args.report_child:
        report_child(int(args.report_child[0]), Path(args.report_child[1]))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    # `pip install .` byte-compiles the package; an editable install under
    # PYTHONDONTWRITEBYTECODE (this VM sets it) would compile every module at every start
    # (50 ms), which no installed cmassoc pays. Compile it here, as pip does.
    compileall.compile_dir(str(ROOT / "importer"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="cmassoc-bench-") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        info = machine()
        print("1. read + validate", flush=True)
        read = bench_read(sizes, work)
        print("2. pipeline on the demo site", flush=True)
        pipeline = bench_pipeline(sizes, work)
        print("3. remote path", flush=True)
        remote = bench_remote(work, args.naive_pairs)
        print("4. report", flush=True)
        report = bench_report(sizes[-1], work)
        command = bench_validate_command(sizes[-1], work)
        full = []
        if not args.skip_full_sheet:
            print("5. the largest sheet", flush=True)
            full = bench_full_sheet(work, sizes[-1])
        print("6. web front end", flush=True)
        web = bench_web(work)
    text = write_results(info, read, pipeline, remote, report, command, full, web)
    (ROOT / "bench" / "RESULTS.md").write_text(text, encoding="utf-8")
    print()
    print(text)


if __name__ == "__main__":
    main()
