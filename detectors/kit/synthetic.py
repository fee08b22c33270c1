"""Synthetic crests, liveries and scenes for tests and `scripts/bench_kit.py` (no real insignia anywhere).

Everything is drawn from a seed with OpenCV: shields, stars, rings, rays and made-up lettering.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from sharesafe.detector import RGBImage

_WORDS = ("NORTHSHIRE", "VALE", "CONSTABULARY", "SERVICE", "FORCE", "WARD", "MERE", "KESTON", "DUN", "ORR")


def _star(cx: float, cy: float, r: float, points: int = 5, inner: float = 0.45) -> npt.NDArray[np.int32]:
    pts = []
    for i in range(points * 2):
        ang = -math.pi / 2 + i * math.pi / points
        rr = r if i % 2 == 0 else r * inner
        pts.append((cx + rr * math.cos(ang), cy + rr * math.sin(ang)))
    return np.array(pts, dtype=np.int32)


def make_crest(seed: int, size: int = 256) -> tuple[RGBImage, npt.NDArray[np.uint8]]:
    """A made-up crest (RGB) and its mask (255 inside the shape), `size` px square."""
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    s = size
    base = tuple(int(c) for c in rng.integers(20, 200, 3))
    accent = tuple(int(c) for c in (255 - np.array(base) + rng.integers(-30, 30, 3)).clip(0, 255))
    metal = (int(rng.integers(180, 255)), int(rng.integers(150, 220)), int(rng.integers(30, 120)))
    shape = seed % 3
    if shape == 0:  # heraldic shield
        poly = np.array(
            [
                (0.1 * s, 0.08 * s),
                (0.9 * s, 0.08 * s),
                (0.9 * s, 0.5 * s),
                (0.5 * s, 0.95 * s),
                (0.1 * s, 0.5 * s),
            ],
            np.int32,
        )
        cv2.fillPoly(mask, [poly], 255)
    elif shape == 1:  # round badge
        cv2.circle(mask, (s // 2, s // 2), int(0.46 * s), 255, -1)
    else:  # star badge
        cv2.fillPoly(mask, [_star(s / 2, s / 2, 0.48 * s, 8, 0.75)], 255)
    img[mask > 0] = base
    # Border ring.
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(img, contours, -1, metal, max(2, s // 40))
    # Quarterings / stripes.
    for _ in range(int(rng.integers(1, 4))):
        a = rng.uniform(0, math.pi)
        off = rng.uniform(-0.2, 0.2) * s
        cx, cy = s / 2 + off * math.cos(a), s / 2 + off * math.sin(a)
        dx, dy = math.cos(a) * s, math.sin(a) * s
        cv2.line(img, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)), accent, max(2, s // 30))
    # Central emblem: a star, a ring of small stars, rays.
    cv2.fillPoly(img, [_star(s / 2, s * 0.42, s * rng.uniform(0.12, 0.2), int(rng.integers(5, 9)))], metal)
    for k in range(int(rng.integers(5, 12))):
        ang = 2 * math.pi * k / 12 + rng.uniform(0, 0.3)
        r = s * 0.3
        cv2.fillPoly(img, [_star(s / 2 + r * math.cos(ang), s * 0.45 + r * math.sin(ang), s * 0.035)], accent)
    cv2.circle(img, (s // 2, int(s * 0.42)), int(s * rng.uniform(0.22, 0.27)), metal, max(1, s // 80))
    # Lettering along the bottom.
    words = [_WORDS[int(i)] for i in rng.choice(len(_WORDS), 2, replace=False)]
    for line, word in enumerate(words):
        scale = s / 256 * (0.75 if len(word) < 8 else 0.5)
        (tw, _th), _ = cv2.getTextSize(word, cv2.FONT_HERSHEY_DUPLEX, scale, 1)
        org = (int((s - tw) / 2), int(s * (0.7 + 0.1 * line)))
        cv2.putText(
            img, word, org, cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), max(1, s // 200), cv2.LINE_AA
        )
    img[mask == 0] = 0
    return img, mask


def random_background(seed: int, width: int = 960, height: int = 720) -> RGBImage:
    """A cluttered generated background (gradients, blobs, lines) with no crest in it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    c0, c1 = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
    t = (x / width * rng.uniform(0.2, 1) + y / height * rng.uniform(0.2, 1)) / 2
    img = (c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]).astype(np.uint8)
    for _ in range(40):
        color = tuple(int(v) for v in rng.integers(0, 255, 3))
        kind = rng.integers(0, 3)
        p = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if kind == 0:
            cv2.circle(img, p, int(rng.integers(5, 80)), color, -1)
        elif kind == 1:
            q = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            cv2.line(img, p, q, color, int(rng.integers(1, 6)))
        else:
            q = (p[0] + int(rng.integers(10, 150)), p[1] + int(rng.integers(10, 150)))
            cv2.rectangle(img, p, q, color, -1)
    noise = rng.normal(0, 6, img.shape)
    return np.asarray(np.clip(img.astype(np.float32) + noise, 0, 255), dtype=np.uint8)


def composite(
    scene: RGBImage,
    crest: RGBImage,
    mask: npt.NDArray[np.uint8],
    rng: np.random.Generator,
    width_frac: float,
    max_rotation: float = 180.0,
    perspective: float = 0.15,
) -> tuple[RGBImage, npt.NDArray[np.uint8]]:
    """Paste `crest` into a copy of `scene` at `width_frac` of its width, rotated and in perspective.

    Returns the new scene and the crest's mask in scene coordinates.
    """
    h, w = scene.shape[:2]
    ch, cw = crest.shape[:2]
    target = max(4.0, width_frac * w)
    scale = target / cw
    angle = math.radians(rng.uniform(-max_rotation, max_rotation))
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    jitter = rng.uniform(-perspective, perspective, (4, 2)) * np.array([cw, ch])
    pts = (src - [cw / 2, ch / 2] + jitter) * scale
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    pts = pts @ rot.T
    span = pts.max(axis=0) - pts.min(axis=0)
    cx = rng.uniform(span[0] / 2, max(span[0] / 2 + 1, w - span[0] / 2))
    cy = rng.uniform(span[1] / 2, max(span[1] / 2 + 1, h - span[1] / 2))
    dst = (pts + np.array([cx, cy])).astype(np.float32)
    hom = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(crest, hom, (w, h), flags=cv2.INTER_AREA)
    wmask = cv2.warpPerspective(mask, hom, (w, h), flags=cv2.INTER_LINEAR)
    alpha = (wmask.astype(np.float32) / 255.0)[..., None]
    out = (scene.astype(np.float32) * (1 - alpha) + warped.astype(np.float32) * alpha).astype(np.uint8)
    return out, (wmask > 127).astype(np.uint8) * 255


def degrade(img: RGBImage, rng: np.random.Generator, blur: float, noise: float, jpeg: int) -> RGBImage:
    """Gaussian blur (sigma px), Gaussian noise (std), then a JPEG round trip at quality `jpeg`."""
    out = img
    if blur > 0:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), blur), dtype=np.uint8)
    if noise > 0:
        out = np.clip(out.astype(np.float32) + rng.normal(0, noise, out.shape), 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", out[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg)])
    if not ok:
        raise RuntimeError("JPEG encode failed")
    decoded = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decode failed")
    return np.ascontiguousarray(np.asarray(decoded, dtype=np.uint8)[:, :, ::-1])


def draw_figure(canvas: RGBImage, box: tuple[int, int, int, int], pattern_seed: int) -> None:
    """Draw a crude standing figure in `box` wearing a uniform with a seed-specific pattern (in place)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    rng = np.random.default_rng(pattern_seed)
    c_main = tuple(int(v) for v in rng.integers(0, 160, 3))
    c_band = tuple(int(v) for v in rng.integers(100, 255, 3))
    skin = (200, 160, 130)
    cv2.circle(canvas, (x1 + w // 2, y1 + h // 10), max(2, h // 12), skin, -1)  # head
    torso = (x1 + w // 5, y1 + h // 5, x2 - w // 5, y1 + int(h * 0.6))
    cv2.rectangle(canvas, torso[:2], torso[2:], c_main, -1)
    # Seed-specific chequered band and epaulettes, the "livery" of this uniform.
    band_y = torso[1] + (torso[3] - torso[1]) // 3
    cell = max(2, w // 12)
    for i, xx in enumerate(range(torso[0], torso[2], cell)):
        col = c_band if (i + pattern_seed) % 2 else (255, 255, 255)
        cv2.rectangle(canvas, (xx, band_y), (min(xx + cell, torso[2]), band_y + cell), col, -1)
    cv2.rectangle(canvas, (torso[0], torso[1]), (torso[0] + w // 6, torso[1] + h // 30 + 2), c_band, -1)
    cv2.rectangle(canvas, (torso[2] - w // 6, torso[1]), (torso[2], torso[1] + h // 30 + 2), c_band, -1)
    legs_c = tuple(int(v * 0.6) for v in c_main)
    cv2.rectangle(canvas, (torso[0] + 2, torso[3]), (x1 + w // 2 - 2, y2), legs_c, -1)
    cv2.rectangle(canvas, (x1 + w // 2 + 2, torso[3]), (torso[2] - 2, y2), legs_c, -1)


def draw_vehicle(canvas: RGBImage, box: tuple[int, int, int, int], livery_seed: int) -> None:
    """Draw a side-on van in `box` with a seed-specific livery (in place)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    rng = np.random.default_rng(livery_seed)
    body = tuple(int(v) for v in rng.integers(150, 255, 3))
    a, b = tuple(int(v) for v in rng.integers(0, 255, 3)), tuple(int(v) for v in rng.integers(0, 255, 3))
    cv2.rectangle(canvas, (x1, y1 + h // 6), (x2, y2 - h // 5), body, -1)
    cv2.rectangle(canvas, (x1 + int(w * 0.72), y1), (x2, y1 + h // 2), body, -1)
    cv2.rectangle(canvas, (x1 + int(w * 0.76), y1 + h // 12), (x2 - w // 30, y1 + h // 3), (60, 80, 100), -1)
    cell = max(3, w // 16)
    for i, xx in enumerate(range(x1, x2, cell)):
        cv2.rectangle(
            canvas, (xx, y1 + h // 2), (min(xx + cell, x2), y1 + h // 2 + cell), a if i % 2 else b, -1
        )
        if livery_seed % 2:
            cv2.rectangle(
                canvas,
                (xx, y1 + h // 2 + cell),
                (min(xx + cell, x2), y1 + h // 2 + 2 * cell),
                b if i % 2 else a,
                -1,
            )
    for cx in (x1 + w // 5, x2 - w // 5):
        cv2.circle(canvas, (cx, y2 - h // 5), h // 6, (20, 20, 20), -1)
        cv2.circle(canvas, (cx, y2 - h // 5), h // 12, (160, 160, 160), -1)


def draw_building(canvas: RGBImage, box: tuple[int, int, int, int], seed: int) -> None:
    """Draw a building front (walls, windows, door, a blue lamp) in `box` (in place)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    rng = np.random.default_rng(seed)
    wall = tuple(int(v) for v in rng.integers(90, 220, 3))
    cv2.rectangle(canvas, (x1, y1 + h // 8), (x2, y2), wall, -1)
    pts = np.array([(x1, y1 + h // 8), (x1 + w // 2, y1), (x2, y1 + h // 8)], np.int32)
    cv2.fillPoly(canvas, [pts], tuple(int(v * 0.6) for v in wall))
    rows, cols = int(rng.integers(2, 4)), int(rng.integers(3, 6))
    for r in range(rows):
        for c in range(cols):
            wx = x1 + int((c + 0.3) * w / cols)
            wy = y1 + h // 6 + int(r * (h * 0.55) / rows)
            cv2.rectangle(
                canvas,
                (wx, wy),
                (wx + int(0.4 * w / cols), wy + int(0.5 * h * 0.55 / rows)),
                (40, 60, 90),
                -1,
            )
    cv2.rectangle(canvas, (x1 + w // 2 - w // 14, y2 - h // 4), (x1 + w // 2 + w // 14, y2), (60, 30, 20), -1)
    cv2.circle(canvas, (x1 + w // 2, y2 - h // 4 - h // 20), max(3, h // 30), (30, 60, 230), -1)
