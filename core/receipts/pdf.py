"""A receipt as a PDF (80 mm roll width), drawn with reportlab.

Chinese text uses reportlab's built-in CID fonts, which need no font file: MSung-Light
(Traditional) and STSong-Light (Simplified), chosen by the reader's language. Figures and
the receipt number are drawn in Helvetica, so the number is searchable in the file.
"""

from __future__ import annotations

import io
from typing import Any

from core.i18n import current_language
from core.i18n import gettext as _
from core.pdf_text import cjk_font, fits_latin1

WIDTH_MM = 80
MM = 72 / 25.4


def render(receipt: dict[str, Any], *, site_name: str, issued_at_local: str, issued_by: str,
           method_label: str) -> bytes:
    """The PDF bytes of ``receipt`` (as ``services.receipt_out`` shows it)."""
    from reportlab.pdfgen import canvas

    cjk = cjk_font(current_language())
    lines = receipt["lines"]
    height = (110 + 14 * len(lines) + (16 if receipt["is_copy"] else 0) + (28 if receipt["status"] == "void" else 0)) * MM / 2.2
    height = max(height, 90 * MM)
    width = WIDTH_MM * MM
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=0)
    title = f"{_('Receipt')} {receipt['series']} {receipt['number_text']}"
    pdf.setTitle(title if fits_latin1(title) else f"Receipt {receipt['series']} {receipt['number_text']}")
    pdf.setSubject(receipt["number_text"])
    margin = 4 * MM
    y = height - 8 * MM

    def text(value: str, x: float, size: float = 8, *, right: bool = False, bold: bool = False) -> None:
        font = ("Helvetica-Bold" if bold else "Helvetica") if fits_latin1(value) else cjk
        pdf.setFont(font, size)
        if right:
            pdf.drawRightString(x, y, value)
        else:
            pdf.drawString(x, y, value)

    def rule() -> None:
        pdf.setLineWidth(0.4)
        pdf.line(margin, y + 3, width - margin, y + 3)

    text(site_name, margin, 10, bold=True)
    y -= 12
    label = f"{_('Receipt')} · {receipt['series_label'] or receipt['series']}"
    text(label, margin, 8)
    y -= 12
    text(_("No."), margin, 9)
    text(receipt["number_text"], width - margin, 11, right=True, bold=True)
    y -= 12
    if receipt["is_copy"]:
        text(_("COPY"), margin, 11, bold=True)
        text(_("COPY %(n)s", n=receipt["print_count"] - 1), width - margin, 9, right=True, bold=True)
        y -= 14
    if receipt["status"] == "void":
        text(_("VOID"), margin, 12, bold=True)
        text(_("VOID"), width - margin, 12, right=True, bold=True)
        y -= 11
        text(receipt["void_reason"][:60], margin, 7)
        y -= 12
    text(issued_at_local, margin, 7)
    text(issued_by, width - margin, 7, right=True)
    y -= 12
    rule()
    for line in lines:
        name = f"{line['name']} {_('(T)')}" if line["taxable"] else line["name"]
        text(name[:40], margin, 8)
        y -= 10
        text(f"{line['quantity']} x {line['unit_price']}", margin + 6, 7)
        text(line["amount"], width - margin, 8, right=True)
        y -= 12
    rule()
    text(_("Total"), margin, 9, bold=True)
    text(f"{receipt['total']} {receipt['currency']}", width - margin, 10, right=True, bold=True)
    y -= 12
    text(method_label, margin, 8)
    y -= 11
    if receipt["tendered"] is not None:
        text(_("Tendered"), margin, 8)
        text(receipt["tendered"], width - margin, 8, right=True)
        y -= 11
        text(_("Change"), margin, 8)
        text(receipt["change"], width - margin, 8, right=True)
        y -= 11
    if any(line["taxable"] for line in lines):
        text(_("%(mark)s taxable item", mark=_("(T)")), margin, 6)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
