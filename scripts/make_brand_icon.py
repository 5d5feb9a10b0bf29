#!/usr/bin/env python3
"""Draw EV Ledger's brand icon: icon.png (256 px) and icon@2x.png (512 px) in brand/.

A white lightning bolt over two ledger lines, in a rounded green square on a
transparent background, drawn at 4x and scaled down for smooth edges. The files
follow the brand image rules (square PNG, 256x256 and 512x512). They live in the
integration's own `brand/` folder, which Home Assistant 2026.3 and later serve through
its brands API (local images take priority over the brands CDN), so they travel with
the HACS install.

Usage: .venv/bin/python scripts/make_brand_icon.py [--out DIR]
       (default: custom_components/ev_ledger/brand/)
Needs Pillow (installed in .venv with Home Assistant).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"icon.png": 256, "icon@2x.png": 512}
OVERSAMPLE = 4

BACKGROUND_TOP = (0x1B, 0x9E, 0x5A)  # green
BACKGROUND_BOTTOM = (0x11, 0x6E, 0x8C)  # teal-blue
FOREGROUND = (0xFF, 0xFF, 0xFF)
LEDGER_LINE = (0xFF, 0xFF, 0xFF, 0x8C)

# The bolt on a 100 x 100 grid (the whole icon).
BOLT = (
    (57.0, 10.0),
    (25.0, 54.0),
    (46.0, 54.0),
    (39.0, 90.0),
    (75.0, 42.0),
    (53.0, 42.0),
    (63.0, 10.0),
)


def draw(size: int) -> Image.Image:
    """The icon at `size` x `size` pixels, RGBA."""
    big = size * OVERSAMPLE
    scale = big / 100.0

    # Vertical gradient, then cut to a rounded square.
    gradient = Image.new("RGBA", (big, big))
    pixels = ImageDraw.Draw(gradient)
    for y in range(big):
        t = y / (big - 1)
        colour = tuple(
            round(top + (bottom - top) * t)
            for top, bottom in zip(BACKGROUND_TOP, BACKGROUND_BOTTOM, strict=True)
        )
        pixels.line([(0, y), (big, y)], fill=(*colour, 255))
    mask = Image.new("L", (big, big), 0)
    margin = 4 * scale
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, big - margin, big - margin), radius=22 * scale, fill=255
    )
    icon = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)

    # Two ledger lines behind the bolt, then the bolt.
    overlay = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    width = round(5 * scale)
    for line_y in (66.0, 78.0):
        pen.line(
            [(16 * scale, line_y * scale), (84 * scale, line_y * scale)],
            fill=LEDGER_LINE,
            width=width,
        )
    icon = Image.alpha_composite(icon, overlay)
    bolt = [(x * scale, y * scale) for x, y in BOLT]
    ImageDraw.Draw(icon).polygon(bolt, fill=(*FOREGROUND, 255))
    return icon.resize((size, size), Image.Resampling.LANCZOS)


def main(argv: list[str]) -> int:
    """Write the icons and print their paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "custom_components" / "ev_ledger" / "brand"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, size in SIZES.items():
        path = out / name
        draw(size).save(path, optimize=True)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
