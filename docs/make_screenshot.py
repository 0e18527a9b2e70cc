"""Regenerate docs/sandbox.png: a full guided conversation in the local sandbox page.

    .venv/bin/python docs/make_screenshot.py [--out docs/sandbox.png] [--chromium /usr/bin/chromium]

It starts the sandbox the way a person does (`usecase-bot run --mode sandbox`, no Slack tokens)
on a free port, drives the page in headless Chromium with Playwright (the `playwright` package
from the test extras, Debian's `chromium`; no browser is downloaded): `/usecase`, a goal, the
questions, and takes the picture with the thread open on the answered questions and the
recommendation. The goal and the answers come from the catalog, so the picture follows it.
Emoji need a colour emoji font (Debian: fonts-noto-color-emoji).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = "boost-retention-upsell-cross-sell"
USE_CASE = "mitigate-high-value-churn"  # the answers say Yes to the question pointing here
VIEWPORT = {"width": 1400, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sandbox(port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["LOG_LEVEL"] = "WARNING"
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--mode", "sandbox", "--port", str(port), "--no-browser"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the sandbox exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the sandbox did not answer /healthz within 20 seconds")


def the_conversation():
    """The goal and the answers (Yes to the question pointing to USE_CASE, No to the others)."""
    from bot.catalog import load_catalog

    catalog = load_catalog()
    goal = catalog.goal(GOAL)
    answers = [
        "Yes" if USE_CASE in c.points_to and len(c.points_to) == 1 else "No" for c in goal.considerations
    ]
    if "Yes" not in answers:
        raise SystemExit(f"no question of {GOAL} points to {USE_CASE} alone: update GOAL/USE_CASE")
    return goal, answers, catalog.use_cases[USE_CASE]


def take(url: str, out: Path, chromium: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    goal, answers, use_case = the_conversation()
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.wait_for_selector("body[data-loaded='true'][data-sse='open']")

        page.locator("#composer").fill("/usecase")
        page.locator("#composer").press("Enter")
        page.get_by_role("button", name=f"Choose {goal.name}").click()
        thread = page.locator("#thread-messages > .message")
        for index, label in enumerate(answers):
            expect(thread.last).to_contain_text(f"Question {index + 1} of {len(answers)}")
            question = page.locator(
                f"#thread-messages > .message[data-ts='{thread.last.get_attribute('data-ts')}']"
            )
            question.get_by_role("button", name=label, exact=True).click()
            expect(question).to_contain_text(f"answered {label}")
        expect(thread.last.locator(".bk-header")).to_have_text(f"Recommended: {use_case.name}")

        # settle: no focus ring, no hover, the thread scrolled so that the last answers and
        # the top of the recommendation show together
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.mouse.move(700, 600)
        page.evaluate(
            """(answered) => {
            const scroller = document.getElementById('thread-scroller');
            const messages = scroller.querySelectorAll('#thread-messages > .message');
            const first = messages[Math.max(1, messages.length - 1 - answered)];
            scroller.scrollTop = first.offsetTop - scroller.offsetTop - 8;
        }""",
            2,
        )
        page.wait_for_timeout(300)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "sandbox.png")
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
