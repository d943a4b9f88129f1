"""The narrative form: paste a text or upload a file, and say what it is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.cases import taxonomy


class NarrativeForm(forms.Form):
    text = forms.CharField(
        label=_("Paste the text"), required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Her statement, a lawyer's summary, a police letter, a court decision…"))
    file = forms.FileField(
        label=_("Or upload a file"), required=False,
        help_text=_("Plain text (UTF-8), Word (DOCX) or a PDF with a text layer."))
    lang = forms.ChoiceField(label=_("Language"), required=False, choices=[
        ("", _("Recognise it")), ("ru", _("Russian")), ("kk", _("Kazakh")),
        ("en", _("English"))])
    source = forms.ChoiceField(label=_("The text is"), initial="survivor",
                               choices=[(k, _(v)) for k, v in taxonomy.SOURCES.items()])
    reliability = forms.ChoiceField(label=_("Reliability of its events"),
                                    initial="unverified",
                                    choices=[(k, _(v)) for k, v in taxonomy.RELIABILITY.items()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No maxlength on the text: a browser would cut a long paste silently; the service
        # refuses it with the limit in plain words (services.MAX_CHARS).
        self.fields["file"].widget.attrs["accept"] = ".txt,.docx,.pdf,text/plain,application/pdf"
