#!/usr/bin/env python3
"""Writes web/app/favicon.ico: the edustats mark (three rising bars, white on the dashboard's
blue), drawn here so the icon is our own and needs no image library.

The ICO holds one 32x32 PNG (ICO files may embed PNG since Windows Vista; every current
browser reads them). Run it again after changing the drawing; the output is deterministic.

    python3 web/make-favicon.py
"""
import pathlib
import struct
import zlib

SIZE = 32
BLUE = (0x2F, 0x6F, 0xAB, 0xFF)
WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR = (0, 0, 0, 0)
# Bars as (left, right, top) in pixels; all stand on the baseline at y = 26.
BARS = [(7, 11, 17), (14, 18, 11), (21, 25, 6)]
RADIUS = 6


def pixel(x, y):
    # Rounded square: clear outside the rounded corners.
    for cx, cy in ((RADIUS, RADIUS), (SIZE - 1 - RADIUS, RADIUS),
                   (RADIUS, SIZE - 1 - RADIUS), (SIZE - 1 - RADIUS, SIZE - 1 - RADIUS)):
        outside_x = (x < cx) if cx == RADIUS else (x > cx)
        outside_y = (y < cy) if cy == RADIUS else (y > cy)
        if outside_x and outside_y and (x - cx) ** 2 + (y - cy) ** 2 > RADIUS ** 2:
            return CLEAR
    if any(left <= x <= right and top <= y <= 26 for left, right, top in BARS):
        return WHITE
    return BLUE


def png():
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def ico(image):
    # ICONDIR (reserved, type 1 = icon, one image), then one ICONDIRENTRY, then the PNG.
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image


if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent / "app" / "favicon.ico"
    out.write_bytes(ico(png()))
    print(f"wrote {out} ({out.stat().st_size} bytes)")
