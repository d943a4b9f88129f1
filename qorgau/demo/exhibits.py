"""Fictional demo exhibits for the reference case: generated, never real photos or papers."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Event
from qorgau.evidence import services as evidence


@dataclass(frozen=True)
class DemoExhibit:
    name: str
    title: str
    event_kind: str
    when: str  # claimed capture or document date
    lines: tuple[str, ...]
    pdf: bool


EXHIBITS = (
    DemoExhibit("burn-photo.jpg", "Photograph of the burns (fictional demo image)",
                "burn_scald", "2022:08:14 19:40:00",
                ("FICTIONAL DEMO IMAGE", "stands for a photograph of burns", "to the face, 2022"),
                pdf=False),
    DemoExhibit("protective-order-1.pdf", "Protective order, January 2024 (fictional copy)",
                "order_issued", "2024-01",
                ("FICTIONAL DEMO DOCUMENT", "Protective order No. 1", "Uralsk city police",
                 "valid 30 days"), pdf=True),
    DemoExhibit("psychological-assessment.pdf",
                "Psychological assessment, February 2024 (fictional summary)",
                "psych_assessment", "2024-02",
                ("FICTIONAL DEMO DOCUMENT", "Psychological assessment (summary)",
                 "long-term abuse and police inaction", "led to repeated suicide attempts"),
                pdf=True),
)


def _image(lines: tuple[str, ...], when: str) -> bytes:
    image = Image.new("RGB", (640, 360), (236, 228, 214))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((32, 40 + 48 * i), line, fill=(60, 40, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Demo camera (fictional)"
    exif.get_ifd(0x8769)[0x9003] = when
    image.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def _pdf(lines: tuple[str, ...]) -> bytes:
    page = Image.new("RGB", (595, 842), "white")
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((60, 80 + 30 * i), line, fill="black")
    out = io.BytesIO()
    page.save(out, "PDF", title=lines[1], author="Qorgau demo")
    return out.getvalue()


def attach(case: Case, by: User) -> None:
    for spec in EXHIBITS:
        event = Event.objects.filter(case=case, kind=spec.event_kind).current().order_by(
            "number").first()
        data = _pdf(spec.lines) if spec.pdf else _image(spec.lines, spec.when)
        evidence.ingest(case, by, evidence.Upload(
            io.BytesIO(data), spec.name, title=spec.title,
            captured_at=spec.when if spec.pdf else "", event=event))
