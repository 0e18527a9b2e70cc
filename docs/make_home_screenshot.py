"""Regenerate docs/home.png: the bot's Home tab in the local sandbox page, as a person first sees it.

    .venv/bin/python docs/make_home_screenshot.py [--out docs/home.png] [--chromium /usr/bin/chromium]

Like docs/make_screenshot.py (whose helpers it uses): the sandbox started the way a person does,
headless Chromium driven by Playwright, no browser downloaded. It opens the DM with the app, whose
Home tab shows first, and takes the whole tab: what the bot does, the catalog by goal, help.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

from make_screenshot import CHROMIUM_ARGS, TIMEOUT_MS, free_port, start_sandbox  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1180}  # tall enough for the whole Home tab of the bundled catalog
BOT_DM = "D0LAN0Z89"


def take(url: str, out: Path, chromium: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.wait_for_selector("body[data-loaded='true'][data-sse='open']")
        page.locator(f".sidebar-item[data-channel-id='{BOT_DM}']").click()
        expect(page.locator("#home-view .bk-header")).to_have_text("Find the right Segment use case")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.mouse.move(1390, 1170)
        page.wait_for_timeout(300)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "home.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not os.access(args.chromium, os.X_OK):
        raise SystemExit(f"{args.chromium} is missing: apt-get install -y chromium")
    port = free_port()
    server = start_sandbox(port)
    try:
        take(f"http://127.0.0.1:{port}/", args.out, args.chromium)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
