"""gunicorn for production: `spine-coach serve --production`, or
`gunicorn -c python:skill.production` (the settings below are this module's attributes;
run that way, the start-up checks of `serve --production` are skipped).

- **gthread workers, one per usable CPU (at least 2), 4 threads each.** A request is mostly CPU
  (ask-sdk's envelope deserialization, the signature check), which one process runs on one
  core at a time (the GIL): more processes than cores only add memory. Its waits are database
  calls and, now and then, Amazon (the device time zone, up to 1.5 s; a signing chain on a
  cold cache, up to 2 s): threads keep the core busy with other requests meanwhile. It also
  keeps PostgreSQL connections bounded: a process uses at most one per thread (`2 * cores + 1`
  sync workers, each with its own pool, would open several times as many). At least 2
  processes, so a worker being restarted never leaves the instance unable to answer.
- **No preload.** Each worker builds the app after the fork, so no database connection,
  HTTP session, Redis client, lock or thread is ever shared by two processes, and a HUP
  reloads code and settings. `spine-coach serve --production` builds the app once in the
  master first, so a wrong setting stops start-up there with one message.
- **Graceful shutdown:** on SIGTERM gunicorn closes its sockets, lets each worker finish the
  requests it has (Alexa waits at most 8 s for one) for up to 20 s, then stops them and exits 0.
  20 s stays within the common orchestrators' grace periods (Kubernetes: 30 s).
- **The built app out of the garbage collector's sight:** once a worker has built the app,
  everything alive (the plan, strings, SDK models, SQLAlchemy) lives as long as the process;
  `gc.freeze()` moves it out of the collector's scans, so a full collection looks only at what
  requests made since: 3 ms instead of 60 on the 2-core machine, a pause every few thousand
  requests that held up every request queued behind it (the p99 of set starts at half load).
- **Logs:** every line JSON on stderr (`skill.web.logs`), gunicorn's own lines included; the app
  writes the access lines itself, with the request id, so gunicorn's access log stays off.

Any other gunicorn setting can be given in `GUNICORN_CMD_ARGS` (e.g. `--keep-alive 75`).
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn import glogging  # type: ignore[import-untyped]
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from skill.alexa.endpoint import EXTENSION
from skill.config import ENV_PREFIX
from skill.web import logs

APP = "skill:create_app()"
THREADS = 4
GRACEFUL_TIMEOUT_S = 20


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity; a container's CPU quota is not seen)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """One worker process per usable CPU, at least 2."""
    return max(2, usable_cpus())


# The settings, as gunicorn reads them from a config module.
wsgi_app = APP
worker_class = "gthread"
workers = default_workers()
threads = THREADS
graceful_timeout = GRACEFUL_TIMEOUT_S
preload_app = False
logger_class = "skill.production.JsonLogger"
proc_name = "spine-coach"
control_socket_disable = True  # gunicorn >= 25.1 makes a control socket in $HOME by default


def post_worker_init(worker: Any) -> None:
    """The worker has built its app: keep the collector off what lives as long as it."""
    gc.freeze()


def production_settings(
    *,
    bind: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    log_level: str = "info",
) -> dict[str, Any]:
    """This module's settings, with the command line's choices."""
    settings: dict[str, Any] = {
        "wsgi_app": wsgi_app,
        "worker_class": worker_class,
        "workers": workers or default_workers(),
        "threads": threads or THREADS,
        "graceful_timeout": graceful_timeout,
        "preload_app": preload_app,
        "logger_class": logger_class,
        "loglevel": log_level,
        "proc_name": proc_name,
        "control_socket_disable": control_socket_disable,
        "post_worker_init": post_worker_init,
    }
    if bind is not None:
        settings["bind"] = [bind]
    return settings


def bind_address(host: str, port: int) -> str:
    """gunicorn's --bind for a host name or address (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def startup_problems(app: Flask, *, host: str, insecure_local: bool) -> list[str]:
    """Why the app must not be served in production as configured (empty: it may be).

    Request verification off, or the /try simulator on, is for local trials: refused unless
    `insecure_local`, which is itself refused on any address other machines can reach.
    """
    insecure: list[str] = []
    if app.extensions[EXTENSION].verifier is None:
        insecure.append(f"request verification is off ({ENV_PREFIX}_VERIFY_REQUESTS=0)")
    if app.config.get("SIMULATOR"):
        insecure.append(f"the /try simulator is on ({ENV_PREFIX}_SIMULATOR=1)")
    if insecure_local and not is_loopback(host):
        return [f"--insecure-local serves on a loopback address only, not {host!r}"]
    if insecure and not insecure_local:
        return [
            f"refusing to serve in production: {problem}. Alexa's requests must be verified; "
            f"for a local load test give --insecure-local (loopback addresses only)"
            for problem in insecure
        ]
    return []


class JsonLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own lines (start, workers, signals, errors) as JSON through the root logger.

    It writes no access lines: the app does, with the request id (`skill.web.logs.init_app`).
    """

    def setup(self, cfg: Any) -> None:
        self.cfg = cfg
        level = self.LOG_LEVELS.get(str(cfg.loglevel).lower(), logging.INFO)
        logs.configure(level)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
        self.error_log.setLevel(level)

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


class ProductionServer(BaseApplication):  # type: ignore[misc]
    """gunicorn run in this process (it becomes the master) with the given settings, then
    whatever `GUNICORN_CMD_ARGS` sets; each worker builds its own app."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._settings = dict(settings)
        super().__init__(prog="spine-coach serve --production")

    def load_config(self) -> None:
        for name, value in self._settings.items():
            if name in self.cfg.settings:  # settings newer than the installed gunicorn: skip
                self.cfg.set(name, value)
        from_environment = self.cfg.get_cmd_args_from_env()
        if from_environment:
            parsed = self.cfg.parser().parse_args(from_environment)
            for name, value in vars(parsed).items():
                if value is not None and name != "args":
                    self.cfg.set(name.lower(), value)

    def load(self) -> Any:
        from skill import create_app

        return create_app()
