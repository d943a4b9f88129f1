"""Forms of the proceedings pages: open, change, record a step, observe a hearing, grade."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.cases import services as case_services
from qorgau.cases import taxonomy
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case, Event, Party
from qorgau.cases.templatetags.qorgau_cases import format_span
from qorgau.proceedings import flags
from qorgau.proceedings.models import Proceeding

# The steps a caseworker records from a proceeding's page, in the order they usually come.
STEPS = ("arrest", "detention_ordered", "detention_extended", "detention_refused",
         "restriction_ordered", "release", "indictment", "hearing", "jury_selected",
         "jury_dismissed", "mistrial", "verdict", "sentence", "appeal",
         "release_pending_appeal", "court_decision", "case_discontinued")


def _choices(vocabulary: dict[str, str]) -> list[tuple[str, str]]:
    return [("", "—"), *((k, _(v)) for k, v in vocabulary.items())]


def parse_charges(text: str) -> list[dict[str, str]]:
    """One charge per line; the article after a "|" ("Murder | art. 99")."""
    charges = []
    for line in text.splitlines():
        if line.strip():
            charge, _sep, article = line.partition("|")
            charges.append({"text": charge.strip(), "article": article.strip()})
    return charges


def charges_text(charges: list[dict[str, str]]) -> str:
    return "\n".join(" | ".join(filter(None, (c["text"], c.get("article", ""))))
                     for c in charges)


class ProceedingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Proceeding.Kind.choices)
    court = forms.CharField(label=gettext_lazy("Court"), max_length=200)
    case_number = forms.CharField(label=gettext_lazy("Court case number"), max_length=100,
                                  required=False)
    charge = forms.CharField(label=gettext_lazy("Charge"), max_length=300, required=False)
    article = forms.CharField(label=gettext_lazy("Article"), max_length=100, required=False)
    accused = forms.TypedChoiceField(label=gettext_lazy("Accused"), coerce=int,
                                     required=False, empty_value=None)
    events = forms.TypedMultipleChoiceField(label=gettext_lazy("Events of the proceeding"),
                                            coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, case: Case, events: list[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accused"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (p.pk, p.full_name) for p in Party.objects.filter(case=case)]
        self.fields["events"].choices = [  # type: ignore[attr-defined]
            (e.number, f"#{e.number} {e.get_kind_display()}, {format_span(e.span)}")
            for e in events]


class ChangeForm(forms.Form):
    """What the proceeding says about itself; new charges with a date are a reclassification."""

    change = forms.CharField(widget=forms.HiddenInput, initial="1")
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Proceeding.Status.choices)
    court = forms.CharField(label=gettext_lazy("Court"), max_length=200)
    case_number = forms.CharField(label=gettext_lazy("Court case number"), max_length=100,
                                  required=False)
    judge = forms.CharField(label=gettext_lazy("Judge"), max_length=200, required=False)
    charges = forms.CharField(
        label=gettext_lazy("Charges"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy('One charge per line; the article after a "|".'))
    reclassified_on = forms.CharField(
        label=gettext_lazy("Date of the reclassification"), required=False, max_length=16,
        help_text=gettext_lazy("Only if the charges were changed by the investigator, the "
                               "prosecutor or the court; leave empty to correct a mistake."))
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"),
                                choices=Proceeding.Outcome.choices)
    sentence_penalty = forms.ChoiceField(label=gettext_lazy("Sentence"), required=False)
    sentence_term = forms.CharField(label=gettext_lazy("Term or amount"), max_length=200,
                                    required=False)
    act_against_respondent = forms.BooleanField(
        label=gettext_lazy("The act she is accused of was against the respondent"),
        required=False)

    def __init__(self, *args: Any, proceeding: Proceeding, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "status": proceeding.status, "court": proceeding.court,
            "case_number": proceeding.case_number, "judge": proceeding.judge,
            "charges": charges_text(proceeding.charges), "outcome": proceeding.outcome,
            "sentence_penalty": proceeding.sentence_penalty,
            "sentence_term": proceeding.sentence_term,
            "act_against_respondent": proceeding.act_against_respondent})
        super().__init__(*args, **kwargs)
        self.fields["sentence_penalty"].choices = _choices(  # type: ignore[attr-defined]
            taxonomy.PENALTIES)
        if not proceeding.against_survivor:
            del self.fields["act_against_respondent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["span"] = None
        if data.get("reclassified_on"):
            try:
                data["span"] = case_services.parse_span(data["reclassified_on"])
            except ValidationError as exc:
                self.add_error("reclassified_on", exc.error_dict["when_start"])
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        found = {name: data[name] for name in (
            "status", "court", "case_number", "judge", "outcome", "sentence_penalty",
            "sentence_term")}
        found["charges"] = parse_charges(data["charges"])
        if "act_against_respondent" in self.fields:
            found["act_against_respondent"] = data["act_against_respondent"]
        return found


class StepForm(forms.Form):
    """A step of the proceeding, written to the timeline: only the details of its kind count."""

    step = forms.ChoiceField(label=gettext_lazy("What happened"))
    when = forms.CharField(
        label=gettext_lazy("Date"), max_length=16,
        help_text=gettext_lazy("YYYY, YYYY-MM or YYYY-MM-DD."),
        widget=forms.TextInput(attrs={"placeholder": "2024-02-26", "autocomplete": "off"}))
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), required=False)
    penalty = forms.ChoiceField(label=gettext_lazy("Penalty"), required=False)
    amount = forms.CharField(label=gettext_lazy("Amount or term"), max_length=200,
                             required=False)
    measure = forms.ChoiceField(label=gettext_lazy("Measure"), required=False)
    court_level = forms.ChoiceField(label=gettext_lazy("Level of court"), required=False)
    final = forms.BooleanField(label=gettext_lazy("The decision is final"), required=False)
    retrial_ordered = forms.BooleanField(label=gettext_lazy("Retrial ordered"), required=False)
    adjourned = forms.BooleanField(label=gettext_lazy("Adjourned"), required=False)
    stereotyping = forms.CharField(
        label=gettext_lazy("Stereotyped words or reasoning"), max_length=500, required=False,
        help_text=gettext_lazy('As said or written, e.g. "she provoked him".'))
    narrative = forms.CharField(label=gettext_lazy("What happened, in a few words"),
                                required=False, widget=forms.Textarea(attrs={"rows": 2}))

    DETAILS = ("outcome", "penalty", "amount", "measure", "court_level", "final",
               "retrial_ordered", "adjourned", "stereotyping")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [  # type: ignore[attr-defined]
            (k, _(taxonomy.BY_ID[k].label)) for k in STEPS]
        for name, vocabulary in (("outcome", taxonomy.OUTCOMES),
                                 ("penalty", taxonomy.PENALTIES),
                                 ("measure", taxonomy.MEASURES),
                                 ("court_level", taxonomy.LEVELS)):
            self.fields[name].choices = _choices(vocabulary)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when"):
            try:
                data["span"] = case_services.parse_span(data["when"])
            except ValidationError as exc:
                self.add_error("when", exc.error_dict["when_start"])
        kind = data.get("step")
        if kind:
            for name in self.DETAILS:
                value = data.get(name)
                if value and kind not in taxonomy.ATTRIBUTES[name].kinds:
                    self.add_error(name, _("This detail does not belong to %(kind)s.") % {
                        "kind": _(taxonomy.BY_ID[kind].label)})
        return data

    def event_input(self) -> case_services.EventInput:
        data = self.cleaned_data
        kind = data["step"]
        attributes = {name: data[name] for name in self.DETAILS if data.get(name)}
        if "stereotyping" in attributes:
            attributes["stereotyping"] = attributes["stereotyping"].strip()
        return case_services.EventInput(
            kind=kind, span=data["span"], source="document", reliability="confirmed",
            narrative=data["narrative"], institution=_institution(kind),
            attributes=attributes)


def _institution(kind: str) -> str:
    return "police" if kind == "arrest" else "court"


class HearingForm(forms.Form):
    hearing = forms.TypedChoiceField(label=gettext_lazy("Hearing"), coerce=int)
    abuse_evidence_excluded = forms.BooleanField(
        label=gettext_lazy("Evidence of the abuse history was excluded"), required=False)

    def __init__(self, *args: Any, hearings: list[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hearing"].choices = [  # type: ignore[attr-defined]
            (e.number, f"#{e.number} {format_span(e.span)}") for e in hearings]
        choices = [("", _("Not recorded")), (flags.OBSERVED, _("Observed")),
                   (flags.NOT_OBSERVED, _("Not observed")),
                   (flags.NOT_APPLICABLE, _("Not applicable"))]
        for key, label in flags.INDICATORS.items():
            self.fields[f"ind_{key}"] = forms.ChoiceField(
                label=_(label), choices=choices, required=False, widget=forms.RadioSelect)
            self.fields[f"note_{key}"] = forms.CharField(label=_("Note"), required=False)

    def indicators(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {key: {"value": data[f"ind_{key}"], "note": data[f"note_{key}"]}
                for key in flags.INDICATORS if data.get(f"ind_{key}")}


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("Overall fairness"), choices=[
        (g, g) for g in "ABCDEF"])
    rationale = forms.CharField(label=gettext_lazy("Rationale"),
                                widget=forms.Textarea(attrs={"rows": 4}))
    affected_outcome = forms.BooleanField(label=gettext_lazy(
        "The violations affected the outcome"), required=False)
    significant_harm = forms.BooleanField(label=gettext_lazy(
        "The violations caused significant harm"), required=False)


__all__ = ["ChangeForm", "GradeForm", "HearingForm", "ProceedingForm", "StepForm",
           "apply_service_error"]
