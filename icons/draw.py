"""Draw the workflow's icons as 512x512 RGBA PNG files.

The icons are:

- ``icon.png``: the workflow's own icon, an orange padlock with a three-dot code on a navy
  rounded square;
- one round badge with a white glyph for each session state: ``valid.png`` (check mark),
  ``expiring.png`` (clock), ``expired.png`` (cross), ``none.png`` (empty ring),
  ``unusable.png`` ("no entry" bar), ``error.png`` (exclamation mark) and ``code.png``
  (three dots, as in a code field).

Every shape is a signed distance function: negative inside, positive outside, in pixels.
A pixel's coverage is read from the distance at its centre (``0.5 - distance``, clamped),
which anti-aliases every edge without supersampling. Only the standard library is used,
and the output is the same, byte for byte, on every run.

Run it with any Python 3.10 or newer; the PNG files are written next to this script:

    python icons/draw.py
"""

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

SIZE = 512
CENTRE = SIZE / 2
HERE = Path(__file__).resolve().parent

Colour = tuple[float, float, float]
Paint = Colour | Callable[[float], Colour]


class Shape(NamedTuple):
    """A signed distance function, and a box (x0, y0, x1, y1) that holds the whole shape."""

    sdf: Callable[[float, float], float]
    box: tuple[float, float, float, float]


# Colours


def hex_colour(text: str) -> Colour:
    """Turn "#rrggbb" into three floats from 0 to 1."""
    return tuple(int(text[i : i + 2], 16) / 255 for i in (1, 3, 5))


def vertical_gradient(top: str, bottom: str, y0: float, y1: float) -> Callable[[float], Colour]:
    """A paint that goes from the top colour at y0 to the bottom colour at y1."""
    a, b = hex_colour(top), hex_colour(bottom)

    def paint(y: float) -> Colour:
        t = min(1.0, max(0.0, (y - y0) / (y1 - y0)))
        return tuple(p + (q - p) * t for p, q in zip(a, b, strict=True))

    return paint


# Shapes


def circle(cx: float, cy: float, r: float) -> Shape:
    """A filled disc."""
    return Shape(lambda x, y: math.hypot(x - cx, y - cy) - r, (cx - r, cy - r, cx + r, cy + r))


def ring(cx: float, cy: float, r: float, width: float) -> Shape:
    """A circle's outline, `width` thick, centred on radius r."""
    half = width / 2
    outer = r + half
    return Shape(
        lambda x, y: abs(math.hypot(x - cx, y - cy) - r) - half,
        (cx - outer, cy - outer, cx + outer, cy + outer),
    )


def rounded_rect(x0: float, y0: float, x1: float, y1: float, radius: float) -> Shape:
    """A filled rectangle whose corners are quarter circles of the given radius."""
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2 - radius, (y1 - y0) / 2 - radius

    def sdf(x: float, y: float) -> float:
        qx, qy = abs(x - cx) - hx, abs(y - cy) - hy
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        inside = min(max(qx, qy), 0.0)
        return outside + inside - radius

    return Shape(sdf, (x0, y0, x1, y1))


def segment_distance(x: float, y: float, ax: float, ay: float, bx: float, by: float) -> float:
    """The distance from (x, y) to the segment from (ax, ay) to (bx, by)."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else ((x - ax) * dx + (y - ay) * dy) / length2
    t = min(1.0, max(0.0, t))
    return math.hypot(x - ax - t * dx, y - ay - t * dy)


def polyline(points: list[tuple[float, float]], width: float) -> Shape:
    """A stroke through the points, `width` thick, with round caps and joins."""
    half = width / 2
    pairs = list(zip(points, points[1:], strict=False))

    def sdf(x: float, y: float) -> float:
        return min(segment_distance(x, y, *a, *b) for a, b in pairs) - half

    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return Shape(sdf, (min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half))


def line(ax: float, ay: float, bx: float, by: float, width: float) -> Shape:
    """A straight stroke with round caps."""
    return polyline([(ax, ay), (bx, by)], width)


def arch(cx: float, cy: float, r: float, bottom: float, width: float) -> Shape:
    """An upside-down U: the top half of a ring whose two ends run straight down to y=bottom."""
    half = width / 2

    def sdf(x: float, y: float) -> float:
        if y <= cy:
            return abs(math.hypot(x - cx, y - cy) - r) - half
        below = max(0.0, y - bottom)
        return math.hypot(abs(abs(x - cx) - r), below) - half

    return Shape(sdf, (cx - r - half, cy - r - half, cx + r + half, bottom + half))


def union(*shapes: Shape) -> Shape:
    """Everything inside any of the shapes."""
    sdfs = [s.sdf for s in shapes]
    box = (
        min(s.box[0] for s in shapes),
        min(s.box[1] for s in shapes),
        max(s.box[2] for s in shapes),
        max(s.box[3] for s in shapes),
    )
    return Shape(lambda x, y: min(f(x, y) for f in sdfs), box)


# Canvas


class Canvas:
    """A square of premultiplied RGBA floats, transparent to begin with."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self.pixels = [0.0] * (size * size * 4)

    def fill(self, shape: Shape, paint: Paint, opacity: float = 1.0) -> None:
        """Lay the paint over the canvas wherever the shape covers it."""
        x0, y0, x1, y1 = shape.box
        first_x, last_x = max(0, int(x0) - 1), min(self.size, int(math.ceil(x1)) + 1)
        first_y, last_y = max(0, int(y0) - 1), min(self.size, int(math.ceil(y1)) + 1)
        sdf, px = shape.sdf, self.pixels
        for row in range(first_y, last_y):
            y = row + 0.5
            r, g, b = paint(y) if callable(paint) else paint
            base = row * self.size * 4
            for column in range(first_x, last_x):
                distance = sdf(column + 0.5, y)
                if distance >= 0.5:
                    continue
                alpha = opacity if distance <= -0.5 else opacity * (0.5 - distance)
                keep = 1.0 - alpha
                i = base + column * 4
                px[i] = r * alpha + px[i] * keep
                px[i + 1] = g * alpha + px[i + 1] * keep
                px[i + 2] = b * alpha + px[i + 2] * keep
                px[i + 3] = alpha + px[i + 3] * keep

    def png(self) -> bytes:
        """The canvas as a PNG file: 8-bit RGBA, no interlacing, no ancillary chunks."""
        rows = bytearray()
        px = self.pixels
        for row in range(self.size):
            rows.append(0)  # filter type: none
            base = row * self.size * 4
            for i in range(base, base + self.size * 4, 4):
                alpha = px[i + 3]
                if alpha <= 0.0:
                    rows += b"\0\0\0\0"
                    continue
                for value in (px[i] / alpha, px[i + 1] / alpha, px[i + 2] / alpha, alpha):
                    rows.append(min(255, int(value * 255 + 0.5)))
        header = struct.pack(">IIBBBBB", self.size, self.size, 8, 6, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b"")
        )


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


# Icons

WHITE = (1.0, 1.0, 1.0)
BADGE_RADIUS = 236
STROKE = 46  # the width of every white line on a badge


def badge(top: str, bottom: str, glyph: Shape) -> Canvas:
    """A round badge shaded from top to bottom colour, with the glyph on it in white."""
    canvas = Canvas()
    low, high = CENTRE - BADGE_RADIUS, CENTRE + BADGE_RADIUS
    canvas.fill(circle(CENTRE, CENTRE, BADGE_RADIUS), vertical_gradient(top, bottom, low, high))
    canvas.fill(glyph, WHITE)
    return canvas


def clock() -> Shape:
    """A clock face showing three o'clock."""
    hands = polyline([(256, 170), (256, 256), (326, 256)], STROKE - 6)
    return union(ring(CENTRE, CENTRE, 136, STROKE - 6), hands)


def check_glyph() -> Shape:
    return polyline([(150, 262), (222, 334), (364, 190)], STROKE + 6)


def cross_glyph() -> Shape:
    return union(line(170, 170, 342, 342, STROKE + 6), line(342, 170, 170, 342, STROKE + 6))


def exclamation_glyph() -> Shape:
    return union(line(256, 140, 256, 272, STROKE + 12), circle(256, 364, 33))


def dots_glyph() -> Shape:
    return union(*(circle(x, 256, 36) for x in (156, 256, 356)))


def workflow_icon() -> Canvas:
    """An orange padlock, with a three-dot code on its body, on a navy rounded square."""
    canvas = Canvas()
    backdrop = vertical_gradient("#31465f", "#141c27", 20, 492)
    canvas.fill(rounded_rect(20, 20, 492, 492, 108), backdrop)
    orange = vertical_gradient("#ffae33", "#f08400", 100, 410)
    canvas.fill(arch(256, 204, 74, 250, 42), orange)
    body = rounded_rect(142, 232, 370, 410, 40)
    canvas.fill(body, orange)
    navy = hex_colour("#1b2634")
    for x in (196, 256, 316):
        canvas.fill(circle(x, 321, 23), navy)
    return canvas


def all_icons() -> dict[str, Callable[[], Canvas]]:
    """Every icon's file name, and how to draw it."""
    return {
        "icon.png": workflow_icon,
        "valid.png": lambda: badge("#3ccf6e", "#1c8c44", check_glyph()),
        "expiring.png": lambda: badge("#ffbf3d", "#e08a00", clock()),
        "expired.png": lambda: badge("#bd7474", "#8a4848", cross_glyph()),
        "none.png": lambda: badge("#b3b9c1", "#858c96", ring(CENTRE, CENTRE, 108, STROKE)),
        "unusable.png": lambda: badge("#848b95", "#575e68", line(150, 256, 362, 256, STROKE + 18)),
        "error.png": lambda: badge("#f0525a", "#c0242c", exclamation_glyph()),
        "code.png": lambda: badge("#4a97f0", "#1e62c4", dots_glyph()),
    }


def main() -> None:
    for name, draw in all_icons().items():
        path = HERE / name
        path.write_bytes(draw().png())
        print(f"{path} ({path.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
