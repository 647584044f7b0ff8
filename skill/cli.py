"""The `spine-coach` command: serve the skill, migrate the database, print sample requests."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from skill import create_app
from skill.coach_audio.build import (
    ALL_LOCALES,
    AudioBuildError,
    build_locales,
    built_locales,
    default_audio_dir,
)
from skill.coach_audio.manifest import MANIFEST_NAME, ManifestError
from skill.coach_audio.synthesis import EspeakEngine, GttsEngine
from skill.config import ConfigError
from skill.content.plan import PlanError
from skill.content.strings import StringsError
from skill.devtools import envelopes
from skill.store.engine import upgrade

LISTENING = """
Spine Coach is listening on http://{host}:{port}/alexa (request verification is {verification}).
"""
TRY_IN_BROWSER = """\
Try it in a browser, as a bedside Echo:  http://{host}:{port}/try
"""
TRY_IT = """\
Talk to it in this terminal:             {script} chat
Or send Alexa's own request:
  {script} sample-request launch | curl -s -H 'Content-Type: application/json' \\
      --data-binary @- http://{host}:{port}/alexa
"""


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def cli() -> None:
    """Spine Coach: an Alexa skill for recovery after spinal fusion."""


@cli.command(with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--production",
    is_flag=True,
    help="Serve with gunicorn and waitress: whole requests read before a thread sees them, "
    "JSON logs, graceful shutdown on SIGTERM.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (--production) [default: one per usable CPU, at least 2].",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per worker (--production) [default: 4].",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="The lowest level logged (--production) [default: info].",
)
@click.option(
    "--insecure-local",
    is_flag=True,
    help="Allow --production with request verification off (or /try on), on a loopback "
    "address only: for local load tests, never for Alexa.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    production: bool,
    workers: int | None,
    threads: int | None,
    log_level: str | None,
    insecure_local: bool,
) -> None:
    """Serve the skill over HTTP: Werkzeug, or gunicorn with --production (HTTPS in front)."""
    if not production:
        given = [
            name
            for name, value in (
                ("--workers", workers),
                ("--threads", threads),
                ("--log-level", log_level),
                ("--insecure-local", insecure_local or None),
            )
            if value is not None
        ]
        if given:
            raise click.UsageError(f"{', '.join(given)}: only with --production")
        from flask.cli import ScriptInfo

        app = ctx.ensure_object(ScriptInfo).load_app()
        verifying = app.extensions["spine_coach"].verifier is not None
        script = _script_path()
        shown = "localhost" if host in ("0.0.0.0", "::") else host
        click.echo(
            LISTENING.format(host=shown, port=port, verification="on" if verifying else "OFF")
        )
        if app.config.get("SIMULATOR"):
            click.echo(TRY_IN_BROWSER.format(host=shown, port=port))
        click.echo(TRY_IT.format(host=shown, port=port, script=script))
        # Flask's app.run() refuses to run inside its own CLI; Werkzeug's server is what it
        # would use.
        run_simple(host, port, app, threaded=True)
        return

    import gc

    from skill.alexa.endpoint import EXTENSION
    from skill.production import (
        ProductionServer,
        bind_address,
        production_settings,
        startup_problems,
        startup_warnings,
    )
    from skill.web import logs

    level = log_level or "info"
    logs.configure(level)  # before the app is built: every line from here on is JSON
    log = logging.getLogger("skill.serve")
    try:  # built once here, to fail with one clear line before any worker starts
        app = create_app()
    except (ConfigError, PlanError, StringsError, ManifestError) as error:
        log.critical("cannot start: %s", error)
        sys.exit(2)
    settings = production_settings(
        bind=bind_address(host, port), workers=workers, threads=threads, log_level=level
    )
    server = ProductionServer(settings)  # reads GUNICORN_CMD_ARGS: the workers it will run
    problems = startup_problems(
        app, host=host, insecure_local=insecure_local, processes=server.cfg.workers
    )
    for problem in problems:
        log.critical(problem)
    if problems:
        sys.exit(2)
    for warning in startup_warnings(app):
        log.warning(warning)
    if insecure_local and app.extensions[EXTENSION].verifier is None:
        log.warning(
            "!!! --insecure-local: serving WITHOUT request verification on %s:%d. "
            "Never put this behind a public address. !!!",
            host,
            port,
        )
    app.extensions[EXTENSION].engine.dispose()  # the workers build their own app and pools
    del app
    gc.collect()
    server.run()


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.option("--verbose", is_flag=True, help="Show each migration step (Alembic's log).")
@with_appcontext
def db_upgrade(revision: str, verbose: bool) -> None:
    """Migrate the database to the latest schema."""
    if verbose:
        logging.getLogger("alembic").setLevel(logging.INFO)
    url = current_app.config["DATABASE_URL_RESOLVED"]
    upgrade(url, revision)
    click.echo(f"Database migrated to {revision}.")


@cli.command("sample-request", with_appcontext=False)
@click.argument("kind", type=click.Choice(["launch", "phase", "help"]))
@click.option("--user", default=envelopes.DEFAULT_USER, show_default=True)
def sample_request(kind: str, user: str) -> None:
    """Print an Alexa request envelope to post to /alexa."""
    at = envelopes.now()
    if kind == "launch":
        body = envelopes.launch(at=at, user_id=user)
    elif kind == "phase":
        body = envelopes.intent("CurrentPhaseIntent", at=at, user_id=user)
    else:
        body = envelopes.intent("AMAZON.HelpIntent", at=at, user_id=user)
    click.echo(json.dumps(body, indent=2))


@cli.command("build-audio", with_appcontext=False)
@click.option(
    "--locale",
    default=ALL_LOCALES,
    show_default=True,
    help="The locale to render, or 'all': every locale the plan and the strings have.",
)
@click.option(
    "--engine",
    "engine_name",
    type=click.Choice(["gtts", "espeak"]),
    default="gtts",
    show_default=True,
    help="gTTS (Google, online) or espeak-ng (offline, for tests and local runs).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The audio folder [default: $SPINE_COACH_AUDIO_DIR, else the repository's audio/].",
)
@click.option(
    "--missing-only",
    is_flag=True,
    help="Render only the locales the manifest lacks or has out of date (what `make run` does).",
)
def build_audio_command(
    locale: str, engine_name: str, out: Path | None, missing_only: bool
) -> None:
    """Render the coach's phrases and guided sets as MP3 clips and tracks, with a manifest."""
    engine = EspeakEngine() if engine_name == "espeak" else GttsEngine()
    audio_dir = out or default_audio_dir()
    try:
        reports = build_locales(
            audio_dir,
            locales=None if locale == ALL_LOCALES else [locale],
            engine=engine,
            missing_only=missing_only,
        )
    except AudioBuildError as error:
        raise click.ClickException(str(error)) from error
    for report in reports:
        click.echo(report.summary())
    if not reports:
        built = ", ".join(built_locales(audio_dir))
        click.echo(f"Coach audio up to date ({built}): {audio_dir / MANIFEST_NAME}")


@cli.command("check-model", with_appcontext=False)
@click.argument(
    "paths",
    nargs=-1,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
def check_model_command(paths: tuple[Path, ...]) -> None:
    """Lint interaction models offline [default: every interaction_model/*.json]."""
    from skill.devtools.model_check import check_files, default_models, handled_intents

    files = list(paths) or default_models()
    if not files:
        raise click.ClickException("no interaction models to check")
    problems = check_files(files, handlers=handled_intents())
    for problem in problems:
        click.echo(str(problem))
    errors = [problem for problem in problems if problem.severity == "error"]
    warnings = len(problems) - len(errors)
    if errors:
        click.echo(f"{len(errors)} problem(s) in {len(files)} model(s).", err=True)
        sys.exit(1)
    locales = ", ".join(path.stem for path in files)
    click.echo(
        f"OK: {len(files)} model(s) ({locales}) pass every check"
        + (f", {warnings} warning(s)." if warnings else ".")
    )


@cli.command("package", with_appcontext=False)
@click.option(
    "--endpoint",
    required=True,
    help="The skill's public HTTPS URL, e.g. https://your.host/alexa (port 443).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where ask-resources.json and skill-package/ are written.",
)
@click.option(
    "--certificate-type",
    type=click.Choice(["Wildcard", "Trusted", "SelfSigned"]),
    default="Wildcard",
    show_default=True,
    help="The endpoint's sslCertificateType.",
)
@click.option("--privacy-url", default=None, help="The privacy policy URL (every locale).")
@click.option("--terms-url", default=None, help="The terms of use URL (every locale).")
def package_command(
    endpoint: str,
    out: Path,
    certificate_type: str,
    privacy_url: str | None,
    terms_url: str | None,
) -> None:
    """Write an ASK CLI v2 skill package (skill.json and interaction models) to deploy."""
    from skill.devtools.skill_package import PackageError, write_package

    try:
        report = write_package(
            out,
            endpoint,
            certificate_type=certificate_type,
            privacy_url=privacy_url,
            terms_url=terms_url,
        )
    except PackageError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    click.echo(report.summary())


@cli.command("chat", with_appcontext=False)
@click.option(
    "--locale",
    default="en-US",
    show_default=True,
    help="The model, strings and spoken language (en-US, en-GB, nl-NL) to use.",
)
@click.option("--speak", is_flag=True, help="Speak answers with espeak-ng and play the clips.")
@click.option(
    "--time-zone",
    default="America/New_York",
    show_default=True,
    help="The simulated device's zone.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The virtual clock's first day, YYYY-MM-DD, from 10:00 in --time-zone [default: now].",
)
def chat_command(locale: str, speak: bool, time_zone: str, today: datetime | None) -> None:
    """Talk to the skill in the terminal, as if to an Echo by the bed."""
    logging.getLogger("skill.access").setLevel(logging.WARNING)  # the conversation, not the log

    from skill.coach_audio.manifest import load_manifest
    from skill.devtools.simulator.chat import HELP, Chat, Speaker
    from skill.devtools.simulator.local_api import LocalAlexaApi
    from skill.devtools.simulator.session import Simulator, start_of_day
    from skill.devtools.simulator.spoken_language import LocaleError
    from skill.devtools.simulator.understanding import Understanding
    from skill.web.audio import AUDIO_DIR_KEY

    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise click.BadParameter(
            f"{time_zone!r} is not an IANA time zone", param_hint="--time-zone"
        ) from error
    try:
        understanding = Understanding.for_locale(locale)
    except LocaleError as error:
        raise click.BadParameter(str(error), param_hint="--locale") from error

    # In-process, nothing is exposed: verification is off. Audio "hosted" at a made-up HTTPS
    # address lets the skill stream tracks to the simulated AudioPlayer. Amazon's APIs (time
    # zone, reminders) are answered locally, the reminders on the simulator's clock.
    alexa_api = LocalAlexaApi(time_zone)
    app = create_app(
        {
            "VERIFY_REQUESTS": False,
            "AUDIO_BASE_URL": "https://spine-coach.simulator/audio/",
            "ALEXA_API_CLIENT": alexa_api,
        }
    )
    upgrade(app.config["DATABASE_URL_RESOLVED"])  # a local tool: bring the database up to date
    manifest = load_manifest(app.config[AUDIO_DIR_KEY])
    simulator = Simulator(
        app.test_client(),
        understanding,
        at=start_of_day(today.date(), time_zone) if today else datetime.now(UTC),
        locale=locale,
        manifest=manifest,
        user_id="amzn1.ask.account.CHAT",
        time_zone=time_zone,
        alexa_api=alexa_api,
    )
    voice = understanding.spoken.espeak_voice
    speaker = Speaker(app.config[AUDIO_DIR_KEY], voice=voice) if speak else None
    chat = Chat(simulator, click.get_text_stream("stdout"), speaker)
    click.echo(HELP)
    chat.run(_typed_lines())


def _script_path() -> str:
    """This command as a newcomer would type it: relative to the working folder if inside."""
    script = Path(sys.executable).parent / "spine-coach"
    try:
        return f"./{script.relative_to(Path.cwd())}"
    except ValueError:
        return str(script)


def _typed_lines() -> Iterator[str]:
    """Lines from the terminal with editing and history (readline), or from a pipe."""
    if sys.stdin.isatty():
        try:
            import readline

            history = Path.home() / ".spine_coach_history"
            with contextlib.suppress(OSError):
                readline.read_history_file(history)
            atexit.register(lambda: readline.write_history_file(history))
        except ImportError:  # pragma: no cover - Windows
            pass
        while True:
            try:
                yield input("you> ")
            except EOFError:
                return
    else:
        for line in sys.stdin:
            click.echo(f"you> {line.rstrip()}")
            yield line


def main() -> None:
    """Entry point of the `spine-coach` console script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # `db upgrade --verbose` shows it
    try:
        cli()
    except (ConfigError, PlanError, StringsError, ManifestError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
