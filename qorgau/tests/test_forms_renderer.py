"""A select's options are written in place (qorgau.forms_renderer), to the very markup
Django's own templates write."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer

from qorgau.forms_renderer import FormRenderer

CHOICES = [("", "---"), ("kz", "Kazakhstan <KZ> & \"more\""),
           ("Central Asia", [("KG-GB", "Bishkek"), ("UZ-TK", "Tashkent")]), (3, "three")]


class Sample(forms.Form):
    one = forms.ChoiceField(choices=CHOICES, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    off = forms.ChoiceField(choices=CHOICES, disabled=True,
                            widget=forms.Select(attrs={"class": "x", "data-a": True}))
    null = forms.NullBooleanField()
    picked = forms.TypedChoiceField(choices=[(1, "a"), (2, "b")], coerce=int,
                                    widget=forms.RadioSelect)


def test_the_project_renders_forms_with_it():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_selects_render_as_djangos_own_templates_do():
    for data in (None, {"one": "KG-GB", "many": ["kz", "3", "UZ-TK"], "off": "kz",
                        "null": "true", "picked": "2"}):
        ours = Sample(data, renderer=FormRenderer()).as_div()
        django = Sample(data, renderer=DjangoTemplates()).as_div()
        assert ours == django
        assert ours.count("<option") == 3 * 5 + 3
    escaped = "Kazakhstan &lt;KZ&gt; &amp; &quot;more&quot;"
    assert escaped in Sample(renderer=FormRenderer()).as_div()
