from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qorgau.cases.forms import RegionField, profile_countries, region_choices, set_choices
from qorgau.consent import rules as consent_rules
from qorgau.consent.models import ConsentGrant
from qorgau.referrals import rules
from qorgau.referrals.models import Provider


def _choices(labels: dict[str, str], empty: str | None = None) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [("", empty)] if empty else []
    return found + [(key, _(label)) for key, label in labels.items()]


class DirectoryFilterForm(forms.Form):
    region = RegionField(label=_("Region"), required=False)
    need = forms.ChoiceField(label=_("Service"), required=False)
    kind = forms.ChoiceField(label=_("Kind of provider"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "region", [("", _("Any region")),
                                     (rules.NATIONWIDE, _(rules.NATIONWIDE_LABEL)),
                                     *region_choices(profile_countries())])
        set_choices(self, "need", _choices(rules.NEEDS, str(_("Any service"))))
        set_choices(self, "kind", _choices(rules.PROVIDER_KINDS, str(_("Any kind"))))


class PlacesForm(forms.Form):
    places = forms.IntegerField(label=_("Places available now"), min_value=0, max_value=1000)


class NeedForm(forms.Form):
    need = forms.ChoiceField(label=_("What she needs"))
    with_children = forms.BooleanField(label=_("She comes with children"), required=False)
    oldest_boy = forms.IntegerField(label=_("Age of her oldest son coming with her"),
                                    required=False, min_value=0, max_value=25)
    accessible = forms.BooleanField(label=_("She needs step-free access or other "
                                            "disability support"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "need", _choices(rules.NEEDS))


def _grant_label(grant: ConsentGrant) -> str:
    return str(_("No. %(id)s to %(recipient)s (%(state)s)") % {
        "id": grant.pk, "recipient": grant.recipient(),
        "state": str(_(consent_rules.STATES[grant.state(timezone.now())])).lower()})


class ReferForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True),
                                      widget=forms.HiddenInput)
    need = forms.ChoiceField(widget=forms.HiddenInput)
    grant = forms.ModelChoiceField(label=_("Under her consent"),
                                   queryset=ConsentGrant.objects.none(),
                                   empty_label=_("Choose her consent to a referral"))
    categories = forms.MultipleChoiceField(
        label=_("Data the referral letter may carry (a provider that uses Qorgau sees all "
                "the consent covers)"), widget=forms.CheckboxSelectMultiple, required=False,
        choices=[(key, _(label)) for key, label in consent_rules.CATEGORIES.items()])
    note = forms.CharField(label=_("Note (stays in this organisation)"), required=False,
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, grants: list[ConsentGrant], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "need", _choices(rules.NEEDS))
        field = self.fields["grant"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ConsentGrant.objects.filter(pk__in=[g.pk for g in grants])
        field.label_from_instance = _grant_label  # type: ignore[method-assign,assignment]


class MoveForm(forms.Form):
    state = forms.ChoiceField(choices=_choices(rules.STATES))
    reason = forms.CharField(required=False, max_length=2000)


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("What she said: did she receive the service, and how is "
                                   "she?"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    """What an organisation says of itself in the service directory (its administrators)."""

    services = forms.MultipleChoiceField(label=_("Services offered"),
                                         widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("Languages"), required=False,
                                          widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Provider
        fields = ["services", "languages", "city", "address", "phone", "email",
                  "intake_hours", "capacity", "accepts_children", "boys_max_age",
                  "accessible"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, labels in (("services", rules.NEEDS), ("languages", rules.LANGUAGES)):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = _choices(labels)
