"""The part of the manifests that comes from the catalog: the Messages tab's assistant view.

Its description and suggested prompts name the catalog's goals, so they are generated, not
written: after editing the goals, run

    .venv/bin/python -m bot.manifest --write      # rewrite that part of both manifests
    .venv/bin/python -m bot.manifest --check      # exit 1 when one is out of date

and paste the manifest into the app's settings again. Both manifests get it: manifest.yml (one
workspace, Socket Mode) and manifest.distribution.yml (any workspace, HTTP and OAuth).
tests/test_manifest.py fails while a manifest and the catalog disagree. Everything else in
them is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from bot import home
from bot.catalog import Catalog, CatalogError, load_catalog

BEGIN = "  # >>> generated from the catalog's goals by `python -m bot.manifest --write`: do not edit by hand"
END = "  # <<< end of the generated part"
DEFAULT_MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
DISTRIBUTION_MANIFEST = DEFAULT_MANIFEST.with_name("manifest.distribution.yml")


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as the rest of manifest.yml writes them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def generated(catalog: Catalog) -> str:
    """The lines between the markers: features.assistant_view, indented under `features:`."""
    text = yaml.dump(
        {"assistant_view": home.assistant_view(catalog)},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        indent=2,
    )
    body = "\n".join("  " + line if line else line for line in text.rstrip("\n").split("\n"))
    return f"{BEGIN}\n{body}\n{END}\n"


def update(manifest_text: str, catalog: Catalog) -> str:
    """The manifest with its generated part replaced (it must have both markers, once each)."""
    start, end = manifest_text.find(BEGIN), manifest_text.find(END)
    if start == -1 or end == -1 or end < start or manifest_text.count(BEGIN) != 1:
        raise ValueError("manifest.yml has no generated part: its markers are missing or repeated")
    return manifest_text[:start] + generated(catalog) + manifest_text[end + len(END) + 1 :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "manifest",
        nargs="*",
        type=Path,
        default=[DEFAULT_MANIFEST, DISTRIBUTION_MANIFEST],
        help="(default: both)",
    )
    parser.add_argument("--catalog", help="catalog folder (default: the bundled catalog/)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help="rewrite the generated part in place")
    what.add_argument("--check", action="store_true", help="exit 1 when the generated part is out of date")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not (args.write or args.check):
        sys.stdout.write(generated(catalog))
        return 0
    worst = 0
    for manifest in args.manifest:
        worst = max(worst, _one(manifest, catalog, args))
    return worst


def _one(manifest: Path, catalog: Catalog, args) -> int:
    try:
        text = manifest.read_text(encoding="utf-8")
        fresh = update(text, catalog)
    except (OSError, ValueError) as exc:
        print(f"{manifest}: {exc}", file=sys.stderr)
        return 2
    if args.write:
        if fresh != text:
            manifest.write_text(fresh, encoding="utf-8")
        print(f"{manifest}: assistant view generated from {len(catalog.goals)} goals")
        return 0
    if args.check:
        if fresh != text:
            print(
                f"{manifest} is out of date with the catalog: run python -m bot.manifest --write",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
