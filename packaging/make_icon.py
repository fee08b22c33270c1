"""Draw ShareSafe's app icon (our own artwork, made in code): a shield holding a photo whose middle
is covered by a solid bar - the app's job in one picture.

    python packaging/make_icon.py            # writes packaging/icons/sharesafe.{png,ico,icns}

The PNG is used on Linux (.desktop entry) and by the Windows/macOS builds through the .ico/.icns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

NAVY = (22, 45, 84, 255)
SKY = (122, 178, 222, 255)
HILL = (64, 140, 96, 255)
SUN = (250, 204, 80, 255)
BAR = (16, 16, 20, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int = 512) -> Image.Image:
    s = 4  # supersample, then shrink: smooth edges without an anti-aliasing renderer
    n = size * s
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)

    def p(x: float, y: float) -> tuple[float, float]:
        return x * n, y * n

    # Shield: flat top with rounded corners, sides curving to a point.
    top, left, right = 0.06, 0.12, 0.88
    outline = [p(left, top + 0.04), p(left + 0.04, top), p(right - 0.04, top), p(right, top + 0.04)]
    steps = 40
    for i in range(steps + 1):  # right side down to the point
        t = i / steps
        outline.append(p(right - (right - 0.5) * t**1.8, top + 0.04 + (0.94 - top - 0.04) * t))
    for i in range(steps, -1, -1):  # left side back up
        t = i / steps
        outline.append(p(left + (0.5 - left) * t**1.8, top + 0.04 + (0.94 - top - 0.04) * t))
    d.polygon(outline, fill=NAVY)

    # A photo inside the shield: white frame, sky, sun, hills.
    fx1, fy1, fx2, fy2 = 0.24, 0.2, 0.76, 0.62
    d.rounded_rectangle([p(fx1, fy1), p(fx2, fy2)], radius=0.03 * n, fill=WHITE)
    ix1, iy1, ix2, iy2 = fx1 + 0.03, fy1 + 0.03, fx2 - 0.03, fy2 - 0.03
    d.rectangle([p(ix1, iy1), p(ix2, iy2)], fill=SKY)
    d.ellipse([p(0.58, 0.26), p(0.68, 0.36)], fill=SUN)
    d.polygon([p(ix1, iy2), p(0.38, 0.4), p(0.5, iy2)], fill=HILL)
    d.polygon([p(0.4, iy2), p(0.56, 0.36), p(ix2, iy2)], fill=HILL)
    # The redaction bar across the photo, overhanging the frame a little.
    d.rectangle([p(fx1 - 0.04, 0.37), p(fx2 + 0.04, 0.47)], fill=BAR)
    # A tick below: checked and safe to share.
    d.line([p(0.4, 0.74), p(0.48, 0.82), p(0.63, 0.67)], fill=WHITE, width=int(0.045 * n), joint="curve")
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main(out_dir: Path | None = None) -> int:
    out = out_dir or Path(__file__).resolve().parent / "icons"
    out.mkdir(parents=True, exist_ok=True)
    big = draw(512)
    big.save(out / "sharesafe.png")
    big.save(
        out / "sharesafe.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    big.save(out / "sharesafe.icns")
    print(f"icons written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
