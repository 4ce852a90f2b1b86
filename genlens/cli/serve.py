"""`genlens serve`: the local web explorer over every method."""

from __future__ import annotations

from pathlib import Path

import typer

from genlens.cli import options
from genlens.cli.app import app
from genlens.progress import stderr


@app.command("serve")
def serve_command(
    host: str = typer.Option(None, "--host", help="Address to bind (default 127.0.0.1; another only when given here)."),
    port: int = typer.Option(7860, "--port", help="Port to listen on.", min=1, max=65535),
    folder: list[Path] = typer.Option(None, "--folder", help="A folder whose images the page may open (repeatable)."),
    device: str = options.Device,
):
    """Serve the explorer: invert, steer, sweep units, rank concepts with DEPICT and audit, in the browser.

    Needs the app extra: pip install "genlens[app]".
    """
    from genlens.app.files import Folders
    from genlens.app.server import bind_host, is_loopback, launch
    from genlens.device import resolve_device

    folders = Folders(list(folder or []))
    dev = resolve_device(device)
    address = bind_host(host)
    if not is_loopback(address):
        stderr.print(f"[yellow]warning:[/] serving on {address}: anyone who can reach it can use the page", highlight=False)
    stderr.print(f"genlens explorer on http://{address}:{port} (Ctrl-C stops it)", highlight=False)
    launch(folders, address, port, dev)
