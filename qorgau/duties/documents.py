"""Letters as PDF (WeasyPrint, bundled DejaVu fonts) and DOCX (python-docx)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from django.conf import settings
from django.template.loader import render_to_string
from docx.shared import Pt

from qorgau.duties.models import Letter

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"


def letter_pdf(letter: Letter) -> bytes:
    from weasyprint import HTML  # needs the system's Pango; imported only when used

    html = render_to_string("duties/letter_pdf.html", {
        "letter": letter, "paragraphs": _paragraphs(letter.body),
        "font_regular": (FONTS / "DejaVuSerif.ttf").as_uri(),
        "font_bold": (FONTS / "DejaVuSerif-Bold.ttf").as_uri(),
    })
    pdf: bytes = HTML(string=html, base_url=str(FONTS)).write_pdf()
    return pdf


def letter_docx(letter: Letter) -> bytes:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"  # has every Kazakh letter; standard for KZ letters
    style.font.size = Pt(12)
    document.add_heading(letter.title, level=1)
    for paragraph in _paragraphs(letter.body):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraphs(body: str) -> list[str]:
    """Blank lines separate paragraphs; single newlines are kept inside one."""
    blocks = [block.strip() for block in body.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]
