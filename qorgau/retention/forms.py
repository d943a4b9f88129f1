"""Forms of the retention page: plain words for every refusal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.cases.forms import set_choices
from qorgau.retention import services


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the case held?"), max_length=2000, widget=forms.Textarea(
            attrs={"rows": 3}),
        help_text=_("For example the court case or the request that requires keeping it."))


class LiftForm(forms.Form):
    lift_reason = forms.CharField(label=_("Why is the hold lifted?"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class EraseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for erasing"))
    confirm = forms.CharField(
        label=_("Type the case reference to confirm"), max_length=32,
        help_text=_("Erasure cannot be undone."))

    def __init__(self, *args: Any, reference: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "erase_%s")  # the hold form on the same page has `reason`
        super().__init__(*args, **kwargs)
        self.reference = reference
        set_choices(self, "reason", list(services.reason_choices()))

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip().upper()
        if typed != self.reference.upper():
            raise forms.ValidationError(_("This is not the case's reference."))
        return typed


class PolicyForm(forms.Form):
    """The organisation's own retention period, or the installation's default."""

    months = forms.IntegerField(
        label=_("Retention period in months"), required=False, min_value=1, max_value=1200,
        help_text=_("How long a closed case is kept before it is due for erasure. Leave "
                    "empty for the installation's default. Cases already closed keep the "
                    "date they were given."))
