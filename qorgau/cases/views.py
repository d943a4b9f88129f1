"""Case pages. Thin: every case URL reaches its case through get_case_for_user first, and
every change goes through qorgau.cases.services."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from qorgau.accounts.models import CASE_ROLES, Membership, User
from qorgau.cases import listing, policy, regions, services, story, taxonomy
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import (
    CaseFilterForm,
    CloseForm,
    CorrectionForm,
    EventForm,
    NewCaseForm,
    PartyForm,
    PeopleForm,
    StatusForm,
    StoryForm,
    apply_service_error,
    profile_countries,
)
from qorgau.cases.models import (
    Case,
    CaseAssignment,
    Event,
    EventLink,
    EventParty,
    LedgerEntry,
    Party,
)
from qorgau.cases.templatetags.qorgau_cases import format_span

CASES_PER_PAGE = 50
TIMELINE_PER_PAGE = 25
LEDGER_PER_PAGE = 100
SAFE_METHODS = ("GET", "HEAD")


class AuthedRequest(HttpRequest):
    """What a view behind login_required (and HtmxMiddleware) receives."""

    user: User
    htmx: HtmxDetails


def _role(case: Case) -> str | None:
    """The viewer's role, set on the case by get_case_for_user."""
    return getattr(case, "viewer_role", None)


def _sees_restricted(case: Case) -> bool:
    return policy.sees_restricted(case)


def _can_write(case: Case) -> bool:
    return getattr(case, "access", None) == CaseAssignment.Access.WRITE


def _read_only(request: HttpRequest) -> HttpResponse | None:
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    return None


# --- my cases ----------------------------------------------------------------------------


def _count(events: QuerySet[Event]) -> Coalesce:
    counted = events.order_by().values("case").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def _last(events: QuerySet[Event]) -> Subquery:
    latest = events.filter(sort_start__isnull=False).order_by(
        F("sort_start").desc(), F("sort_end").desc(), "-number"
    )
    return Subquery(latest.values("pk")[:1])


def _my_cases(user: Any, form: CaseFilterForm) -> QuerySet[Case]:
    data = form.cleaned_data if form.is_valid() else {}
    cases = services.find_cases(user, q=data.get("q") or "", status=data.get("status") or "",
                                region=data.get("region") or "")
    current = Event.objects.filter(case=OuterRef("pk"), superseded_by__isnull=True)
    unrestricted = current.for_reader(False)
    return (
        cases.annotate(
            n_all=_count(current), n_open=_count(unrestricted),
            last_all=_last(current), last_open=_last(unrestricted),
        )
        .prefetch_related(Prefetch(
            "parties",
            queryset=Party.objects.filter(role=Party.Role.SURVIVOR).only(
                "id", "case_id", "role", "full_name"),
            to_attr="survivors",
        ))
        .order_by("-created_at", "-pk")
    )


@login_required
def case_list(request: AuthedRequest) -> HttpResponse:
    """My cases. The search form is sent by POST, so a name typed in it is in no URL (the
    browser's history, the access log); a URL's `q` is not read."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    searched = request.method == "POST"
    data = request.POST if searched else request.GET.copy()
    if not searched:
        data.pop("q", None)
    stored = Case.objects.visible_to(request.user).values_list("region", flat=True).distinct()
    form = CaseFilterForm(data, countries=[
        *profile_countries(), *sorted({regions.country_of(r) for r in stored} - {""})])
    page = Paginator(_my_cases(request.user, form), CASES_PER_PAGE).get_page(
        data.get("page"))
    rows = list(page.object_list)
    roles = dict(
        Membership.objects.filter(user=request.user).values_list("organisation_id", "role"))
    for case in rows:
        sees = policy.role_sees_restricted(roles.get(case.organisation_id))
        case.event_count = case.n_all if sees else case.n_open
        case.last_event_id = case.last_all if sees else case.last_open
    last_ids = [case.last_event_id for case in rows if case.last_event_id]
    last = Event.objects.only("id", "when_start", "when_end", "qualifier",
                              "recurrence").in_bulk(last_ids)
    for case in rows:
        case.last_event = last.get(case.last_event_id)
    listing.decorate(rows)  # risk level, overdue duties (their apps register them)
    context = {"form": form, "page": page, "cases": rows, "searched": searched,
               "filtered": any(data.get(k) for k in ("q", "status", "region"))}
    template = "cases/case_list.html"
    if request.htmx and not request.htmx.boosted:
        template = "cases/_case_results.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def case_new(request: AuthedRequest) -> HttpResponse:
    country = request.GET.get("country", "").upper()
    form = NewCaseForm(request.POST or None, user=request.user,
                       country=country if regions.regions_of(country) else "")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                case = services.create_case(data["organisation"], request.user,
                                            region=data["region"], profile=data["profile"])
                if data["survivor_name"].strip():
                    services.add_party(case, request.user, role="survivor",
                                       relationship="self", full_name=data["survivor_name"])
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Case %(ref)s opened. Now: what happened?") % {
                "ref": case.reference})
            return redirect("cases:story", ref=case.reference)
    return render(request, "cases/case_new.html", {"form": form})


# --- the case page -----------------------------------------------------------------------


def _timeline_events(case: Case, history: bool) -> QuerySet[Event]:
    events = Event.objects.filter(case=case).visible_to_role(_role(case))
    return events if history else events.current()


def _newest_first(events: QuerySet[Event]) -> QuerySet[Event]:
    """The timeline's order (Event.chronological) reversed: the newest page comes first."""
    return events.order_by(F("sort_start").desc(nulls_first=True),
                           F("sort_end").desc(nulls_first=True), "-number")


def _page_of_event(events: QuerySet[Event], number: int) -> int:
    """The timeline page (1: the newest) that shows event `number`; 1 if the viewer does not
    see it. One query: how many events come after it in the timeline's order."""
    start = Coalesce("sort_start", Value(date.max))  # NULLS LAST, as a value
    end = Coalesce("sort_end", Value(date.max))
    it = events.filter(number=number)
    k1 = Subquery(it.values(k=start)[:1])
    k2 = Subquery(it.values(k=end)[:1])
    later = events.alias(k1=start, k2=end).filter(
        Q(k1__gt=k1) | Q(k1=k1, k2__gt=k2) | Q(k1=k1, k2=k2, number__gt=number)).count()
    return later // TIMELINE_PER_PAGE + 1


# Of the event a row corrects, the row shows its number only.
SUPERSEDED_UNREAD = ("supersedes__place", "supersedes__narrative",
                     "supersedes__correction_reason", "supersedes__salt",
                     "supersedes__attributes")


@dataclass
class TimelinePage:
    """One page of the timeline, oldest first on the page; page 1 holds the newest events."""

    events: list[Event]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // TIMELINE_PER_PAGE))

    @property
    def first_position(self) -> int:
        """The chronological position (1: the earliest) of the page's first event."""
        return self.total - (self.number - 1) * TIMELINE_PER_PAGE - len(self.events) + 1

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.events) - 1

    @property
    def earlier(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    @property
    def later(self) -> int | None:
        return self.number - 1 if self.number > 1 else None


def page_number(value: str | None) -> int:
    """A ?page= value as a page number: 1 when missing, wrong or below 1."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _timeline_total(case: Case, history: bool) -> int:
    """How many events the timeline holds: those the reader sees, less (without the
    history) the ones a correction supersedes; counted from the case's light events."""
    events = services.light_events(case)
    corrected = set() if history else {e.supersedes_id for e in events.values()}
    sees = _sees_restricted(case)
    return sum(1 for pk, event in events.items()
               if pk not in corrected and policy.kind_visible(event.kind, sees))


def _timeline(case: Case, history: bool, page: int) -> TimelinePage:
    """One page of events with their corrections and parties, and how many there are."""
    events = _timeline_events(case, history)
    rows = (_newest_first(events)
            .defer("salt", *SUPERSEDED_UNREAD)  # not shown: fewer decryptions per event
            # Current events have no correction: only the history needs superseded_by.
            .select_related("supersedes", *(("superseded_by",) if history else ()))
            .prefetch_related(Prefetch("event_parties",
                                       queryset=EventParty.objects.order_by("pk"))))
    offset = (page - 1) * TIMELINE_PER_PAGE
    found: list[Event] = list(rows[offset:offset + TIMELINE_PER_PAGE])
    total = _timeline_total(case, history)
    if not found and page > 1:  # past the earliest page: show the earliest
        last = max(1, -(-total // TIMELINE_PER_PAGE))
        return _timeline(case, history, last) if last < page else TimelinePage([], page, 0)
    found.reverse()
    return TimelinePage(found, page, total)


class LinkEnd(NamedTuple):
    number: int
    kind: str


@dataclass
class PageLink:
    """A link as the timeline shows it: its kind, and the number and kind of both ends."""

    kind: str
    source_id: int
    target_id: int
    source: LinkEnd | services.LightEvent
    target: LinkEnd | services.LightEvent
    source_url: str = ""
    target_url: str = ""


def _links(links: QuerySet[EventLink],
           ends: Mapping[int, services.LightEvent] | None = None) -> list[PageLink]:
    """The links with both ends' number and kind: from `ends` (the case's light events,
    when the page has read them: no join) or from one more query."""
    rows = list(links.order_by("pk").values_list("kind", "source_id", "target_id"))
    found: Mapping[int, LinkEnd | services.LightEvent] | None = ends
    if found is None:
        ids = {pk for _kind, source, target in rows for pk in (source, target)}
        found = {pk: LinkEnd(number, kind) for pk, number, kind in Event.objects.filter(
            pk__in=ids).values_list("pk", "number", "kind")} if ids else {}
    return [PageLink(kind, source, target, found[source], found[target])
            for kind, source, target in rows]


def _event_urls(case: Case) -> Callable[[int], str]:
    """Event pages' addresses by number: one reverse() for a page, not one per link."""
    head = reverse("cases:event_detail", args=[case.reference, 0]).removesuffix("/0/")
    return lambda number: f"{head}/{number}/"


def _decorate(case: Case, events: Sequence[Any], parties: dict[int, Party],
              sees_restricted: bool, links: Sequence[Any],
              corrected: bool = True) -> None:
    """Attach what the template shows, hiding links to events the viewer may not see.
    `corrected`: whether the events may have been corrected (else none is asked)."""
    url = _event_urls(case)

    def visible(kind: str) -> bool:
        return policy.kind_visible(kind, sees_restricted)

    links_out: dict[int, list[Any]] = {}
    links_in: dict[int, list[Any]] = {}
    for link in links:
        links_out.setdefault(link.source_id, []).append(link)
        links_in.setdefault(link.target_id, []).append(link)
        link.source_url, link.target_url = url(link.source.number), url(link.target.number)
    roles = {role: str(label) for role, label in EventParty.Role.choices}  # once, not per row
    for event in events:
        event.involved = [(parties[ep.party_id], roles.get(ep.role, ep.role))
                          for ep in event.event_parties.all() if ep.party_id in parties]
        event.links = [link for link in links_out.get(event.pk, [])
                       if visible(link.target.kind)]
        event.linked_from = [link for link in links_in.get(event.pk, [])
                             if visible(link.source.kind)]
        event.corrected_by = getattr(event, "superseded_by", None) if corrected else None
        event.url = url(event.number)
        event.corrected_by_url = url(event.corrected_by.number) if event.corrected_by else ""
        event.supersedes_url = url(event.supersedes.number) if event.supersedes else ""


@login_required
def case_detail(request: AuthedRequest, ref: str) -> HttpResponse:
    # The risk panel shows the safety plan: loaded with the case.
    case = get_case_for_user(request, ref, related=("safety_plan",))
    if refused := _read_only(request):
        return refused
    history = request.GET.get("history") == "1"
    page = page_number(request.GET.get("page"))
    if "event" in request.GET:  # a link to one event: the page that shows it
        try:
            number = int(request.GET["event"])
        except ValueError:
            number = 0
        page = _page_of_event(_timeline_events(case, history), number)
    # The page shows a party's role, relationship and name: the rest stays encrypted.
    parties = list(case.parties.only("id", "case_id", "role", "relationship", "full_name"))
    timeline = _timeline(case, history, page)
    ids = [event.pk for event in timeline.events]
    _decorate(case, timeline.events, {p.pk: p for p in parties}, _sees_restricted(case),
              _links(EventLink.objects.filter(Q(source_id__in=ids) | Q(target_id__in=ids)),
                     services.light_events(case)),
              corrected=history)
    services.record_view(case, request.user, "case")
    context = {
        "case": case, "parties": parties, "timeline": timeline,
        "events": timeline.events, "history": history,
        "can_write": _can_write(case),
    }
    if request.htmx.target == "timeline":  # another page of the timeline, in place
        response = render(request, "cases/_timeline.html", context)
    else:
        context["status_form"] = StatusForm(initial={"status": case.status})
        response = render(request, "cases/case_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def case_status(request: AuthedRequest, ref: str) -> HttpResponse:
    """Reopen a closed case (one button), or close an open one after a confirmation that
    says what stops and asks why (GET shows it; the reason is required)."""
    case = get_case_for_user(request, ref, write=True)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST" and request.POST.get("status") == Case.Status.OPEN:
        services.set_status(case, request.user, Case.Status.OPEN)
        messages.success(request, _("The case is open again."))
        return redirect("cases:detail", ref=case.reference)
    if case.status != Case.Status.OPEN:
        messages.error(request, _("The case is not open."))
        return redirect("cases:detail", ref=case.reference)
    form = CloseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.set_status(case, request.user, Case.Status.CLOSED,
                                form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The case is closed."))
            return redirect("cases:detail", ref=case.reference)
    return render(request, "cases/close_case.html", {"case": case, "form": form})


# --- events ------------------------------------------------------------------------------


def event_url(case: Case, number: int, history: bool = False) -> str:
    """Event #number on the timeline, on whichever page shows it."""
    query = f"?history=1&event={number}" if history else f"?event={number}"
    return f"{reverse('cases:detail', args=[case.reference])}{query}#e{number}"


def _event_or_404(case: Case, number: int) -> Event:
    events = Event.objects.filter(case=case).visible_to_role(_role(case))
    return get_object_or_404(events, number=number)


def _event_form(
    case: Case,
    form_class: type[EventForm],
    data: Any = None,
    initial: dict[str, Any] | None = None,
    original: Event | None = None,
    original_input: services.EventInput | None = None,
) -> EventForm:
    parties = list(case.parties.all())
    keep = [target.pk for target, _kind in original_input.links] if original_input else []
    targets = (
        Event.objects.filter(case=case).visible_to_role(_role(case))
        .filter(Q(superseded_by__isnull=True) | Q(pk__in=keep))
        .exclude(pk__in=[original.pk] if original else [])
        .only("id", "number", "kind").order_by("number")
    )
    link_rows = max(3, len(keep) + 1)
    return form_class(
        data, initial=initial, case=case, parties=parties, targets=list(targets),
        link_rows=link_rows,
        base_attributes=original_input.attributes if original_input else None,
    )


@login_required
def event_new(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    # A link may say what is recorded: ?kind=prosecutor_response (Today's "record the answer").
    kind = request.GET.get("kind", "")
    form = _event_form(case, EventForm, request.POST or None,
                       initial={"kind": kind} if kind in taxonomy.BY_ID else None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.record_event(case, request.user, form.event_input())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Event #%(number)s recorded.") % {
                "number": event.number})
            return redirect(event_url(case, event.number))
    return render(request, "cases/event_form.html", {"case": case, "form": form})


@login_required
def case_people(request: AuthedRequest, ref: str) -> HttpResponse:
    """Who works on the case: add a colleague, change access, remove, hand over."""
    case = get_case_for_user(request, ref, write=request.method == "POST")
    manages = services.can_manage_people(case, request.user)
    colleagues = {m.user_id: m for m in Membership.objects.filter(
        organisation_id=case.organisation_id, role__in=CASE_ROLES,
        user__is_active=True).select_related("user")}
    form = PeopleForm(request.POST or None, colleagues=[
        (m.user_id, f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})")
        for m in colleagues.values()])
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            person = colleagues[data["person"]].user
            try:
                if data["action"] == "add":
                    services.add_person(case, request.user, person, data["access"] or "write")
                elif data["action"] == "remove":
                    services.remove_person(case, request.user, person)
                else:
                    services.hand_over(case, request.user, person,
                                       colleagues[data["to"]].user if data["to"] else person)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Saved: the case's people are updated."))
                if not Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
                    return redirect("cases:list")  # she handed it over or left it
                return redirect("cases:people", ref=case.reference)
    else:
        services.record_view(case, request.user, "people")
    people = [(a, colleagues.get(a.user_id)) for a in
              CaseAssignment.objects.filter(case=case).select_related("user").order_by("pk")]
    return render(request, "cases/people.html", {
        "case": case, "people": people, "form": form, "manages": manages})


@login_required
def story_new(request: AuthedRequest, ref: str) -> HttpResponse:
    """Guided entry: what happened, when, whom she told, what they did; the linked events
    written in one go. The page stays open for the next part of her story."""
    case = get_case_for_user(request, ref, write=True)
    form = StoryForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            made = story.record_story(case, request.user, form.story())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Recorded: %(what)s.") % {"what": "; ".join(
                f"{e.get_kind_display()} ({format_span(e.span)})" for e in made)})
            return redirect("cases:story", ref=case.reference)
    return render(request, "cases/story.html", {"case": case, "form": form})


@login_required
def event_detail(request: AuthedRequest, ref: str, number: int) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if refused := _read_only(request):
        return refused
    event = _event_or_404(case, number)
    parties = {p.pk: p for p in case.parties.all()}
    _decorate(case, [event], parties, _sees_restricted(case),
              _links(EventLink.objects.filter(Q(source=event) | Q(target=event))))
    earlier = []  # the versions this one corrects, newest first
    step = event.supersedes
    while step is not None:
        earlier.append(step)
        step = step.supersedes
    services.record_view(case, request.user, f"event:{event.number}")
    return render(request, "cases/event_detail.html", {
        "case": case, "event": event, "earlier": earlier,
        "on_timeline": event_url(case, event.number,
                                 history=getattr(event, "corrected_by", None) is not None),
        "can_write": _can_write(case),
    })


@login_required
def event_correct(request: AuthedRequest, ref: str, number: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    original = _event_or_404(case, number)
    newer = getattr(original, "superseded_by", None)
    if newer is not None:
        return render(request, "cases/event_already_corrected.html",
                      {"case": case, "event": original, "newer": newer}, status=409)
    original_input = services.event_input_from(original)
    if request.method == "POST":
        form = _event_form(case, CorrectionForm, request.POST, original=original,
                           original_input=original_input)
        if form.is_valid():
            try:
                event = services.correct_event(original, request.user, form.event_input(),
                                               form.cleaned_data["correction_reason"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Event #%(old)s corrected by #%(new)s.") % {
                    "old": original.number, "new": event.number})
                return redirect(event_url(case, event.number))
    else:
        form = _event_form(case, CorrectionForm, initial=EventForm.initial_for(original_input),
                           original=original, original_input=original_input)
    return render(request, "cases/event_form.html",
                  {"case": case, "form": form, "original": original})


# --- parties -----------------------------------------------------------------------------


@login_required
def party_list(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    form = PartyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            party = services.add_party(case, request.user, **form.values())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s added.") % {"name": party.full_name})
            return redirect("cases:parties", ref=case.reference)
    parties = list(case.parties.all())
    if request.method in SAFE_METHODS:
        services.record_view(case, request.user, "parties")
    return render(request, "cases/parties.html", {
        "case": case, "parties": parties, "form": form,
        "can_write": _can_write(case),
    })


@login_required
def party_edit(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    party = get_object_or_404(Party, case=case, pk=pk)
    if request.method == "POST":
        form = PartyForm(request.POST)
        if form.is_valid():
            try:
                services.update_party(party, request.user, **form.values())
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("cases:parties", ref=case.reference)
    else:
        form = PartyForm(initial=PartyForm.initial_for(party))
        services.record_view(case, request.user, f"party:{party.pk}")
    return render(request, "cases/party_edit.html",
                  {"case": case, "party": party, "form": form})


# --- ledger ------------------------------------------------------------------------------


@login_required
def case_ledger(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if refused := _read_only(request):
        return refused
    services.record_view(case, request.user, "ledger")
    entries = LedgerEntry.objects.filter(case=case).select_related("actor").order_by("-seq")
    page = Paginator(entries, LEDGER_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/ledger.html", {"case": case, "page": page})
