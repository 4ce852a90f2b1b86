"""Starting the explorer: loopback unless an address is given explicitly, uploads bounded, and
files served only from the named folders and the session's reports."""

from __future__ import annotations

import ipaddress

from genlens.app.files import MAX_UPLOAD_BYTES, Folders
from genlens.app.session import Session
from genlens.errors import GenlensError

LOOPBACK = "127.0.0.1"


def bind_host(host: str | None) -> str:
    """The address to bind: loopback unless `host` is given (an environment variable such as
    GRADIO_SERVER_NAME never widens it)."""
    if host is None:
        return LOOPBACK
    host = host.strip()
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise GenlensError(f"--host takes an IP address or localhost, got '{host}'") from None
    return host


def is_loopback(host: str) -> bool:
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


def launch(folders: Folders, host: str | None = None, port: int = 7860, device="cpu", block: bool = True):
    """Serve the page for the named folders; (page, local url). With block, return only when the server stops."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no usage pings
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise GenlensError('the explorer needs Gradio: pip install "genlens[app]"') from None
    from genlens.app.page import build_page

    session = Session(folders, device)
    page = build_page(session)
    page.queue(default_concurrency_limit=1)
    app, url, _ = page.launch(
        server_name=bind_host(host), server_port=port, share=False, prevent_thread_lock=True, quiet=True,
        allowed_paths=[str(session.reports), *map(str, session.folders.roots)], max_file_size=MAX_UPLOAD_BYTES,
        ssr_mode=False, show_error=True, inbrowser=False,
        theme=gradio.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]),  # no web fonts
    )
    if block:
        page.block_thread()
    return page, url


def free_port() -> int:
    """A loopback port nobody listens on now."""
    import socket

    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def serve_in_background(folders: list, log_path, port: int | None = None, timeout: float = 120.0):
    """(process, url) of `genlens serve` started in a child process and answering; for browser
    tests and screenshots. The child's output goes to log_path."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    port = port or free_port()
    args = [sys.executable, "-m", "genlens", "serve", "--port", str(port)]
    for folder in folders:
        args += ["--folder", str(folder)]
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://{LOOPBACK}:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    raise GenlensError(f"the explorer did not start: see {log_path}")
