"""The benchmark's bookkeeping: choosing scenarios, targets by database, the ratios it reports."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bench import probe
from bench import profile as in_process_profile
from bench.__main__ import Scaling, parse_options, round_order
from bench.fixtures import prepare
from bench.load import Figures
from bench.report import rows
from bench.scenarios import POSTGRESQL, SCENARIOS, SPINE, SQLITE, Scenario, select
from bench.spine_app import CHAIN_PEM_ENV, DATABASE_URL_ENV, ROOT_PEM_ENV
from bench.spine_app import create as create_spine_app


def _names(scenarios: Iterable[Scenario]) -> list[str]:
    return [s.name for s in scenarios]


def test_a_subset_brings_its_baselines_and_nothing_else() -> None:
    assert _names(select(SCENARIOS, ["pg"])) == [
        "hello StartExercise",
        "pg StartExerciseIntent",
        "hello PlaybackStopped",
        "pg PlaybackStopped",
    ]
    assert _names(select(SCENARIOS, ["LAUNCH"])) == ["hello LaunchRequest", "spine LaunchRequest"]
    assert select(SCENARIOS, []) == SCENARIOS
    with pytest.raises(ValueError, match="no scenario matches 'nothing'"):
        select(SCENARIOS, ["nothing"])


def test_a_word_matching_no_scenario_is_refused_on_the_command_line() -> None:
    with pytest.raises(SystemExit):
        parse_options(["--scenarios", "nothing"])
    options = parse_options(["--scenarios", "pg, launch", "--no-scaling"])[0]
    assert options.scenarios == ("pg", "launch")
    assert not options.scaling


def test_each_round_brackets_the_sqlite_and_postgresql_runs_with_the_baseline() -> None:
    chosen = select(SCENARIOS, ["StartExercise"])
    assert _names(round_order(chosen)) == [
        "hello StartExercise",
        "spine StartExerciseIntent",
        "pg StartExerciseIntent",
        "hello StartExercise",
    ]


def test_the_targets_are_by_database() -> None:
    targets = {s.name: (s.database, s.target_ratio) for s in SCENARIOS if s.baseline}
    assert targets["spine PlaybackStopped"] == (SQLITE, 0.8)
    assert targets["pg PlaybackStopped"] == (POSTGRESQL, 0.6)
    assert all(target is not None for _, target in targets.values())
    assert all(s.target_ratio is None for s in SCENARIOS if s.baseline is None)


def _run(rate: float) -> Figures:
    return Figures(requests=int(rate), requests_per_second=rate, p50_ms=1.0, p99_ms=2.0)


def test_a_ratio_of_0_7_passes_on_postgresql_and_fails_on_sqlite() -> None:
    chosen = select(SCENARIOS, ["StartExercise"])
    figures = {
        "hello StartExercise": [_run(1000), _run(1000)],
        "spine StartExerciseIntent": [_run(700)],
        "pg StartExerciseIntent": [_run(700)],
    }
    verdicts = {row.scenario: (row.ratio, row.passed) for row in rows(chosen, figures)}
    assert verdicts == {
        "hello StartExercise": (None, None),
        "spine StartExerciseIntent": (0.7, False),
        "pg StartExerciseIntent": (0.7, True),
    }


def test_scaling_compares_two_workers_with_the_one_worker_runs_around_them() -> None:
    scaling = Scaling("spine LaunchRequest", 8, [100, 300, 200, 200], [300, 500])
    assert scaling.ratios == [1.5, 2.5]
    assert scaling.ratio == 2.0


def test_the_worker_class_is_gthread_unless_production_s_is_asked_for() -> None:
    default = parse_options([])[0].settings()["gunicorn"]
    production = parse_options(["--worker-class", "production"])[0].settings()["gunicorn"]
    assert isinstance(default, list)
    assert isinstance(production, list)
    assert default[default.index("--worker-class") + 1] == "gthread"
    assert production[production.index("--worker-class") + 1] == "skill.production.WaitressWorker"


def test_every_sqlite_scenario_gets_the_answer_its_probe_expects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bench refuses to measure an app that answers something else: check the expected
    # answers against today's wording, so a changed sentence fails here and not in `make bench`.
    fixtures = prepare(tmp_path)
    monkeypatch.setenv(DATABASE_URL_ENV, fixtures.database_url)
    monkeypatch.setenv(ROOT_PEM_ENV, str(fixtures.root_pem))
    monkeypatch.setenv(CHAIN_PEM_ENV, str(fixtures.chain_pem))
    server = make_server("127.0.0.1", 0, create_spine_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/alexa"
        checked = []
        for scenario in SCENARIOS:
            if scenario.app != SPINE:
                continue
            body = json.dumps(scenario.envelope(datetime.now(UTC))).encode()
            probe.check(url, body, fixtures.pki.headers(body), scenario.expected_speech)
            checked.append(scenario.name)
        assert len(checked) == 5
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.slow
def test_the_in_process_profile_prints_a_row_per_scenario_with_positive_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "profile.json"
    arguments = ["--requests", "20", "--postgres", "none", "--output", str(output)]
    assert in_process_profile.main(arguments) == 0
    printed = capsys.readouterr().out.splitlines()
    sqlite = [s.name for s in SCENARIOS if s.database == SQLITE]
    for name in sqlite:
        (row,) = [line for line in printed if line.startswith(f"{name} ")]
        bare_us, spine_us, ratio = row.removeprefix(name).split()[:3]
        assert float(bare_us) > 0
        assert float(spine_us) > 0
        assert float(ratio.removesuffix("x")) > 0
    written = json.loads(output.read_text())
    assert [s["name"] for s in written["scenarios"]] == sqlite
    assert written["postgres_commit_floor"] is None
    for scenario in written["scenarios"]:
        assert scenario["samples"]["spine"] > 0
        # The sampled layers share out the whole plain median.
        assert sum(scenario["layers_us"].values()) == pytest.approx(scenario["spine_us"])
        # The bare skill verifies nothing and has no database: none of its samples land there.
        assert scenario["bare_layers_us"][in_process_profile.VERIFY] == 0
        assert scenario["bare_layers_us"][in_process_profile.DB_SQL] == 0
        # Every Spine Coach scenario reads or writes the patient's rows.
        assert scenario["per_request"]["sqlite3 statements"] >= 1
        assert scenario["isolated_us"]["verify"] > 0
