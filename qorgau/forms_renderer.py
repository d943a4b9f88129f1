"""Django's form templates, with a select's options written in place.

Django's select template includes a template per option, and that one includes another for
the option's attributes: a list of the world's regions (185 options) cost 370 template
includes, a large share of the case list's time. The options are written by the select
template itself (qorgau/form_templates), to the same markup; every other widget template is
Django's own."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates

OVERRIDES = Path(__file__).resolve().parent / "form_templates"


class FormRenderer(DjangoTemplates):
    @cached_property
    def engine(self) -> Any:
        return self.backend({
            "APP_DIRS": True, "NAME": "djangoforms", "OPTIONS": {},
            "DIRS": [OVERRIDES, Path(django.forms.__file__).resolve().parent / "templates"],
        })
