"""`python -m bench`: measure Spine Coach against a bare hello-world skill, both under gunicorn.

Both apps are served by gunicorn with the same settings; Spine Coach twice, on SQLite and on
PostgreSQL (a throw-away schema) for the write scenarios. Every scenario is warmed up, then
measured in rounds; in each round a Spine Coach scenario runs between two runs of its
hello-world baseline, so the machine's drift and other load on it hit both alike. Then one
scenario at one and at two gunicorn workers, bracketed the same way, for how throughput scales.
Before every run the driver builds a fresh envelope, signs it with the local test CA and checks
with urllib that the app gives the real answer. Prints tables and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import audio_build, growth, load, paced, probe, report, server, startup
from bench.fixtures import Fixtures, prepare
from bench.scenarios import (
    APPS,
    HELLO,
    POSTGRESQL,
    SCENARIOS,
    SPINE,
    SPINE_POSTGRES,
    Scenario,
    select,
)
from bench.spine_app import CHAIN_PEM_ENV, DATABASE_URL_ENV, ROOT_PEM_ENV
from skill.devtools.databases import postgres_schema

# Each run signs a fresh request; Spine Coach refuses requests older than 150 s.
MAX_RUN_S = 120


@dataclass(frozen=True)
class Options:
    """How long and how hard to measure; the same for every scenario."""

    warmup_s: int = load.WARMUP_S
    duration_s: int = load.DURATION_S
    rounds: int = load.ROUNDS
    workers: int = server.DEFAULT_WORKERS
    threads: int = server.DEFAULT_THREADS
    worker_class: str = server.DEFAULT_WORKER_CLASS
    connections: int = load.WRK_CONNECTIONS
    scenarios: tuple[str, ...] = ()  # words a chosen Spine Coach scenario's name contains
    scaling: bool = True
    postgres: str = "auto"  # a server URL, "auto" (TEST_DATABASE_URL or this machine's) or "none"

    def settings(self) -> dict[str, object]:
        """The settings, for results.json."""
        return {
            "gunicorn": list(
                server.options(
                    workers=self.workers, threads=self.threads, worker_class=self.worker_class
                )
            ),
            "wrk": {
                "threads": load.WRK_THREADS,
                "connections": self.connections,
                "warmup_s": self.warmup_s,
                "duration_s": self.duration_s,
            },
            "rounds": self.rounds,
            "scenarios": list(self.scenarios),
            "scaling_connections": SCALING_CONNECTIONS_PER_WORKER * 2,
            "spine": {
                "verification": True,
                "database": "sqlite: reads, and writes for set starts and stream positions; "
                "the write scenarios again on postgresql (a throw-away schema)",
                "cert_chain": "local file, cached by the verifier",
                "alexa_api": "local stand-in (device time zone)",
            },
        }


def app_env(app: str, fixtures: Fixtures) -> dict[str, str]:
    """The environment of the gunicorn serving `app`."""
    if app in (SPINE, SPINE_POSTGRES):
        database_url = fixtures.database_url if app == SPINE else fixtures.postgres_url
        if database_url is None:
            raise ValueError(f"{app} needs a PostgreSQL database")
        return {
            DATABASE_URL_ENV: database_url,
            ROOT_PEM_ENV: str(fixtures.root_pem),
            CHAIN_PEM_ENV: str(fixtures.chain_pem),
        }
    return {}


def measurement_order(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """Each baseline followed by the scenarios compared with it, then any others."""
    ordered: list[Scenario] = []
    for scenario in scenarios:
        if scenario.baseline is None:
            ordered.append(scenario)
            ordered.extend(s for s in scenarios if s.baseline == scenario.name)
    ordered.extend(s for s in scenarios if s not in ordered)
    return ordered


def round_order(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """One round: each baseline, the scenarios compared with it, then the baseline again, so
    each is compared with the baseline measured on both sides of it (a machine that speeds up
    or slows down during the round shifts both alike)."""
    ordered: list[Scenario] = []
    for scenario in scenarios:
        if scenario.baseline is None:
            compared = [s for s in scenarios if s.baseline == scenario.name]
            ordered.extend([scenario, *compared, scenario] if compared else [scenario])
    return ordered


def signed_run(scenario: Scenario, url: str, fixtures: Fixtures, workdir: Path) -> Path:
    """A fresh signed request for `scenario`, checked against the app; the wrk script for it."""
    body = json.dumps(scenario.envelope(datetime.now(UTC))).encode("utf-8")
    headers = fixtures.pki.headers(body)
    probe.check(url, body, headers, scenario.expected_speech)
    slug = scenario.name.replace(" ", "_")
    body_path, script = workdir / f"{slug}.json", workdir / f"{slug}.lua"
    body_path.write_bytes(body)
    load.write_script(script, body_path, headers)
    return script


@dataclass
class Extras:
    """What is measured besides throughput: latency at half load, memory per worker."""

    half_load: dict[str, paced.PacedFigures]
    worker_memory_mb: dict[str, list[float]]


# The scaling runs keep this many wrk connections open per worker of the larger server (both
# servers get the same number): gthread workers keep the keep-alive connections they accepted.
SCALING_CONNECTIONS_PER_WORKER = 4


@dataclass(frozen=True)
class Scaling:
    """One scenario at one and at two gunicorn workers: in each round the one-worker server
    is measured before and after the two-worker one. Requests per second of each run."""

    scenario: str
    connections: int
    one_worker: list[float]
    two_workers: list[float]

    @property
    def ratios(self) -> list[float]:
        """Each round's two-worker throughput over the mean of the one-worker runs around it."""
        return [
            two / statistics.fmean(self.one_worker[2 * i : 2 * i + 2])
            for i, two in enumerate(self.two_workers)
        ]

    @property
    def ratio(self) -> float:
        """The median of the rounds' ratios."""
        return statistics.median(self.ratios)

    def as_json(self) -> dict[str, object]:
        """For results.json."""
        return {**asdict(self), "ratios": self.ratios, "ratio": self.ratio}


def serve(
    servers: ExitStack,
    app: str,
    fixtures: Fixtures,
    workdir: Path,
    *,
    workers: int,
    options: Options,
) -> str:
    """Start gunicorn for `app` with `workers` and the options' threads and worker class
    (stopped when `servers` closes); its /alexa URL."""
    gunicorn_options = server.options(
        workers=workers, threads=options.threads, worker_class=options.worker_class
    )
    _say(f"serving {app} ({APPS[app]}): gunicorn {' '.join(gunicorn_options)}")
    base_url = servers.enter_context(
        server.gunicorn(
            APPS[app],
            gunicorn_options=gunicorn_options,
            env=app_env(app, fixtures),
            log_path=workdir / f"{app}-{workers}w.log",
        )
    )
    return f"{base_url}/alexa"


def run_all(
    workdir: Path, options: Options, scenarios: Sequence[Scenario], fixtures: Fixtures
) -> tuple[dict[str, list[load.Figures]], Extras]:
    """Warm up and measure each scenario; each scenario's rounds by name, and the extras."""
    ordered = measurement_order(scenarios)
    figures: dict[str, list[load.Figures]] = {scenario.name: [] for scenario in ordered}
    with ExitStack() as servers:
        urls: dict[str, str] = {}
        for app in APPS:
            if any(scenario.app == app for scenario in scenarios):
                urls[app] = serve(
                    servers,
                    app,
                    fixtures,
                    workdir,
                    workers=options.workers,
                    options=options,
                )
        for scenario in ordered:
            url = urls[scenario.app]
            script = signed_run(scenario, url, fixtures, workdir)
            if options.warmup_s:
                load.run(url, script, duration_s=options.warmup_s, connections=options.connections)
        for round_number in range(1, options.rounds + 1):
            for scenario in round_order(scenarios):
                url = urls[scenario.app]
                script = signed_run(scenario, url, fixtures, workdir)
                measured = load.run(
                    url, script, duration_s=options.duration_s, connections=options.connections
                )
                figures[scenario.name].append(measured)
                _say(
                    f"  round {round_number}  {scenario.name:<28} "
                    f"{measured.requests_per_second:8.1f} req/s"
                )
        extras = Extras({}, {})
        for scenario in ordered:
            if scenario.app == HELLO:
                continue
            best = statistics.median(f.requests_per_second for f in figures[scenario.name])
            body = json.dumps(scenario.envelope(datetime.now(UTC))).encode("utf-8")
            half = paced.run(
                urls[scenario.app],
                body,
                fixtures.pki.headers(body),
                rate_per_s=best / 2,
                duration_s=options.duration_s,
            )
            extras.half_load[scenario.name] = half
            _say(
                f"  half load {scenario.name:<28} {half.rate_per_s:7.0f} req/s: "
                f"p99 {half.p99_ms:.1f} ms"
            )
        for app, url in urls.items():
            master = server.MASTERS.get(url.removesuffix("/alexa"))
            if master is not None:
                extras.worker_memory_mb[app] = startup.worker_memory_mb(master)
    return figures, extras


def measure_scaling(
    workdir: Path, options: Options, scenario: Scenario, fixtures: Fixtures
) -> Scaling:
    """`scenario` served by one gunicorn worker and by two (the same threads each), measured in
    rounds of one worker, two workers, one worker again."""
    connections = SCALING_CONNECTIONS_PER_WORKER * 2
    with ExitStack() as servers:
        urls = {
            workers: serve(
                servers, scenario.app, fixtures, workdir, workers=workers, options=options
            )
            for workers in (1, 2)
        }
        for url in urls.values():
            if options.warmup_s:
                script = signed_run(scenario, url, fixtures, workdir)
                load.run(url, script, duration_s=options.warmup_s, connections=connections)
        runs: dict[int, list[float]] = {1: [], 2: []}
        for round_number in range(1, options.rounds + 1):
            for workers in (1, 2, 1):
                url = urls[workers]
                script = signed_run(scenario, url, fixtures, workdir)
                measured = load.run(
                    url, script, duration_s=options.duration_s, connections=connections
                )
                runs[workers].append(measured.requests_per_second)
                _say(
                    f"  scaling round {round_number}  {workers} worker(s) "
                    f"{measured.requests_per_second:8.1f} req/s"
                )
    return Scaling(scenario.name, connections, runs[1], runs[2])


def parse_options(argv: Sequence[str] | None) -> tuple[Options, Path, bool, str]:
    """Options, the results path, whether to enforce the targets and the growth sizes, from
    the command line."""
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration",
        type=int,
        default=defaults.duration_s,
        help="seconds per measured run (default %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=defaults.warmup_s,
        help="seconds of warm-up per scenario (default %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=defaults.rounds,
        help="measured runs per scenario (default %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help="gunicorn workers for each app (default %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=defaults.threads,
        help="gunicorn threads per worker (default %(default)s)",
    )
    parser.add_argument(
        "--worker-class",
        choices=sorted(server.WORKER_CLASSES),
        default=defaults.worker_class,
        help="gunicorn's gthread worker, or production's waitress worker, for both apps "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=defaults.connections,
        help="wrk connections (default %(default)s)",
    )
    parser.add_argument(
        "--scenarios",
        default="",
        metavar="WORD[,WORD...]",
        help="only the Spine Coach scenarios whose name contains one of these words (any case; "
        "e.g. 'launch,pg'), with their baselines (default: all)",
    )
    parser.add_argument(
        "--scaling",
        action=argparse.BooleanOptionalAction,
        default=defaults.scaling,
        help="measure the first chosen scenario at one and two workers (default: on)",
    )
    parser.add_argument(
        "--postgres",
        default=defaults.postgres,
        metavar="URL|auto|none",
        help="the PostgreSQL server for the pg scenarios and growth: 'auto' takes "
        "TEST_DATABASE_URL or the machine's, if it answers (default %(default)s)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=report.RESULTS_PATH,
        help="where to write the results (default bench/results.json)",
    )
    parser.add_argument(
        "--enforce", action="store_true", help="exit 1 when a scenario misses a target"
    )
    parser.add_argument(
        "--growth",
        choices=["full", "quick", "none"],
        default="full",
        help="growth sizes: up to 1M rows, up to 100k, or none (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.duration <= MAX_RUN_S and 0 <= args.warmup <= MAX_RUN_S):
        parser.error(f"--duration and --warmup must be at most {MAX_RUN_S} s")
    if min(args.rounds, args.workers, args.threads, args.connections) < 1:
        parser.error("--rounds, --workers, --threads and --connections must be at least 1")
    words = tuple(word.strip() for word in args.scenarios.split(",") if word.strip())
    try:
        select(SCENARIOS, words)
    except ValueError as error:
        parser.error(str(error))
    options = Options(
        warmup_s=args.warmup,
        duration_s=args.duration,
        rounds=args.rounds,
        workers=args.workers,
        threads=args.threads,
        worker_class=args.worker_class,
        connections=args.connections,
        scenarios=words,
        scaling=args.scaling,
        postgres=args.postgres,
    )
    return options, args.output, args.enforce, args.growth


def postgres_server(choice: str) -> str | None:
    """The PostgreSQL server URL to use, or None."""
    if choice == "none":
        return None
    if choice == "auto":
        return growth.postgres_server()
    return choice


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if --enforce and a target is missed, 2 on errors."""
    options, output, enforce, growth_sizes = parse_options(argv)
    started = time.monotonic()
    chosen = select(SCENARIOS, options.scenarios)
    scaling: Scaling | None = None
    try:
        load.wrk_path()
        server_url = postgres_server(options.postgres)
        scenarios = chosen
        if server_url is None and any(s.database == POSTGRESQL for s in chosen):
            _say("no PostgreSQL: the pg scenarios are left out (and count as missed)")
            kept = [s for s in chosen if s.app != SPINE_POSTGRES]
            baselines = {s.baseline for s in kept}
            scenarios = tuple(s for s in kept if s.baseline is not None or s.name in baselines)
        with tempfile.TemporaryDirectory(prefix="spine-coach-bench-") as workdir, ExitStack() as db:
            postgres_url = None
            if any(s.app == SPINE_POSTGRES for s in scenarios) and server_url is not None:
                postgres_url = db.enter_context(postgres_schema(server_url, prefix="bench"))
            fixtures = prepare(Path(workdir), postgres_url)
            figures, extras = run_all(Path(workdir), options, scenarios, fixtures)
            spine = [s for s in scenarios if s.app != HELLO]
            if options.scaling and spine:
                scaling = measure_scaling(Path(workdir), options, spine[0], fixtures)
            cold = startup.cold_start(Path(workdir))
            timings: list[growth.Timing] = []
            if growth_sizes != "none":
                sizes = growth.SIZES if growth_sizes == "full" else growth.SIZES[:3]
                timings = growth.run(Path(workdir), server_url, sizes)
    except (load.LoadError, probe.ProbeError, server.ServerError) as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    result = report.rows(scenarios, figures)
    print(report.table(result))
    print(f"p99 at half the measured maximum (target <= {paced.P99_TARGET_MS:.0f} ms):")
    for name, half in extras.half_load.items():
        mark = "ok" if half.passed else "MISSED"
        print(
            f"  {name:<28} {half.rate_per_s:7.0f} req/s  p50 {half.p50_ms:5.1f} ms  "
            f"p99 {half.p99_ms:5.1f} ms  {mark}"
        )
    if scaling is not None:
        print(
            f"scaling, {scaling.scenario} ({scaling.connections} connections): 1 worker "
            f"{statistics.median(scaling.one_worker):.0f} req/s, 2 workers "
            f"{statistics.median(scaling.two_workers):.0f} req/s: {scaling.ratio:.2f}x "
            f"({min(scaling.ratios):.2f}-{max(scaling.ratios):.2f})"
        )
    print(
        f"cold start (import + create_app): median {cold.median_s:.2f} s, worst "
        f"{cold.worst_s:.2f} s (target < {cold.target_s:.0f} s) {'ok' if cold.passed else 'MISSED'}"
    )
    for app, sizes_mb in extras.worker_memory_mb.items():
        print(f"memory per worker ({app}): {', '.join(f'{mb:.0f} MiB' for mb in sizes_mb)}")
    if timings:
        print(growth.table(timings))
    times = audio_build.measure()
    print(
        f"coach audio (espeak, en-US): first build {times.first_build_s:.2f} s "
        f"({times.clips} clips, {times.tracks} tracks); rebuild {times.rebuild_s:.3f} s "
        f"({times.rebuild_synthesised} synthesised, {times.rebuild_tracks_built} built)"
    )
    left_out = sorted({s.name for s in chosen if s.baseline} - {s.name for s in scenarios})
    report.write(
        output,
        result,
        {
            **options.settings(),
            "audio_build": asdict(times),
            "half_load": {
                name: {**asdict(h), "passed": h.passed} for name, h in extras.half_load.items()
            },
            "worker_memory_mb": extras.worker_memory_mb,
            "scaling": scaling.as_json() if scaling else None,
            "cold_start": {**asdict(cold), "passed": cold.passed},
            "growth": growth.as_json(timings),
            "left_out": left_out,
        },
    )
    _say(f"wrote {output} ({time.monotonic() - started:.0f} s)")
    missed = (
        any(row.passed is False for row in result)
        or any(not h.passed for h in extras.half_load.values())
        or not cold.passed
        or any(not v["passed"] for v in growth.verdicts(timings))
        or bool(left_out)
    )
    return 1 if enforce and missed else 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
