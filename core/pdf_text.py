"""Text in generated PDFs (receipts, reminder letters): reportlab's built-in CJK CID fonts,
so no font file is shipped, and which text needs one.

Helvetica covers Latin-1 only; a line with Chinese in it is drawn in MSung-Light
(traditional) or STSong-Light (simplified), chosen by the reader's language.
"""

from __future__ import annotations


def cjk_font(language: str) -> str:
    """The registered CID font for Chinese text read in ``language`` (registered on first use)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    name = "STSong-Light" if language == "zh_Hans" else "MSung-Light"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def fits_latin1(text: str) -> bool:
    """Whether Helvetica can draw ``text``."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
