from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qorgau.api.models import Scope
from qorgau.api.tokens import MAX_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("API token", "Name"), max_length=100,
                           help_text=_("Where the token is used, e.g. “court filing script”."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.READ])
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=MAX_DAYS,
                              initial=30)
