"""Letters as PDF (WeasyPrint, bundled DejaVu fonts) and DOCX (python-docx), in the formal
layout of a complaint: the office written to and the applicant at the top right, the title,
the text, the signature lines, the attachments."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from qorgau.duties.models import Letter

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"


def blocks(letter: Letter) -> dict[str, Any]:
    """The letter's parts as the documents lay them out (lines, paragraphs)."""
    return {
        "addressee": _lines(letter.addressee_block),
        "applicant": _lines(letter.applicant_block),
        "paragraphs": _paragraphs(letter.body),
        "signature": _lines(letter.signature_block),
        "attachments": _lines(letter.attachments),
    }


def letter_pdf(letter: Letter) -> bytes:
    from weasyprint import HTML  # needs the system's Pango; imported only when used

    html = render_to_string("duties/letter_pdf.html", {
        "letter": letter, **blocks(letter),
        "font_regular": (FONTS / "DejaVuSerif.ttf").as_uri(),
        "font_bold": (FONTS / "DejaVuSerif-Bold.ttf").as_uri(),
    })
    pdf: bytes = HTML(string=html, base_url=str(FONTS)).write_pdf()
    return pdf


def letter_docx(letter: Letter) -> bytes:
    import docx  # with lxml, 16 MB a web worker needs only when a letter is downloaded
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    parts = blocks(letter)
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"  # has every Kazakh letter; standard for KZ letters
    style.font.size = Pt(12)
    for key in ("addressee", "applicant"):  # top right, as the PDF
        if parts[key]:
            paragraph = document.add_paragraph("\n".join(parts[key]))
            paragraph.paragraph_format.left_indent = Cm(9)
            if key == "addressee":
                for run in paragraph.runs:
                    run.bold = True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(letter.title).bold = True
    for text in parts["paragraphs"]:
        document.add_paragraph(text)
    if parts["signature"]:
        document.add_paragraph("\n".join(parts["signature"]))
    if parts["attachments"]:
        document.add_paragraph("\n".join(parts["attachments"]))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.replace("\r\n", "\n").split("\n") if line.strip()]


def _paragraphs(body: str) -> list[str]:
    """Blank lines separate paragraphs; single newlines are kept inside one."""
    blocks = [block.strip() for block in body.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]
