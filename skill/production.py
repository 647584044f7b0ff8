"""gunicorn for production: `spine-coach serve --production`, or
`gunicorn -c python:skill.production` (the settings below are this module's attributes;
run that way, the start-up checks of `serve --production` are skipped).

- **Each worker serves with waitress (`WaitressWorker`), one per usable CPU (at least 2), 4
  threads each.** gunicorn supervises (forks, restarts, signals, logs, hooks); in each worker,
  waitress's event loop reads every request whole (headers and body, a large body spooled to a
  temporary file) before a thread sees it, so a slow client holds a socket and a buffer, never
  a thread. gunicorn's own gthread worker gave a thread to each connection while it read the
  request: ten clients sending a byte every two seconds took all 8 threads (issue 15). A
  request still being read after `REQUEST_READ_TIMEOUT_S`, an answer the client takes no byte
  of for as long, or a connection idle between requests for gunicorn's `--keep-alive` (2 s), is
  closed; each worker holds at most `--worker-connections` (1000) connections.
- **Why threads and not more processes:** a request is mostly CPU (ask-sdk's envelope
  deserialization, the signature check), which one process runs on one core at a time (the
  GIL): more processes than cores only add memory. Its waits are database calls and, now and
  then, Amazon (the device time zone, up to 1.5 s; a signing chain on a cold cache, up to 2 s):
  threads keep the core busy with other requests meanwhile. It also keeps PostgreSQL
  connections bounded: a process uses at most one per thread. At least 2 processes, so a
  worker being restarted never leaves the instance unable to answer.
- **No preload.** Each worker builds the app after the fork, so no database connection,
  HTTP session, Redis client, lock or thread is ever shared by two processes, and a HUP
  reloads code and settings. `spine-coach serve --production` builds the app once in the
  master first, so a wrong setting stops start-up there with one message.
- **Graceful shutdown:** on SIGTERM gunicorn closes its sockets; each worker stops accepting,
  closes its idle and half-read connections, answers the requests it has (Alexa waits at most
  8 s for one) for up to 20 s, then exits, and gunicorn exits 0. 20 s stays within the common
  orchestrators' grace periods (Kubernetes: 30 s).
- **The built app out of the garbage collector's sight:** once a worker has built the app,
  everything alive (the plan, strings, SDK models, SQLAlchemy) lives as long as the process;
  `gc.freeze()` moves it out of the collector's scans, so a full collection looks only at what
  requests made since: 3 ms instead of 60 on the 2-core machine, a pause every few thousand
  requests that held up every request queued behind it (the p99 of set starts at half load).
- **Logs:** every line JSON on stderr (`skill.web.logs`), gunicorn's and waitress's own lines
  included; the app writes the access lines itself, with the request id, so gunicorn's access
  log stays off.

Any other gunicorn setting can be given in `GUNICORN_CMD_ARGS` (e.g. `--keep-alive 75`).
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import socket
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn import glogging  # type: ignore[import-untyped]
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from gunicorn.workers.base import Worker  # type: ignore[import-untyped]
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, TcpWSGIServer, UnixWSGIServer
from waitress.task import ThreadedTaskDispatcher

from skill.alexa.endpoint import EXTENSION
from skill.config import ENV_PREFIX
from skill.web import logs

APP = "skill:create_app()"
THREADS = 4
GRACEFUL_TIMEOUT_S = 20
# How long a client may take to send one whole request, headers and body, from its first
# byte. Alexa's are a few kilobytes, sent at once; a client still sending after this is cut off.
REQUEST_READ_TIMEOUT_S = 10.0
# A request body larger than this, or than the app's own limit (MAX_CONTENT_LENGTH) if that is
# larger, is refused by waitress before it is buffered whole (413). The app's limit (128 KiB by
# default) refuses smaller ones itself, with its access line.
MAX_REQUEST_BODY_BYTES = 1024 * 1024


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
worker_class = "skill.production.WaitressWorker"
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


def startup_problems(
    app: Flask, *, host: str, insecure_local: bool, processes: int = 1
) -> list[str]:
    """Why the app must not be served in production as configured (empty: it may be).

    Request verification off, or the /try simulator on, is for local trials: refused unless
    `insecure_local`, which is itself refused on any address other machines can reach. So is
    counting /care's code attempts in memory (`memory://`) with more than one worker process:
    each would count alone, allowing `processes` times the attempts.
    """
    insecure: list[str] = []
    if app.extensions[EXTENSION].verifier is None:
        insecure.append(f"request verification is off ({ENV_PREFIX}_VERIFY_REQUESTS=0)")
    if app.config.get("SIMULATOR"):
        insecure.append(f"the /try simulator is on ({ENV_PREFIX}_SIMULATOR=1)")
    if not app.config.get("REFUSE_REPLAYS", True):
        insecure.append(f"replayed requests are not refused ({ENV_PREFIX}_REFUSE_REPLAYS=0)")
    if insecure_local and not is_loopback(host):
        return [f"--insecure-local serves on a loopback address only, not {host!r}"]
    problems = [
        f"refusing to serve in production: {problem}. Alexa's requests must be verified; "
        f"for a local load test give --insecure-local (loopback addresses only)"
        for problem in insecure
    ]
    if insecure_local:
        problems = []
    elif processes > 1 and in_memory_rate_limits(app):
        problems.append(
            f"refusing to serve in production: {processes} worker processes would each count "
            f"caregiver code attempts in their own memory ({ENV_PREFIX}_RATELIMIT_STORAGE_URL="
            f"{rate_limit_storage(app)}), allowing {processes} times as many. Set "
            f"{ENV_PREFIX}_RATELIMIT_STORAGE_URL=redis://host:6379 (shared by every worker and "
            f"instance), or serve with --workers 1"
        )
    return problems


def startup_warnings(app: Flask) -> list[str]:
    """What may be served, but should be said."""
    warnings = []
    if not app.config.get("SESSION_COOKIE_SECURE"):
        warnings.append(
            f"session cookies are sent over plain HTTP too ({ENV_PREFIX}_SESSION_COOKIE_SECURE=0):"
            f" anyone on the network path can read a caregiver's session. Only for a trial "
            f"without HTTPS; unset it behind a TLS proxy"
        )
    return warnings


def rate_limit_storage(app: Flask) -> str:
    return str(app.config.get("RATELIMIT_STORAGE_URL") or "memory://")


def in_memory_rate_limits(app: Flask) -> bool:
    """Whether /care's code attempts are counted in each process's memory."""
    return rate_limit_storage(app).split("://", 1)[0].lower() == "memory"


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


class DeadlineChannel(HTTPChannel):  # type: ignore[misc]
    """waitress's connection, remembering when the request it is reading began."""

    reading: Any = None  # the request being read (waitress's parser), None between requests
    reading_since: float | None = None

    def received(self, data: bytes) -> bool:
        result: bool = super().received(data)
        if self.request is None:
            self.reading, self.reading_since = None, None
        elif self.request is not self.reading:
            self.reading, self.reading_since = self.request, time.time()
        return result


class Deadlines(BaseWSGIServer):  # type: ignore[misc]
    """A waitress server whose periodic maintenance (every second) closes the connections that
    are taking too long: a request read for longer than `read_timeout`, an answer the client
    has taken no byte of for as long, or nothing asked for `idle_timeout` since the last
    answer (or since the connection opened). A connection whose request a thread is answering
    is left alone."""

    channel_class = DeadlineChannel
    read_timeout = REQUEST_READ_TIMEOUT_S
    idle_timeout = 2.0

    def maintenance(self, now: float) -> None:
        for channel in list(self.active_channels.values()):
            if channel.requests:
                continue
            since = channel.reading_since
            if channel.total_outbufs_len:  # an answer still to send: since the last byte sent
                since, timeout = channel.last_activity, self.read_timeout
            elif since is None:  # between requests: idle since the last byte read or written
                since, timeout = channel.last_activity, self.idle_timeout
            else:  # reading a request: since its first byte, however often bytes come
                timeout = self.read_timeout
            if since < now - timeout:
                channel.will_close = True


class TcpServer(Deadlines, TcpWSGIServer):  # type: ignore[misc]
    pass


class UnixServer(Deadlines, UnixWSGIServer):  # type: ignore[misc]
    pass


class WaitressWorker(Worker):  # type: ignore[misc]
    """A gunicorn worker that serves its listening sockets with waitress: one event loop reads
    whole requests, `--threads` threads run the app on them. gunicorn's `--keep-alive` is the
    idle timeout between requests, `--worker-connections` the most connections held at once."""

    def run(self) -> None:
        # waitress warns at every request that waits for a free thread ("Task queue depth"):
        # under load, a line per request. Requests queue silently, as in gunicorn's own workers.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        socket_map: dict[int, Any] = {}
        adjustments = Adjustments(
            threads=self.cfg.threads,
            connection_limit=self.cfg.worker_connections,
            cleanup_interval=1,
            channel_timeout=max(self.cfg.keepalive, 1),
            max_request_body_size=max(
                MAX_REQUEST_BODY_BYTES,
                getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH") or 0,
            ),
            # The app reads X-Forwarded-* itself (PROXY_HOPS): waitress leaves them alone.
            clear_untrusted_proxy_headers=False,
            ident="",
            asyncore_use_poll=True,
        )
        tasks = ThreadedTaskDispatcher()
        tasks.set_thread_count(adjustments.threads)
        servers = []
        for listener in self.sockets:
            sock = listener.sock
            server_class = TcpServer if sock.family != socket.AF_UNIX else UnixServer
            server = server_class(
                self.wsgi,
                socket_map,
                _sock=sock,
                dispatcher=tasks,
                adj=adjustments,
                bind_socket=False,
                sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
            )
            server.idle_timeout = max(self.cfg.keepalive, 1)
            servers.append(server)
        try:
            while self.alive:
                self.notify()
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
                wasyncore.loop(timeout=1.0, map=socket_map, use_poll=True, count=1)
            self.drain(servers, socket_map)
        finally:
            tasks.shutdown(cancel_pending=True, timeout=1)

    def drain(self, servers: list[Any], socket_map: dict[int, Any]) -> None:
        """Stop accepting, close idle and half-read connections, and answer the requests
        already read, for up to the graceful timeout."""
        for server in servers:
            server.accepting = False
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline:
            busy = False
            for server in servers:
                for channel in list(server.active_channels.values()):
                    if channel.requests or channel.total_outbufs_len:
                        busy = True
                    else:
                        channel.will_close = True
            if not busy and not any(server.active_channels for server in servers):
                return
            self.notify()
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)
