"""End to end: the HTML report opens in headless Chromium without console errors and is not blank.

Needs Debian's ``chromium`` (``./setup.sh`` installs it). Locally the test is
skipped when Chromium is absent; in CI (``CI=true``) it fails instead, so a
missing browser cannot pass silently. How to run it: docs/reports.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from causal_rca.render import render
from tests.report_cases import hostile_diagnosis

BROWSERS = ("chromium", "chromium-browser")
# Chromium logs every console message (console.error, uncaught exceptions) as INFO:CONSOLE on stderr.
CONSOLE = re.compile(r"INFO:CONSOLE|Uncaught|SyntaxError|Refused to", re.IGNORECASE)


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("chromium is not installed: ./setup.sh installs Debian's chromium (CI=true: not skipped)")
    pytest.skip("chromium is not installed (./setup.sh installs it)")


def screenshot(page: Path, png: Path, profile: Path, width: int = 1200, height: int = 1600) -> str:
    """Open ``page`` in headless Chromium, save a screenshot, return what the browser logged."""
    args = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", f"--user-data-dir={profile}",
            "--enable-logging=stderr", "--v=0", f"--screenshot={png}", f"--window-size={width},{height}",
            page.resolve().as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


def png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, raw rows with their filter bytes) of an 8-bit PNG, no library needed."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, color = header[8], header[9]
    assert depth == 8, f"bit depth {depth}"
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]  # a palette image is judged on its indices
    return width, height, channels, zlib.decompress(b"".join(chunks))


def unfiltered_rows(width: int, height: int, bpp: int, raw: bytes) -> list[bytearray]:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth)."""
    stride, rows, prev = width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return rows


def ink_share(png: Path) -> tuple[float, int]:
    """Share of non-white pixels and number of distinct grey levels: a blank page has ~0 and 1."""
    width, height, bpp, raw = png_pixels(png.read_bytes())
    rows = unfiltered_rows(width, height, bpp, raw)
    inked, levels, total = 0, set(), 0
    for line in rows[::4]:
        for x in range(0, width * bpp, bpp * 4):
            grey = sum(line[x:x + min(bpp, 3)]) // min(bpp, 3)
            levels.add(grey // 16)
            inked += grey < 240
            total += 1
    return inked / total, len(levels)


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after Chromium has parsed and laid it out."""
    args = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def document_classifier_page(path: Path) -> Path:
    """The report of the document-classifier scenario (a fine-tune that forgets one class)."""
    from causal_rca import diagnose
    from causal_rca.scenarios import generate, get_scenario

    scenario = get_scenario("digits_finetune_forgets_eights")
    frames = generate(scenario)
    d = diagnose(scenario.graph_path, frames["reference"], frames["current"], scenario.metric, seed=scenario.seed)
    path.write_text(render(d, "html"), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["why-html", "hostile", "classes", "ticket"])
def report(request, tmp_path_factory) -> Path:
    """The page `causal-rca why --format html` writes for a real fault, one full of hostile strings,
    a multi-class model's (class table, confusion-change heat map), and the HTML preview of
    `why --format ticket` (its Markdown rendered as the tracker would)."""
    base = tmp_path_factory.mktemp("report")
    page = base / "report.html"
    if request.param == "hostile":
        page.write_text(render(hostile_diagnosis(), "html"), encoding="utf-8")
        return page
    if request.param == "classes":
        return document_classifier_page(page)
    from tests.conftest import TINY_GRAPH, cli_status, tiny_frame

    (base / "tiny.yaml").write_text(TINY_GRAPH)
    tiny_frame(3000, 1).to_csv(base / "ref.csv", index=False)
    tiny_frame(3000, 2, fault="fx_scale", start="2026-02-01").to_csv(base / "cur.csv", index=False)
    fmt, out = ("ticket", base / "ticket.md") if request.param == "ticket" else ("html", page)
    assert cli_status(["why", "recall", "--graph", base / "tiny.yaml", "--reference", base / "ref.csv",
                       "--current", base / "cur.csv", "--format", fmt, "--out", out, "--quiet"]) == 0
    if request.param == "ticket":
        from causal_rca.prevention.tickets import preview_html

        page.write_text(preview_html(out.read_text(encoding="utf-8")), encoding="utf-8")
    return page


def test_report_loads_without_console_errors_and_is_not_blank(report, tmp_path) -> None:
    png = tmp_path / "report.png"
    log = screenshot(report, png, tmp_path / "profile")
    console = [line for line in log.splitlines() if CONSOLE.search(line)]
    assert console == [], "console messages:\n" + "\n".join(console)
    ink, levels = ink_share(png)
    assert ink > 0.02 and levels >= 4, f"screenshot looks blank (ink {ink:.3f}, {levels} grey levels)"


def test_document_classifier_report_shows_classes_and_confusion_change(tmp_path) -> None:
    """As the browser lays it out: one table row per digit with both windows' recall, class 8 flagged,
    where its rows went, and the heat map drawn (an SVG with one cell per true × predicted class)."""
    page = document_classifier_page(tmp_path / "classes.html")
    dom = dump_dom(page, tmp_path / "profile")
    section = dom[dom.index('id="classes"'):dom.index('id="confusion-change"')]
    rows = re.findall(r"<tr><td>(\d)</td>", section)
    assert rows == [str(d) for d in range(10)]
    eight = section[section.index("<tr><td>8</td>"):].split("</tr>")[0]
    assert "significant" in eight
    assert re.search(r"rows of class 8 now go to \d", section)
    heat = dom[dom.index('id="confusion-change"'):].split("</figure>")[0]
    assert "<svg" in heat and "predicted class" in heat and "true class" in heat


def test_console_check_catches_errors(tmp_path) -> None:
    """The check itself works: a page with a script error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!doctype html><p>x</p><script>console.error('boom'); missing_function();</script>")
    log = screenshot(page, tmp_path / "bad.png", tmp_path / "profile", 400, 300)
    assert any(CONSOLE.search(line) for line in log.splitlines())


def test_blank_check_catches_blank_pages(tmp_path) -> None:
    page = tmp_path / "blank.html"
    page.write_text("<!doctype html><title>blank</title>")
    png = tmp_path / "blank.png"
    screenshot(page, png, tmp_path / "profile", 400, 300)
    ink, levels = ink_share(png)
    assert ink < 0.01 and levels <= 2


def test_model_report_shows_the_decision_drivers(tmp_path) -> None:
    """As the browser lays it out: the decision-drivers table, one row per model input with both windows'
    mean |contribution|, and the sentence naming the inputs whose drivers shifted (a fine-tune)."""
    pytest.importorskip("shap", reason="the decision drivers need the explain extra: pip install 'causal-rca[explain]'")
    from tests.conftest import cli_status
    from tests.test_driver_review import _finetune_files
    from tests.test_model_artifact import _why

    files = _finetune_files(tmp_path)
    page = tmp_path / "drivers.html"
    assert cli_status([*_why(files)[:-3], "--format", "html", "--out", page, "--quiet"]) == 0
    dom = dump_dom(page, tmp_path / "profile")
    section = dom[dom.index('id="decision-drivers"'):].split("</ul>")[0]
    rows = re.findall(r"<tr><td>(\w+)</td>", section)
    assert sorted(rows) == ["cat", "fx"]
    assert re.search(r"changed on the same inputs: \w+", section)
    log = screenshot(page, tmp_path / "drivers.png", tmp_path / "profile2")
    assert [line for line in log.splitlines() if CONSOLE.search(line)] == []
