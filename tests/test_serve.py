"""genlens serve: the explorer binds loopback, reads only the named folders, checks uploads, and
works in a real browser (headless Chromium): invert, steer, refuse a path outside the folders."""

import io
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlens.app.files import MAX_SIDE, MAX_UPLOAD_BYTES, Folders, checked_image
from genlens.app.server import LOOPBACK, bind_host, serve_in_background
from genlens.errors import GenlensError

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_bind_address_is_loopback_unless_given(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    assert bind_host(None) == LOOPBACK
    assert bind_host("0.0.0.0") == "0.0.0.0"
    with pytest.raises(GenlensError, match="IP address"):
        bind_host("example.com; rm -rf /")


def test_a_path_leaving_the_named_folders_is_refused(tmp_path):
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    (inside / "sub").mkdir(parents=True)
    outside.mkdir()
    Image.new("RGB", (8, 8)).save(inside / "sub" / "a.png")
    (outside / "secret.png").write_bytes(b"secret")
    (inside / "link.png").symlink_to(outside / "secret.png")
    folders = Folders([inside])
    assert folders.resolve("sub/a.png") == (inside / "sub" / "a.png").resolve()
    assert folders.resolve(str(inside / "sub" / "a.png")) == (inside / "sub" / "a.png").resolve()
    for name in ["../outside/secret.png", "sub/../../outside/secret.png", str(outside / "secret.png"), "/etc/passwd", "link.png", ""]:
        with pytest.raises(GenlensError):
            folders.resolve(name)
    assert folders.images() == ["sub/a.png"]  # the link that leaves the folder is not listed


def test_uploads_must_be_images_of_bounded_size(tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (40, 30), "red").save(good)
    assert checked_image(good).size == (40, 30)
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(GenlensError, match="not a readable image"):
        checked_image(tmp_path / "text.png")
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(GenlensError, match="limit"):
        checked_image(big)
    wide = tmp_path / "wide.png"
    Image.new("L", (MAX_SIDE + 1, 1)).save(wide)
    with pytest.raises(GenlensError, match="largest side"):
        checked_image(wide)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("gradio")
    folder = tmp_path_factory.mktemp("images")
    Image.new("RGB", (32, 32), (200, 40, 40)).save(folder / "red.png")
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("secret")
    proc, url = serve_in_background([folder], folder.parent / "serve.log")
    yield {"url": url, "folder": folder, "outside": outside}
    proc.terminate()
    proc.wait(10)


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


def test_the_server_serves_no_file_outside_the_named_folders(server):
    assert _status(f"{server['url']}/gradio_api/file={server['folder'] / 'red.png'}") == 200  # the control
    for path in [server["outside"], "/etc/passwd", f"{server['folder']}/../{server['outside'].parent.name}/secret.txt"]:
        assert _status(f"{server['url']}/gradio_api/file={path}") in (403, 404)


def _not_blank(png: bytes) -> float:
    """The standard deviation of a screenshot's pixels: near 0 for a blank area."""
    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float32).std())


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_in_the_browser_invert_steer_and_refuse_a_path(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        outside = []  # the page must work offline: no font, script or ping from elsewhere
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server["url"], "data:", "blob:")) else None)
        page.goto(server["url"])
        page.locator("#invert").click()
        images = page.locator("#gallery img")
        images.nth(3).wait_for(timeout=120_000)  # the source and three samples
        assert images.count() == 4
        assert _not_blank(page.locator("#gallery").screenshot()) > 10
        page.screenshot(path=str(tmp_path / "invert.png"))

        page.get_by_role("tab", name="Steer").click()
        slider = page.locator("#alpha input[type=range]")
        box = slider.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        steered = page.locator("#steered img")
        steered.wait_for(timeout=120_000)
        assert _not_blank(page.locator("#steered").screenshot()) > 10
        assert float(page.locator("#alpha input[type=number]").input_value()) > 2

        page.get_by_role("tab", name="Invert").click()
        page.get_by_role("radio", name="file").check()
        name = page.locator("#file input")
        name.fill("../../../etc/passwd")
        name.press("Enter")
        page.locator("#invert").click()
        page.get_by_text("is not a file inside the named folders").first.wait_for(timeout=30_000)
        browser.close()
    assert outside == []


def test_serve_answers_a_missing_folder_or_a_bad_host_in_one_line(cli_fast, tmp_path):
    r = cli_fast("serve", "--folder", str(tmp_path / "none"))
    assert r.returncode == 2 and "is not a folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli_fast("serve", "--host", "bad host")
    assert r.returncode == 2 and "IP address" in r.stderr


def test_the_views_find_what_the_world_says(tmp_path):
    from genlens.app import views
    from genlens.app.session import Session

    session = Session(Folders([]), reports=tmp_path, link_pairs=400)
    ranking, chart, report = views.depict_ranking(session, "world-cnn-shortcut", "shortcut", rows=80, repeats=1)
    assert ranking[0][0] == "background_pattern" and "<svg" in chart and Path(report).is_file()
    strip, label, report = views.sweep_unit(session, "world-cnn-planted", 3)  # unit 3 was tied to the colour
    assert label == "unit 3: selective (color)" and strip.width > strip.height and Path(report).is_file()
    with pytest.raises(GenlensError, match="out of range"):
        views.sweep_unit(session, "world-cnn-planted", 500)
