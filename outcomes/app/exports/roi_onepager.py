"""The one-page ROI summary an executive can forward: self-contained HTML and a PDF.

Both carry the headline figures with their change against the previous period, the charts as
PNG images (rendered offline by vl-convert; in the HTML as ``data:`` URIs, so the file needs
nothing else), the period's lines, and the notes a reader must see (closed / restated periods,
stale snapshot), with the build id and the time the figures were taken.

>>> import altair as alt, pandas as pd
>>> doc = OnePager(title="ROI", period="2026-03", span="01 Mar – 31 Mar 2026", currency="USD",
...     build_id="B1", as_of="2026-04-02", figures=[("Net value", "$1,000", "+$10", "help")],
...     charts=[("A chart", alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x"))],
...     lines=[("Time saved", "benefit", "$1,000.00")])
>>> html = summary_html(doc)
>>> html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
True
>>> summary_pdf(doc)[:5]
b'%PDF-'
"""

from __future__ import annotations

import base64
import html as html_lib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import altair as alt


@dataclass(frozen=True)
class OnePager:
    title: str
    period: str
    span: str
    currency: str
    build_id: str | None
    as_of: str | None
    figures: Sequence[tuple[str, str, str | None, str]]  # label, value, change, explanation
    charts: Sequence[tuple[str, alt.TopLevelMixin]]  # (alt text, chart)
    lines: Sequence[tuple[str, str, str]]  # title, category, amount text
    notes: Sequence[str] = field(default_factory=tuple)
    comparison: str = ""  # what the changes compare with


@lru_cache(maxsize=64)
def _png_cached(spec_json: str, scale: float) -> bytes:
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(vl_spec=spec_json, scale=scale))


def _pngs(doc: OnePager, scale: float = 2.0) -> list[tuple[str, bytes]]:
    return [(alt_text, _png_cached(chart.to_json(), scale)) for alt_text, chart in doc.charts]


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933;margin:24px auto;max-width:980px}
h1{font-size:22px;margin:0 0 2px}
.sub{color:#52606d;font-size:13px;margin-bottom:14px}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:10px;margin-bottom:14px}
.tile{border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px}
.tile .label{font-size:12px;color:#52606d}
.tile .value{font-size:22px;font-weight:600;margin:2px 0}
.tile .delta{font-size:12px;color:#334e68}
.tile .why{font-size:11px;color:#7b8794;margin-top:4px}
.notes{background:#fff8e1;border-left:4px solid #f1a340;padding:8px 12px;font-size:12px;margin-bottom:12px}
img{width:100%;height:auto;margin:6px 0}
.charts2{display:grid;grid-template-columns:1fr 1fr;gap:10px}
table{border-collapse:collapse;font-size:12px;width:100%}
td,th{border-bottom:1px solid #e4e7eb;padding:3px 6px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.foot{color:#7b8794;font-size:11px;margin-top:12px}
@media print{body{margin:0}}
"""


def summary_html(doc: OnePager) -> str:
    """A self-contained HTML page (inline CSS, charts as PNG data URIs, no scripts)."""
    e = html_lib.escape
    tiles = "".join(
        f'<div class="tile"><div class="label">{e(label)}</div><div class="value">{e(value)}</div>'
        f'<div class="delta">{e(change) if change else "no comparison"}</div>'
        f'<div class="why">{e(why)}</div></div>'
        for label, value, change, why in doc.figures
    )
    images = [
        f'<img alt="{e(alt_text)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for alt_text, png in _pngs(doc)
    ]
    charts = images[0] if images else ""
    if len(images) > 1:
        charts += (
            '<div class="charts2">' + "".join(f"<div>{i}</div>" for i in images[1:]) + "</div>"
        )
    notes = (
        '<div class="notes">' + "<br>".join(e(n) for n in doc.notes) + "</div>" if doc.notes else ""
    )
    rows = "".join(
        f"<tr><td>{e(title)}</td><td>{e(category)}</td><td class=num>{e(amount)}</td></tr>"
        for title, category, amount in doc.lines
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(doc.title)} — {e(doc.period)}</title><style>{CSS}</style></head><body>"
        f"<h1>{e(doc.title)} — {e(doc.period)}</h1>"
        f'<div class="sub">{e(doc.span)} · amounts in {e(doc.currency)} · '
        f"{e(doc.comparison)}</div>"
        f'{notes}<div class="grid">{tiles}</div>{charts}'
        f'<h2 style="font-size:15px">Lines in the period</h2>'
        f"<table><tr><th>Line</th><th>Category</th><th>Amount ({e(doc.currency)})</th></tr>{rows}</table>"
        f'<div class="foot">Figures from build {e(doc.build_id or "–")}, data as of {e(doc.as_of or "–")}. '
        "Amounts are rounded for display; the exact decimal ledger, every formula, input and "
        "source are in the ledger CSV and the audit pack.</div>"
        "</body></html>\n"
    )


def summary_pdf(doc: OnePager) -> bytes:
    """One A4 page (portrait): headline tiles, the charts, the lines, the notes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(f"{doc.title} — {doc.period}")
    pdf.setAuthor("Outcomes")
    width, height = A4
    margin = 32
    y = height - margin
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(margin, y - 14, _latin(f"{doc.title} — {doc.period}"))
    y -= 30
    pdf.setFont("Helvetica", 8.5)
    pdf.setFillColor(colors.HexColor("#52606d"))
    pdf.drawString(margin, y, _latin(f"{doc.span} · amounts in {doc.currency} · {doc.comparison}"))
    y -= 12
    if doc.notes:
        pdf.setFillColor(colors.HexColor("#8a5a00"))
        for note in doc.notes[:4]:
            for part in _wrap(note, 150):
                pdf.drawString(margin, y, _latin(part))
                y -= 10
    y -= 4
    # tiles: 3 per row
    tile_w = (width - 2 * margin - 2 * 8) / 3
    tile_h = 46
    for i, (label, value, change, _why) in enumerate(doc.figures):
        col, row = i % 3, i // 3
        x0 = margin + col * (tile_w + 8)
        y0 = y - (row + 1) * tile_h - row * 6
        pdf.setStrokeColor(colors.HexColor("#d9e2ec"))
        pdf.roundRect(x0, y0, tile_w, tile_h, 4, stroke=1, fill=0)
        pdf.setFillColor(colors.HexColor("#52606d"))
        pdf.setFont("Helvetica", 8)
        pdf.drawString(x0 + 6, y0 + tile_h - 11, _latin(label))
        pdf.setFillColor(colors.HexColor("#1f2933"))
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(x0 + 6, y0 + tile_h - 28, _latin(value))
        pdf.setFont("Helvetica", 7.5)
        pdf.setFillColor(colors.HexColor("#334e68"))
        pdf.drawString(x0 + 6, y0 + 6, _latin(change or "no comparison"))
    rows = (len(doc.figures) + 2) // 3
    y -= rows * tile_h + (rows - 1) * 6 + 10
    pngs = _pngs(doc)
    if pngs:
        y = _image(pdf, ImageReader(io.BytesIO(pngs[0][1])), margin, y, width - 2 * margin, 200)
    if len(pngs) > 1:
        half = (width - 2 * margin - 10) / 2
        bottoms = []
        for k, (_alt, png) in enumerate(pngs[1:3]):
            bottoms.append(
                _image(pdf, ImageReader(io.BytesIO(png)), margin + k * (half + 10), y, half, 190)
            )
        y = min(bottoms)
    pdf.setFillColor(colors.HexColor("#1f2933"))
    pdf.setFont("Helvetica-Bold", 9)
    y -= 4
    pdf.drawString(margin, y, "Lines in the period")
    y -= 11
    pdf.setFont("Helvetica", 8)
    for title, category, amount in doc.lines:
        if y < margin + 24:
            pdf.drawString(margin, y, "… (more lines in the ledger CSV)")
            y -= 10
            break
        pdf.drawString(margin, y, _latin(title))
        pdf.drawString(margin + 250, y, category)
        pdf.drawRightString(width - margin, y, _latin(amount))
        y -= 10
    pdf.setFont("Helvetica", 7)
    pdf.setFillColor(colors.HexColor("#7b8794"))
    pdf.drawString(
        margin,
        margin - 10,
        _latin(
            f"Figures from build {doc.build_id or '–'}, data as of {doc.as_of or '–'}. Rounded for "
            "display; exact ledger, formulas and sources in the ledger CSV and the audit pack."
        ),
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _image(pdf: Any, image: Any, x: float, top: float, max_w: float, max_h: float) -> float:
    """Draw ``image`` scaled into (max_w, max_h) with its top at ``top``; return its bottom."""
    w, h = image.getSize()
    scale = min(max_w / w, max_h / h)
    dw, dh = w * scale, h * scale
    pdf.drawImage(image, x, top - dh, width=dw, height=dh)
    return top - dh - 6


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def _latin(text: str) -> str:
    """Text for the PDF's standard fonts (no embedded font): characters they lack replaced."""
    table = {
        "−": "-",
        "–": "-",
        "—": "-",
        "×": "x",
        "≥": ">=",
        "≤": "<=",
        "…": "...",
        "→": "->",
        "€": "EUR ",
    }
    out = "".join(table.get(ch, ch) for ch in text)
    return out.encode("latin-1", "replace").decode("latin-1")
