"""``chronolex serve BUNDLE…``: the decision service, on uvicorn.

The command is the edge where the outside world comes in: it reads the clock (the
service is handed a :class:`SystemClock`), the environment (tokens), the bundles, the
store and the decision log, checks that the address is safe to bind, and runs the
application that ``chronolex.create_app`` builds (docs/serve.md).

With ``--workers N`` the command runs N processes (``chronolex.cli.workers``), each on
its own socket, each building its application (:func:`worker_app`) from the settings
this command checked. They share the store and the decision log (SQLite serializes
their writes; the log's chain is extended inside each write) and add up their metrics
in a temporary directory.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import uvicorn

import chronolex
from chronolex.cli._common import check_input_file, error_text, fail, resolve_bundle
from chronolex.cli.workers import Supervisor, reuse_port_sockets

logger = logging.getLogger("chronolex.serve")

#: The environment variables that may hold one token of each kind (besides --token-file).
PLATFORM_TOKEN_VARIABLE = "CHRONOLEX_PLATFORM_TOKEN"
READ_TOKEN_VARIABLE = "CHRONOLEX_READ_TOKEN"
#: prometheus_client's own variable: the directory where processes share their metrics.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class SystemClock:
    """The machine's clock: UTC wall time and the monotonic counter."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the service on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _tokens(token_file: str | None) -> chronolex.Tokens:
    platform = [os.environ[PLATFORM_TOKEN_VARIABLE]] if os.environ.get(PLATFORM_TOKEN_VARIABLE) else []
    read = [os.environ[READ_TOKEN_VARIABLE]] if os.environ.get(READ_TOKEN_VARIABLE) else []
    from_file = chronolex.read_tokens(token_file) if token_file else chronolex.Tokens()
    from_env = chronolex.Tokens.of(platform, read)
    return chronolex.Tokens.of([t.decode() for t in (*from_file.platform, *from_env.platform)],
                               [t.decode() for t in (*from_file.read, *from_env.read)])


def _log_to_stderr() -> None:
    """The service's own messages (reloads, workers) at INFO, beside uvicorn's."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")


def _bundles(references: Sequence[str]) -> tuple[dict[str, chronolex.Bundle], dict[str, Path]]:
    """Each bundle checked as ``validate`` checks it; one with an error is refused (exit 2)."""
    bundles: dict[str, chronolex.Bundle] = {}
    sources: dict[str, Path] = {}
    for reference in references:
        path, version = resolve_bundle(reference)
        if version:
            fail(f"{reference}: serve takes bundles, not BUNDLE@VERSION (the version in force is chosen by time)")
        report = chronolex.check_bundle(path, solver=True)
        if report.bundle is None or not report.ok:
            errors = [d for d in report.diagnostics if d.severity is chronolex.Severity.ERROR]
            fail(error_text(chronolex.ChronolexError(errors)) if errors else f"{reference}: the bundle did not load")
        bundle = report.bundle
        if bundle.name in bundles:
            fail(f"two bundles are named {bundle.name!r} ({sources[bundle.name]} and {path}): serve each name once")
        bundles[bundle.name] = bundle
        sources[bundle.name] = path.resolve()
    return bundles, sources


@click.command()
@click.argument("bundles", nargs=-1, required=True)
@click.option("--db", "db_path", envvar="CHRONOLEX_DB", show_envvar=True, type=click.Path(dir_okay=False),
              help="The event store: facts are derived from it, and POST /v1/events appends to it (created if "
                   "missing). Without it, decisions need the facts in the request.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False),
              help="The decision log: every decision is appended to it before its answer is sent (created if "
                   "missing).")
@click.option("--no-log", is_flag=True, help="Keep no decision log (decisions then have no decision_id).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to bind. A non-loopback address needs tokens (or --insecure).")
@click.option("--port", type=click.IntRange(0, 65535), default=8181, show_default=True)
@click.option("--token-file", type=click.Path(dir_okay=False),
              help="A YAML or JSON file with 'platform:' and 'read:' tokens (also: CHRONOLEX_PLATFORM_TOKEN, "
                   "CHRONOLEX_READ_TOKEN).")
@click.option("--insecure", is_flag=True, help="Allow a non-loopback address without tokens.")
@click.option("--reload-interval", type=click.FloatRange(min=0), default=5.0, show_default=True, metavar="SECONDS",
              help="How often to look for changed bundle files (0: only POST /v1/admin/reload).")
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=chronolex.ServiceLimits().max_body_bytes,
              show_default=True, help="The largest request body accepted (larger: 413).")
@click.option("--max-batch", type=click.IntRange(min=1), default=chronolex.ServiceLimits().max_batch,
              show_default=True, help="The most decisions in one POST /v1/decide (more: 413).")
@click.option("--max-events", type=click.IntRange(min=1), default=chronolex.ServiceLimits().max_events,
              show_default=True, help="The most events in one POST /v1/events (more: 413).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes answering on the one address (about one per core); they share the store, "
                   "the decision log and the metrics.")
@click.option("--access-log", is_flag=True, help="Log every request (uvicorn's access log).")
def serve(bundles: Sequence[str], db_path: str | None, log_path: str | None, no_log: bool, host: str, port: int,
          token_file: str | None, insecure: bool, reload_interval: float, max_body_bytes: int, max_batch: int,
          max_events: int, workers: int, access_log: bool) -> None:
    """Serve decisions over HTTP: the decision service (docs/serve.md).

    POST /v1/decide decides (on given facts, or on the store's events) and appends each
    decision to the decision log before answering; POST /v1/events appends events;
    GET /v1/accounts/ID/why and /timeline, /v1/bundles, /v1/diff answer as the
    commands do; /healthz, /readyz, /metrics and /openapi.json describe the service.
    Bundles are reloaded when their files change, after a full check.
    """
    if log_path and no_log:
        fail("give --log FILE or --no-log, not both")
    if not log_path and not no_log:
        fail("give --log FILE (the decision log every decision is appended to), or --no-log to keep none")
    if token_file:
        check_input_file(token_file, "--token-file")
    tokens = _tokens(token_file)
    if not tokens.any and not is_loopback(host) and not insecure:
        fail(f"--host {host} is not a loopback address and no tokens are given: anyone who can reach it could "
             "decide and append events. Give --token-file (or CHRONOLEX_PLATFORM_TOKEN and CHRONOLEX_READ_TOKEN), "
             "or --insecure if something in front of the service checks callers")
    loaded, sources = _bundles(bundles)
    limits = chronolex.ServiceLimits(max_body_bytes, max_batch, max_events)
    _log_to_stderr()
    if workers > 1:
        _serve_workers(workers, host, port, access_log, {
            "bundles": [str(path) for path in sources.values()], "db": db_path, "log": log_path,
            "token_file": token_file, "reload_interval": reload_interval,
            "limits": [max_body_bytes, max_batch, max_events]})
        return
    store = chronolex.EventStore(db_path, create=True) if db_path else None
    log = chronolex.DecisionLog(log_path, create=True) if log_path else None
    state = chronolex.ServiceState(SystemClock(), loaded, sources, store=store, log=log)
    app = chronolex.create_app(state, tokens=tokens, limits=limits, reload_interval=reload_interval or None)
    try:
        uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info",
                    timeout_graceful_shutdown=10)
    finally:
        if log is not None:
            log.close()
        if store is not None:
            store.close()


def _serve_workers(workers: int, host: str, port: int, access_log: bool, settings: dict[str, object]) -> None:
    """Run ``workers`` processes of :func:`run_worker`, each on its own socket, until
    SIGINT or SIGTERM (exit 1 if they keep dying as they start)."""
    # Created here, once, so that no two workers race to create the same file.
    for path, kind in ((settings["db"], chronolex.EventStore), (settings["log"], chronolex.DecisionLog)):
        if path:
            kind(str(path), create=True).close()
    try:
        sockets = reuse_port_sockets(host, port, workers)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    with tempfile.TemporaryDirectory(prefix="chronolex-metrics-") as shared:
        # prometheus_client reads it when a worker first imports it (the workers are fresh interpreters)
        os.environ[METRICS_DIR_VARIABLE] = shared
        bound = sockets[0].getsockname()
        logger.info("serving on http://%s:%d with %d workers (press CTRL+C to stop)",
                    host if ":" not in host else f"[{host.strip('[]')}]", bound[1], workers)
        code = Supervisor(sockets, run_worker, (json.dumps({**settings, "metrics": shared}), access_log)).run()
    if code:
        raise SystemExit(code)


def run_worker(sock: socket.socket, settings: str, access_log: bool) -> None:
    """One worker of ``serve --workers``: its application on uvicorn, on its own socket."""
    app = worker_app(json.loads(settings))
    config = uvicorn.Config(app, access_log=access_log, log_level="info", timeout_graceful_shutdown=10)
    uvicorn.Server(config).run(sockets=[sock])


def worker_app(settings: dict[str, Any]) -> Any:
    """The application of one worker, built from the settings the command checked
    (the bundles are checked again: a file may have changed meanwhile)."""
    _log_to_stderr()
    try:
        loaded, sources = _bundles(settings["bundles"])
    except click.ClickException as exc:
        logger.error("%s", exc.format_message())
        raise SystemExit(2) from None
    store = chronolex.EventStore(settings["db"]) if settings["db"] else None
    log = chronolex.DecisionLog(settings["log"]) if settings["log"] else None
    for opened in (store, log):
        if opened is not None:
            atexit.register(opened.close)
    state = chronolex.ServiceState(SystemClock(), loaded, sources, store=store, log=log)
    return chronolex.create_app(state, tokens=_tokens(settings["token_file"]),
                                limits=chronolex.ServiceLimits(*settings["limits"]),
                                reload_interval=settings["reload_interval"] or None,
                                shared_metrics=Path(settings["metrics"]))
