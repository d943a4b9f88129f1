from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case
from qorgau.consent import rules
from qorgau.consent.models import ConsentGrant


class GrantForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What she consents to"),
                                choices=ConsentGrant.Purpose.choices)
    categories = forms.MultipleChoiceField(
        label=_("Data the consent covers"), widget=forms.CheckboxSelectMultiple,
        choices=[(key, _(label)) for key, label in rules.CATEGORIES.items()])
    recipient_organisation = forms.ModelChoiceField(
        label=_("Recipient organisation (uses Qorgau)"), required=False,
        queryset=Organisation.objects.none())
    recipient_name = forms.CharField(
        label=_("Or a recipient outside Qorgau (court, service, person)"), required=False,
        max_length=300)
    manner = forms.ChoiceField(label=_("She gave consent"), widget=forms.RadioSelect,
                               choices=ConsentGrant.Manner.choices)
    witnessed = forms.BooleanField(
        label=_("I witnessed her giving this consent (you are recorded as the witness)"))
    given_on = forms.DateField(label=_("Given on"), widget=forms.DateInput(
        attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until (inclusive; at most a year)"),
        widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note (optional)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, case: Case, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipient_organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.exclude(pk=case.organisation_id).order_by("name")

    def expires_at(self) -> datetime:
        """The end of the last valid day, in local time: the next day's first moment."""
        day = self.cleaned_data["valid_until"] + timedelta(days=1)
        return timezone.make_aware(datetime.combine(day, time.min))
