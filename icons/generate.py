#!/usr/bin/env python3
"""Draws Deskbell's app and tray icons (a white bell on a state-coloured disc).

Stdlib only, so a fresh machine can regenerate them: python3 icons/generate.py
The PNGs are committed; run this only when the design changes.
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

STATES = {
    "icon": (0x2B, 0x6C, 0xB0),           # app icon: Deskbell blue
    "tray-connected": (0x2E, 0x9E, 0x5B),  # green
    "tray-degraded": (0xE0, 0x9A, 0x1F),   # amber: reconnecting
    "tray-offline": (0x8A, 0x8F, 0x98),    # grey: offline or sign-in needed
    "tray-dnd": (0xC2, 0x3B, 0x3B),        # red: do not disturb
}


def inside_bell(x, y):
    """x, y in [0, 1]; true where the white bell glyph is."""
    cx = 0.5
    # dome: half ellipse on top of the body
    if 0.25 <= y <= 0.45 and ((x - cx) / 0.22) ** 2 + ((y - 0.45) / 0.2) ** 2 <= 1:
        return True
    # body: widens slightly toward the rim
    if 0.45 <= y <= 0.66:
        half = 0.22 + (y - 0.45) * 0.35
        return abs(x - cx) <= half
    # rim
    if 0.66 <= y <= 0.71:
        return abs(x - cx) <= 0.32
    # clapper
    return ((x - cx) / 0.07) ** 2 + ((y - 0.76) / 0.06) ** 2 <= 1


def pixel(x, y, colour):
    r = ((x - 0.5) ** 2 + (y - 0.5) ** 2) ** 0.5
    if r > 0.48:
        return (0, 0, 0, 0)
    if inside_bell(x, y):
        return (255, 255, 255, 255)
    return colour + (255,)


def render(size, colour, ss=4):
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    p = pixel((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size, colour)
                    for i in range(4):
                        acc[i] += p[i]
            row += bytes(v // (ss * ss) for v in acc)
        rows.append(bytes(row))
    return b"".join(rows)


def png(size, raw):
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    for name, colour in STATES.items():
        sizes = [32, 128, 512] if name == "icon" else [64]
        for size in sizes:
            fname = {32: "32x32.png", 128: "128x128.png", 512: "icon.png"}[size] if name == "icon" else f"{name}.png"
            with open(os.path.join(HERE, fname), "wb") as f:
                f.write(png(size, render(size, colour)))


if __name__ == "__main__":
    main()
