"""Screenshots of every view of `genlens serve` for docs/, taken in headless Chromium after each
view has run (about 8 minutes on a 2-core CPU: the Units view fits a link, the Audit view runs
`--quick`).

    python benchmarks/explorer_screenshots.py docs/
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from genlens.app.server import serve_in_background

VIEWS = ("invert", "steer", "units", "depict", "audit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--views", default=",".join(VIEWS))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    proc, url = serve_in_background([], work / "serve.log")
    wanted = args.views.split(",")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1300})
            page.goto(url)
            for view in wanted:
                t0 = time.time()
                globals()[f"_{view}"](page)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(args.out / f"explorer-{view}.png"), full_page=True)
                print(f"{view}: {time.time() - t0:.0f} s", flush=True)
            browser.close()
    finally:
        proc.terminate()


def _invert(page) -> None:
    page.locator("#invert").click()
    page.locator("#gallery img").nth(3).wait_for(timeout=300_000)


def _steer(page) -> None:
    page.get_by_role("tab", name="Steer").click()
    slider = page.locator("#alpha input[type=range]")
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.87, box["y"] + box["height"] / 2)
    page.locator("#steered img").wait_for(timeout=300_000)


def _units(page) -> None:
    page.get_by_role("tab", name="Units").click()
    page.locator("#unit input").fill("52")
    page.locator("#sweep").click()
    page.locator("#strip img").wait_for(timeout=600_000)


def _depict(page) -> None:
    page.get_by_role("tab", name="DEPICT").click()
    page.locator("#depict").click()
    page.locator("#depict-chart svg").wait_for(timeout=600_000)


def _audit(page) -> None:
    page.get_by_role("tab", name="Audit").click()
    page.locator("#classifier input").fill("world-cnn-shortcut")
    page.locator("#classifier input").press("Enter")
    page.locator("#audit").click()
    page.locator("#verdicts").get_by_text("DEPICT ranks").first.wait_for(timeout=900_000)


if __name__ == "__main__":
    main()
