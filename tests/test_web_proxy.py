"""Behind a reverse proxy: X-Forwarded-For is believed from the configured proxy only (`subsidy serve --proxy`),
never from a client; and the README's nginx example configuration is valid nginx (`nginx -t`, where installed)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from guangxi_subsidy.engine.web.connections import server_options

ROOT = Path(__file__).resolve().parent.parent
FORWARDED = [(b"x-forwarded-for", b"203.0.113.9")]


def client_seen(proxies: tuple[str, ...], peer: str) -> str:
    """The client address the application is given for a request from `peer` that says X-Forwarded-For."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"][0]

    config = uvicorn.Config(app, **server_options(proxies))
    config.load()
    scope = {"type": "http", "method": "GET", "path": "/", "headers": FORWARDED, "client": (peer, 50000),
             "scheme": "http", "query_string": b""}
    asyncio.run(config.loaded_app(scope, None, None))
    server_options(())  # the process's limits back to none
    return str(seen["client"])


def test_x_forwarded_for_is_believed_from_the_configured_proxy_only():
    assert client_seen(("127.0.0.5",), "127.0.0.5") == "203.0.113.9"
    assert client_seen(("127.0.0.5",), "127.0.0.1") == "127.0.0.1"  # not the proxy: its header is ignored
    assert client_seen((), "127.0.0.1") == "127.0.0.1"  # no proxy configured: believed from nobody


def readme_nginx() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1, "the README's deployment section shows one nginx configuration"
    return blocks[0]


def test_the_readme_nginx_example_sets_the_limits_and_the_trusted_header():
    conf = readme_nginx()
    for directive in ("client_header_timeout", "client_body_timeout", "limit_conn ", "client_max_body_size 20m",
                      "proxy_set_header X-Forwarded-For $remote_addr", "proxy_pass http://"):
        assert directive in conf


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_the_readme_nginx_example_passes_nginx_t(tmp_path):
    (tmp_path / "subsidy.conf").write_text(readme_nginx(), encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
                    f"  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
                    f"  proxy_temp_path {tmp_path}/proxy;\n"
                    f"  include {tmp_path}/subsidy.conf;\n}}\n", encoding="utf-8")
    checked = subprocess.run(["nginx", "-t", "-q", "-p", str(tmp_path), "-c", str(main)], capture_output=True,
                             text=True, timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr
