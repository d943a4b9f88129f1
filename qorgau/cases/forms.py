"""Forms of the case pages. They only collect and check input; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import CASE_ROLES, Organisation
from qorgau.cases import order_types, policy, regions, services, taxonomy
from qorgau.cases.models import Case, CaseAssignment, Event, EventParty, Party
from qorgau.cases.regions import PROFILES

ORDER_KINDS = frozenset(k.id for k in taxonomy.KINDS if k.id.startswith("order_"))
OTHER_ORDER_TYPE = "other"  # "other: type it" in the select of the profile's order types
# Attribute keys that the event form manages; any other key of a corrected event is kept.
FORM_ATTRIBUTES = ("mode", "referral_requested", "response", "order_number", "order_type",
                   "valid_until", "adjourned", "adjournment_cause", "substitution",
                   "release_application")
# The kinds each detail field of the event form belongs to: the page shows a field only for
# its kinds, and a value given for another kind is refused, never silently dropped.
DETAIL_KINDS: dict[str, frozenset[str]] = {
    "mode": frozenset({"police_report"}),
    "referral_requested": frozenset({"police_report"}),
    "response": frozenset({"breach_response"}),
    **{name: ORDER_KINDS for name in ("order_number", "order_type_choice", "order_type",
                                      "valid_until")},
    **{name: frozenset({"hearing"}) for name in ("adjourned", "adjournment_cause",
                                                 "substitution")},
    "release_application": frozenset({"hearing", "appeal"}),
}
SUBSTITUTIONS = (("", "—"), ("judge", _("Judge")),
                 ("prosecutor", pgettext_lazy("court participant", "Prosecutor")),
                 ("jury", _("Jury")))


# The page adds a calendar beside each date typed as text (static/js/qorgau.js): a date
# picked there is written into the field as dd.mm.yyyy; typing stays possible.
PICKER = {"data-date-picker": _("Pick the date on a calendar")}


def _choices(mapping: dict[str, str]) -> list[tuple[str, Any]]:
    return [(key, _(label)) for key, label in mapping.items()]


def region_choices(countries: list[str], others: bool = False) -> list[tuple[str, Any]]:
    """Regions for a select, grouped by country (<optgroup>), those countries first."""
    language = get_language() or "en"
    return [(country, list(names)) for country, names in
            regions.grouped(countries, language, others=others)]


def profile_countries(first: str = "") -> list[str]:
    """The countries of the jurisdiction profiles, the given profile's first."""
    ids = [first, *PROFILES] if first in PROFILES else list(PROFILES)
    return [regions.profile_country(p) for p in ids if regions.profile_country(p)]


class RegionField(forms.ChoiceField):
    """A region: any ISO 3166-2 first-level code (or a code stored before those), whether or
    not the select lists it; the service checks it against the case's profile."""

    def valid_value(self, value: str) -> bool:
        return regions.is_region(value)


QUALIFIER_CHOICES = [
    ("none", _("As given")),
    ("approximate", _("Approximately")),
    ("before", _("Before this date")),
    ("after", _("After this date")),
]
RECURRENCE_CHOICES = [
    ("once", _("Once")),
    ("repeated", _("Repeatedly over the period")),
    ("several", _("Several times")),
]
CO_RESIDENT_CHOICES = [
    ("unknown", _("Not known")),
    ("true", _("Yes")),
    ("false", _("No")),
]


def set_choices(form: forms.Form, name: str, choices: list[tuple[Any, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


# What a user may choose; only erasure (qorgau.retention) makes a case erased.
LIVE_STATUSES = [(value, label) for value, label in Case.Status.choices
                 if value != Case.Status.ERASED]


def apply_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field if the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference or full name"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    region = RegionField(label=_("Region"), required=False)

    def __init__(self, *args: Any, countries: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "status", [("", _("Any status")), *LIVE_STATUSES])
        set_choices(self, "region", [("", _("Any region")),
                                     *region_choices(countries or profile_countries())])


class NewCaseForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"),
                                          queryset=Organisation.objects.none())
    region = RegionField(label=_("Region"), help_text=_(
        "The region must be under the chosen profile's law; the international profile takes "
        "any country."))
    profile = forms.ChoiceField(label=_("Jurisdiction profile"), initial="kz")
    survivor_name = forms.CharField(
        label=_("Survivor's full name (optional)"), required=False, max_length=300,
        help_text=_("You can add it later on the parties page. A placeholder is fine."),
    )

    def __init__(self, *args: Any, user: Any, country: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.filter(
            memberships__user=user, memberships__role__in=CASE_ROLES
        ).distinct().order_by("name")
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        self.organisations = list(organisations)
        if len(self.organisations) == 1:
            field.initial = self.organisations[0].pk
            field.widget = forms.HiddenInput()
        # The region defaults to the organisation's own (the first one's, if several).
        home = next((o.region for o in self.organisations if regions.is_region(o.region)), "")
        if home and not country:
            self.fields["region"].initial = home
        profile = str(self.data.get("profile", "kz")) if self.is_bound else "kz"
        countries = profile_countries(profile)
        if country:  # "a region in another country" (the page's country chooser)
            countries.insert(1 if regions.profile_country(profile) else 0, country)
        posted = str(self.data.get("region", "")) if self.is_bound else ""
        if regions.is_region(posted):
            countries.append(regions.country_of(posted))
        set_choices(self, "region", [("", "—"), *region_choices(countries)])
        set_choices(self, "profile", _choices(PROFILES))
        self.countries = regions.countries(get_language() or "en")
        self.country = country


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=LIVE_STATUSES)


CLOSE_REASON_MISSING = _("Choose why the case is closed.")


class CloseForm(forms.Form):
    """The confirmation before a case is closed: why (required)."""

    reason = forms.ChoiceField(
        label=_("Why is the case closed?"), widget=forms.RadioSelect,
        choices=[(key, _(label)) for key, label in services.CLOSE_REASONS.items()],
        error_messages={"required": CLOSE_REASON_MISSING,
                        "invalid_choice": CLOSE_REASON_MISSING})


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Party.Role.choices)
    full_name = forms.CharField(label=_("Full name"), max_length=300,
                                help_text=_("A placeholder is fine if the name is not known."))
    relationship = forms.ChoiceField(label=_("Relationship to the survivor"), required=False)
    co_resident = forms.ChoiceField(label=_("Lives with the survivor"),
                                    choices=CO_RESIDENT_CHOICES, initial="unknown")
    institution = forms.ChoiceField(label=_("Institution (for officials)"), required=False)
    other_names = forms.CharField(label=_("Other names and spellings"), required=False)
    birth_date = forms.CharField(label=_("Date of birth"), required=False, max_length=40)
    address = forms.CharField(label=_("Address"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=100)
    documents = forms.CharField(label=_("Identity documents"), required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "relationship", [("", "—"), *Party.Relationship.choices])
        set_choices(self, "institution", [("", "—"), *_choices(taxonomy.INSTITUTIONS)])

    @staticmethod
    def initial_for(party: Party) -> dict[str, Any]:
        initial = {name: getattr(party, name) for name in services.PARTY_INPUT}
        if party.co_resident is None:
            initial["co_resident"] = "unknown"
        else:
            initial["co_resident"] = "true" if party.co_resident else "false"
        return initial

    def values(self) -> dict[str, Any]:
        """The cleaned data as services.add_party/update_party take it."""
        data = {name: self.cleaned_data[name] for name in services.PARTY_INPUT}
        data["co_resident"] = {"true": True, "false": False}.get(data["co_resident"])
        return data


def kind_choices(sees_restricted: bool) -> list[tuple[Any, Any]]:
    grouped: list[tuple[Any, Any]] = [("", "—")]
    for group, label in taxonomy.GROUPS.items():
        kinds = [
            (k.id, _(k.label)) for k in taxonomy.KINDS
            if k.group == group and (sees_restricted or not k.restricted)
        ]
        if kinds:
            grouped.append((_(label), kinds))
    return grouped


class EventForm(forms.Form):
    """A new event or a correction. Parties and links are one field per row."""

    kind = forms.ChoiceField(label=_("What happened"))
    when_start = forms.CharField(
        label=_("Date"), required=False, max_length=40,
        help_text=_("As you would write it: 26.02.2024, 02.2024 or 2024; a period as "
                    "2015–2024; \"c. 2019\" if approximate. Leave empty if unknown."),
        widget=forms.TextInput(attrs={"placeholder": "26.02.2024", "autocomplete": "off",
                                      **PICKER}),
    )
    when_end = forms.CharField(
        label=_("Until"), required=False, max_length=40,
        help_text=_("Only for something that lasted or recurred over a period."),
        widget=forms.TextInput(attrs={"placeholder": "2024", "autocomplete": "off"}),
    )
    qualifier = forms.ChoiceField(label=_("How exact is the date"), choices=QUALIFIER_CHOICES,
                                  initial="none")
    recurrence = forms.ChoiceField(label=_("How often"), choices=RECURRENCE_CHOICES,
                                   initial="once")
    source = forms.ChoiceField(label=_("Source"))
    reliability = forms.ChoiceField(label=_("Reliability"))
    institution = forms.ChoiceField(label=_("Institution"), required=False)
    institution_unit = forms.CharField(label=_("Unit or office"), required=False,
                                       max_length=200)
    place = forms.CharField(label=_("Place"), required=False, max_length=500)
    narrative = forms.CharField(label=_("What happened, in words"), required=False,
                                widget=forms.Textarea(attrs={"rows": 5}))
    # Kind-specific details.
    mode = forms.ChoiceField(label=_("How the report was made (reports to police)"),
                             required=False)
    referral_requested = forms.BooleanField(
        label=_("She asked the police to refer her for help (reports to the police)"),
        required=False)
    response = forms.ChoiceField(label=_("Response (responses to a breach)"), required=False)
    order_number = forms.CharField(label=_("Order number (protection orders)"),
                                   required=False, max_length=100)
    order_type_choice = forms.ChoiceField(label=_("Order type (protection orders)"),
                                          required=False)
    order_type = forms.CharField(label=_("Other order type: type it"), required=False,
                                 max_length=100)
    valid_until = forms.CharField(label=_("Valid until (protection orders)"), required=False,
                                  max_length=16,
                                  widget=forms.TextInput(attrs={"placeholder": "2024-02-28"}))
    adjourned = forms.BooleanField(label=_("Adjourned (hearings)"), required=False)
    adjournment_cause = forms.CharField(label=_("Cause of the adjournment (hearings)"),
                                        required=False, max_length=300)
    substitution = forms.ChoiceField(label=_("Substituted at this hearing (hearings)"),
                                     required=False, choices=SUBSTITUTIONS)
    release_application = forms.BooleanField(
        label=_("Application for release considered (hearings, appeals)"), required=False)
    # "Reported to …" on an incident or a breach: the service writes the report event too.
    report_to = forms.ChoiceField(label=_("Reported to"), required=False)
    report_when = forms.CharField(
        label=_("Reported on"), required=False, max_length=16,
        help_text=_("Leave empty if it was reported the same day."),
        widget=forms.TextInput(attrs={"placeholder": "2024-02-26", "inputmode": "numeric",
                                      "autocomplete": "off"}))
    report_mode = forms.ChoiceField(label=_("How it was reported"), required=False)
    report_by = forms.ChoiceField(label=_("Reported by"), required=False, initial="survivor")

    def __init__(
        self,
        *args: Any,
        case: Case,
        parties: list[Party],
        targets: QuerySet[Event] | list[Event],
        link_rows: int = 3,
        base_attributes: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.base_attributes = {
            k: v for k, v in (base_attributes or {}).items() if k not in FORM_ATTRIBUTES
        }
        sees_restricted = policy.sees_restricted(case)
        set_choices(self, "kind", kind_choices(sees_restricted))
        set_choices(self, "source", [("", "—"), *_choices(taxonomy.SOURCES)])
        set_choices(self, "reliability", [("", "—"), *_choices(taxonomy.RELIABILITY)])
        set_choices(self, "institution", [("", "—"), *_choices(taxonomy.INSTITUTIONS)])
        set_choices(self, "mode", [("", "—"), *_choices(taxonomy.REPORT_MODES)])
        set_choices(self, "response", [("", "—"), *_choices(taxonomy.BREACH_RESPONSES)])
        self.order_types = services.order_types_for(case)
        set_choices(self, "order_type_choice", [
            ("", "—"), *order_types.choices(self.order_types, get_language() or "en"),
            (OTHER_ORDER_TYPE, _("Other: type it below"))])
        shown = self.initial.get("order_type_choice")  # a correction's stored order type
        if shown and shown in {str(o["id"]) for o in self.order_types}:
            self.initial["order_type"] = ""
        elif shown:
            self.initial["order_type_choice"] = OTHER_ORDER_TYPE
        set_choices(self, "report_to", [("", _("Not reported")),
                                        *_choices(services.REPORT_TO_LABELS)])
        set_choices(self, "report_mode", [("", "—"), *_choices(taxonomy.REPORT_MODES)])
        set_choices(self, "report_by", _choices(services.REPORTED_BY))

        self.parties = {party.pk: party for party in parties}
        role_choices = [("", _("Not involved")), *EventParty.Role.choices]
        for party in parties:
            self.fields[f"party_{party.pk}"] = forms.ChoiceField(
                label=str(party), required=False, choices=role_choices
            )
        self.targets = {event.pk: event for event in targets}
        target_choices: list[tuple[Any, Any]] = [("", "—")]
        for event in self.targets.values():
            target_choices.append((str(event.pk), f"#{event.number} {event.get_kind_display()}"))
        link_kinds = [("", "—"), *_choices(taxonomy.LINK_KINDS)]
        self.link_count = link_rows
        for i in range(link_rows):
            self.fields[f"link_target_{i}"] = forms.ChoiceField(
                label=_("Earlier event"), required=False, choices=target_choices)
            self.fields[f"link_kind_{i}"] = forms.ChoiceField(
                label=_("Link"), required=False, choices=link_kinds)

    # Rows for the template.
    def party_rows(self) -> list[forms.BoundField]:
        return [self[f"party_{pk}"] for pk in self.parties]

    def detail_fields(self) -> list[dict[str, Any]]:
        """The kind-specific fields, each with the kinds it belongs to (the page shows only
        those of the chosen kind)."""
        return [{"bound": self[name], "kinds": " ".join(sorted(kinds))}
                for name, kinds in DETAIL_KINDS.items() if name in self.fields]

    @property
    def reportable_kinds(self) -> str:
        return " ".join(sorted(services.REPORTABLE))

    def link_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"link_kind_{i}"], self[f"link_target_{i}"])
                for i in range(self.link_count)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            data["span"] = services.parse_span(
                data.get("when_start") or "", data.get("when_end") or "",
                data.get("qualifier") or "none", data.get("recurrence") or "once",
            )
        except ValidationError as exc:
            apply_service_error(self, exc)

        parties = []
        for pk, party in self.parties.items():
            role = data.get(f"party_{pk}")
            if role:
                parties.append((party, role))
        data["parties"] = parties

        links = []
        for i in range(self.link_count):
            target, kind = data.get(f"link_target_{i}"), data.get(f"link_kind_{i}")
            if target and not kind:
                self.add_error(f"link_kind_{i}", _("Choose how the events are linked."))
            elif kind and not target:
                self.add_error(f"link_target_{i}", _("Choose the earlier event."))
            elif target and kind:
                links.append((self.targets[int(target)], kind))
        data["links"] = links

        kind = data.get("kind", "")
        if kind:
            for name, kinds in DETAIL_KINDS.items():
                value = data.get(name)
                if value and kind not in kinds and not (isinstance(value, str)
                                                        and not value.strip()):
                    self.add_error(name, _("This detail does not belong to %(kind)s: leave "
                                           "it empty, or choose another kind.") % {
                        "kind": _(taxonomy.BY_ID[kind].label) if kind in taxonomy.BY_ID
                        else kind})
        attributes = dict(self.base_attributes)
        if kind == "police_report" and data.get("mode"):
            attributes["mode"] = data["mode"]
        if kind == "breach_response" and data.get("response"):
            attributes["response"] = data["response"]
        if kind in ORDER_KINDS:
            if (data.get("order_number") or "").strip():
                attributes["order_number"] = data["order_number"].strip()
            chosen, typed = data.get("order_type_choice"), (data.get("order_type") or "").strip()
            if chosen and chosen != OTHER_ORDER_TYPE:
                attributes["order_type"] = chosen
            elif typed:
                attributes["order_type"] = typed  # the service stores a listed type's id
            elif chosen == OTHER_ORDER_TYPE:
                self.add_error("order_type", _("Type the order type, or choose one from the "
                                               "list."))
            valid_until = (data.get("valid_until") or "").strip()
            if valid_until:
                try:
                    services.parse_span(valid_until)
                except ValidationError as exc:
                    self.add_error("valid_until", exc.error_dict["when_start"])
                else:
                    attributes["valid_until"] = valid_until
        if kind == "police_report" and data.get("referral_requested"):
            attributes["referral_requested"] = True
        if kind == "hearing":
            if data.get("adjourned"):
                attributes["adjourned"] = True
                cause = (data.get("adjournment_cause") or "").strip()
                if cause:
                    attributes["adjournment_cause"] = cause
            if data.get("substitution"):
                attributes["substitution"] = data["substitution"]
        if kind in ("hearing", "appeal") and data.get("release_application"):
            attributes["release_application"] = True
        data["attributes"] = attributes
        data["report"] = self._report(kind, data)
        return data

    def _report(self, kind: str, data: dict[str, Any]) -> services.ReportInput | None:
        """The "reported to" part, if filled in (the service checks the rest)."""
        to = data.get("report_to") or ""
        when = (data.get("report_when") or "").strip()
        if not to:
            if when or data.get("report_mode"):
                self.add_error("report_to", _("Choose to whom it was reported."))
            return None
        if kind and kind not in services.REPORTABLE:
            self.add_error("report_to", _(
                "Only an incident of abuse or a breach of a protection order can be reported "
                "here; record a report about anything else as an event of its own."))
            return None
        span = None
        if when:
            try:
                span = services.parse_span(when)
            except ValidationError as exc:
                self.add_error("report_when", exc.error_dict["when_start"])
                return None
        return services.ReportInput(to=to, span=span, mode=data.get("report_mode") or "",
                                    by=data.get("report_by") or "survivor",
                                    referral_requested=bool(data.get("referral_requested")))

    def event_input(self) -> services.EventInput:
        data = self.cleaned_data
        return services.EventInput(
            kind=data["kind"], span=data["span"], source=data["source"],
            reliability=data["reliability"], narrative=data.get("narrative", ""),
            place=data.get("place", ""), institution=data.get("institution", ""),
            institution_unit=data.get("institution_unit", ""),
            attributes=data["attributes"], parties=data["parties"], links=data["links"],
            report=data.get("report"),
        )

    @staticmethod
    def initial_for(data: services.EventInput) -> dict[str, Any]:
        """Initial values that show `data` (an existing event's input) on the form."""
        span = data.span
        initial: dict[str, Any] = {
            "kind": data.kind,
            "when_start": span.start.iso() if span.start else "",
            "when_end": span.end.iso() if span.end else "",
            "qualifier": span.qualifier, "recurrence": span.recurrence,
            "source": data.source, "reliability": data.reliability,
            "institution": data.institution, "institution_unit": data.institution_unit,
            "place": data.place, "narrative": data.narrative,
        }
        for name in FORM_ATTRIBUTES:
            if name in data.attributes:
                initial[name] = data.attributes[name]
        if data.attributes.get("order_type"):  # a listed type's id is chosen, not typed
            initial["order_type_choice"] = data.attributes["order_type"]
        for party, role in data.parties:
            initial[f"party_{party.pk}"] = role
        for i, (target, kind) in enumerate(data.links):
            initial[f"link_target_{i}"] = str(target.pk)
            initial[f"link_kind_{i}"] = kind
        return initial


class CorrectionForm(EventForm):
    correction_reason = forms.CharField(
        label=_("Why is this event corrected?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. The original stays on record, struck through, with this reason."),
    )


def _typed_date(form: forms.Form, name: str, recurrence: str = "once") -> Any:
    """The DateSpan typed in `name` (None if empty), or the field's error."""
    text = form.cleaned_data.get(name) or ""
    if not text.strip():
        return None
    try:
        return services.parse_span(text, recurrence=recurrence)
    except ValidationError as exc:
        form.add_error(name, exc.error_dict["when_start"])
        return None


def _date_field(label: Any, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=40,
                           widget=forms.TextInput(attrs={"placeholder": "26.02.2024",
                                                         "autocomplete": "off", **PICKER}))


class StoryForm(forms.Form):
    """Guided entry (qorgau.cases.story): the caseworker's questions, in her words."""

    what = forms.ChoiceField(label=_("What happened?"), widget=forms.RadioSelect)
    when = _date_field(_("When?"), required=True)
    repeated = forms.BooleanField(label=_("It happened again and again in that period"),
                                  required=False)
    narrative = forms.CharField(label=_("In her words (optional)"), required=False,
                                max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))
    told = forms.ChoiceField(label=_("Did she tell anyone?"), widget=forms.RadioSelect,
                             initial="nobody")
    told_when = _date_field(_("When did she tell them? (empty: the same day)"))
    told_how = forms.ChoiceField(label=_("How?"), required=False)
    asked_referral = forms.BooleanField(label=_("She asked to be referred for help"),
                                        required=False)
    answer = forms.ChoiceField(label=_("What did they do?"), initial="unknown")
    answer_when = _date_field(_("When? (empty: the day she told them)"))
    order_type = forms.ChoiceField(label=_("Which order?"), required=False)
    doctor = forms.BooleanField(label=_("She saw a doctor (there is a medical record)"),
                                required=False)
    doctor_when = _date_field(_("When did she see the doctor? (empty: the same day)"))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from qorgau.cases import story

        set_choices(self, "what", [(k, _(label)) for k, (_kind, label) in story.WHAT.items()])
        set_choices(self, "told", [(k, _(label)) for k, label in story.TOLD.items()])
        set_choices(self, "told_how", [("", "—"), *(
            (k, _(label)) for k, label in taxonomy.REPORT_MODES.items())])
        set_choices(self, "answer", [(k, _(label)) for k, label in story.ANSWERS.items()])
        set_choices(self, "order_type", [
            ("", "—"), *order_types.choices(services.order_types_for(case),
                                            get_language() or "en")])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["span"] = _typed_date(self, "when",
                                   "repeated" if data.get("repeated") else "once")
        for name in ("told_when", "answer_when", "doctor_when"):
            data[f"{name}_span"] = _typed_date(self, name)
        return data

    def story(self) -> Any:
        from qorgau.cases import story

        data = self.cleaned_data
        return story.Story(
            what=data["what"], when=data["span"], narrative=data["narrative"],
            told=data["told"], told_when=data["told_when_span"], told_how=data["told_how"],
            asked_referral=data["asked_referral"], answer=data["answer"],
            answer_when=data["answer_when_span"], order_type=data["order_type"],
            doctor=data["doctor"], doctor_when=data["doctor_when_span"])


class PeopleForm(forms.Form):
    """One change of a case's people: add (or change access), remove, hand over."""

    action = forms.ChoiceField(choices=[("add", _("Add or change access")),
                                        ("remove", _("Remove from the case")),
                                        ("handover", _("Hand over"))])
    person = forms.TypedChoiceField(label=_("Person"), coerce=int)
    access = forms.ChoiceField(label=_("Access"), required=False,
                               choices=[("", "—"), *CaseAssignment.Access.choices])
    to = forms.TypedChoiceField(label=_("Hand over to"), coerce=int, required=False,
                                empty_value=None)

    def __init__(self, *args: Any, colleagues: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "person", colleagues)
        set_choices(self, "to", [("", "—"), *colleagues])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "handover" and not data.get("to"):
            self.add_error("to", _("Choose who takes the case over."))
        return data
