"""Chinese shows as characters, not boxes: a CJK font is installed (tools/bootstrap.sh) and the
browser that renders the site draws Chinese glyphs with it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("COOKBOOK_CHROMIUM", "/usr/bin/chromium"))
SAMPLE = "龍井綠茶这里着急計程車"

# Draw each character and an unassigned code point (drawn as the "missing glyph" box, or nothing)
# on a canvas; a character whose pixels equal the missing glyph's has no font.
SCRIPT = """(chars) => {
  const draw = (c) => {
    const canvas = document.createElement('canvas'); canvas.width = 40; canvas.height = 40;
    const ctx = canvas.getContext('2d'); ctx.font = '32px sans-serif'; ctx.fillText(c, 2, 32);
    return Array.from(ctx.getImageData(0, 0, 40, 40).data).join(',');
  };
  const missing = draw('\\u{10FFFD}');
  return Array.from(chars).map((c) => draw(c) !== missing);
}"""


def test_fontconfig_has_a_chinese_font():
    if not shutil.which("fc-list"):
        pytest.fail("fontconfig is absent: run `make setup` (tools/bootstrap.sh installs a CJK font)")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True).stdout
    assert fonts.strip(), "no font covers Chinese: apt-get install fonts-wqy-zenhei (tools/bootstrap.sh does)"


def test_chromium_draws_chinese_glyphs():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page()
            page.set_content("<html><body>ok</body></html>")
            drawn = page.evaluate(SCRIPT, SAMPLE)
        finally:
            browser.close()
    boxes = [c for c, ok in zip(SAMPLE, drawn, strict=True) if not ok]
    assert not boxes, f"Chromium has no glyph for {''.join(boxes)}: install a CJK font (fonts-wqy-zenhei)"
