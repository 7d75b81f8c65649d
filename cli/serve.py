"""`subsidy serve`: the web calculator and the HTTP API, in this one process.

The web stack (FastAPI, uvicorn, Jinja2) is imported only when the command runs, so every other command starts
as fast as before.
"""

from __future__ import annotations

from typing import Any

import click

from guangxi_subsidy.engine.i18n import _

from .common import State, friendly_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default, localhost, is reachable from this machine only).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes answering requests (each loads the rules once); one per core for throughput.")
@click.pass_obj
@friendly_errors
def serve(state: State, host: str, port: int, workers: int) -> None:
    """Serve the policy calculator (Chinese, English by a switch) and the HTTP API (/api/v1, /openapi.json).

    \b
    Examples:
      subsidy serve                    # http://127.0.0.1:8000/
      subsidy serve --port 8080
    """
    import os

    import uvicorn

    from guangxi_subsidy.engine.evaluation.evaluate import Engine
    from guangxi_subsidy.engine.web import workers as pool
    from guangxi_subsidy.engine.web.app import create_app, settled

    options: dict[str, Any] = dict(log_level="warning", timeout_keep_alive=5, limit_concurrency=200,
                                   h11_max_incomplete_event_size=64 * 1024, server_header=False)
    state.pack  # noqa: B018 - a bad rule pack is refused here, with exit 2, before any worker starts
    try:
        port = pool.free_or_refuse(host, port)
    except pool.PortInUse:
        raise click.BadParameter(_("{host}:{port} is in use (another server?): choose another with --port")
                                 .format(host=host, port=port), param_hint="--port") from None
    except OSError as error:
        raise click.BadParameter(f"{host}: {error.strerror}", param_hint="--host") from None
    click.echo(_("Serving on http://{host}:{port}/ (Ctrl-C to stop)").format(host=host, port=port), err=True)
    if workers == 1:
        uvicorn.run(settled(create_app(state.rules, Engine(state.pack))), host=host, port=port, **options)
        return
    os.environ["SUBSIDY_RULES"] = os.pathsep.join(str(p) for p in state.rules)
    try:
        pool.serve(host, port, workers, options)
    except pool.WorkerFailed as error:
        raise click.ClickException(str(error)) from None
