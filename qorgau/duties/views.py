"""Duties pages: a case's obligations, the Needs action queue, escalation letters.

Thin: cases are reached through get_case_for_user (404 to outsiders), every change goes
through qorgau.duties.services.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from qorgau.accounts.models import CASE_ROLES, Membership, Role, User
from qorgau.accounts.reauth import require_recent_login
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case, CaseAssignment, Event
from qorgau.cases.templatetags.qorgau_cases import format_day, format_span
from qorgau.cases.views import page_number
from qorgau.duties import documents, engine, profiles, services
from qorgau.duties import today as today_service
from qorgau.duties.models import Letter, Obligation
from qorgau.fields import EncryptedTextField
from qorgau.replica import replica_reads

SOON = timedelta(days=7)
QUEUE_PER_PAGE = 100


class AuthedRequest(HttpRequest):
    user: User


@dataclass
class Duty:
    """An obligation as the pages show it, in the viewer's language."""

    row: Obligation
    status: str
    title: str
    bearer: str
    basis: str
    url: str
    confirmed: bool
    unconfirmed: str
    deadline_note: str
    explanation: str
    escalation: str | None
    binding: tuple[str, ...] = ()
    good_practice: tuple[str, ...] = ()
    grounds: str = ""

    @property
    def status_label(self) -> str:
        label = _(engine.STATUS_LABELS[self.status])
        return _("%(status)s, late") % {"status": label} if self.row.late else label


def present(rows: list[Obligation], today: date | None = None) -> list[Duty]:
    today = today or timezone.localdate()
    language = get_language() or "en"
    duties = []
    for row in rows:
        profile = profiles.cached(row.profile, str(services.profiles_dir()))
        try:
            rule = profile.rule(row.rule_id)
        except KeyError:  # the profile changed; recompute-obligations will drop it
            continue
        status = engine.current_status(row.status, row.due_latest, today,
                                       row.case.mode == row.case.Mode.MONITORING)
        reason = row.reason
        if status != row.status:
            reason = "no_record" if status == engine.NO_RECORD else "breached"
        explanation = engine.explain(
            reason,
            {"trigger": row.trigger.number, "due": row.due_latest,
             "by": row.satisfied_by.number if row.satisfied_by else None},
            _, format_day)
        binding, good_practice = services.instruments_on(
            row.case.region, rule, services.trigger_day(row) or row.due_latest, language)
        grounds = row.grounds or (engine.ON_ABSENCE if status == engine.BREACHED else "")
        duties.append(Duty(
            binding=tuple(binding), good_practice=tuple(good_practice),
            grounds=_(engine.GROUND_LABELS[grounds]) if grounds else "",
            row=row, status=status, title=profiles.text_in(rule.title, language),
            bearer=profile.bearer(row.duty_bearer or rule.duty_bearer, language),
            basis=profiles.text_in(rule.basis, language), url=rule.url,
            confirmed=rule.confirmed, unconfirmed=profiles.text_in(rule.unconfirmed, language),
            deadline_note=profiles.text_in(rule.deadline_note, language),
            explanation=explanation, escalation=rule.escalation_template,
        ))
    return duties


URGENCY = services.URGENCY


def by_urgency(duties: list[Duty]) -> list[Duty]:
    """Breached, then pending, then met; earliest due first within each."""
    return sorted(duties, key=lambda d: (URGENCY[d.status], d.row.due_latest or date.max))


def summary(duties: list[Duty]) -> dict[str, int]:
    counts = {status: 0 for status in engine.STATUSES}
    for duty in duties:
        counts[duty.status] += 1
    return counts


@login_required
def case_duties(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    rows = services.visible_obligations(case)
    duties = by_urgency(present(rows))
    case_services.record_view(case, request.user, "duties")
    letters = list(Letter.objects.filter(case=case))
    can_write = getattr(case, "access", None) == "write"
    escalations = services.escalations(case, rows) if can_write else {}
    return render(request, "duties/case_duties.html", {
        "case": case, "duties": duties, "counts": summary(duties), "letters": letters,
        "escalations": escalations, "letter_form": NewLetterForm(),
        "profile": services.profile_for(case),
    })


def queue(user: Any, today: date) -> QuerySet[Obligation]:
    """Open obligations due by today + 7 days on the user's open cases, most urgent first.

    Served by the (case, due_latest) index, case by case (the user's open cases: with a
    filter on the obligation's organisation beside them, a supervisor's queue took 200 ms
    at 100,000 cases instead of 56). No event row is read unless the user holds a role that
    may not see restricted events, and then only to hide the obligations that such an
    event triggered (today.hide_restricted, as the Today page does).
    """
    rows = Obligation.objects.filter(
        status__in=[engine.PENDING, engine.BREACHED],
        due_latest__lte=today + SOON,
        # a monitoring case is history reconstructed from documents: nothing to do today
        case__in=today_service.open_cases(user).values("pk"),
    ).order_by("due_latest", "case__reference", "rule_id", "pk")
    return today_service.hide_restricted(user, rows)


def queue_page(user: Any, today: date, number: int) -> Page[Obligation]:
    """One page of the queue: its rows' keys sorted and counted in one query (the count
    rides on it), then the page's hundred rows with their case and events."""
    ordered = queue(user, today)
    offset = (number - 1) * QUEUE_PER_PAGE
    keys = list(ordered.annotate(total=Window(Count("pk"))).values_list("pk", "total")[
        offset:offset + QUEUE_PER_PAGE])
    if not keys and number > 1:  # past the last page: show the last
        last = max(1, -(-ordered.count() // QUEUE_PER_PAGE))
        if last < number:
            return queue_page(user, today, last)
    rows = (
        Obligation.objects.select_related("case", "trigger", "satisfied_by")
        # Numbers and kinds of the events, never their text: nothing decrypted.
        .defer(*(f"{event}__{f.name}" for event in ("trigger", "satisfied_by")
                 for f in Event._meta.concrete_fields if isinstance(f, EncryptedTextField)))
        .in_bulk([pk for pk, _total in keys])
    )
    total = keys[0][1] if keys else 0
    counted: Paginator[Any] = Paginator(range(total), QUEUE_PER_PAGE)  # pages of `total`
    # A row recomputed away between the two reads is left out, not an error.
    return Page([rows[pk] for pk, _total in keys if pk in rows], number, counted)


@login_required
@replica_reads
def needs_action(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    page = queue_page(request.user, today, page_number(request.GET.get("page")))
    duties = present(list(page.object_list), today)
    overdue = [d for d in duties if d.status == engine.BREACHED]
    soon = [d for d in duties if d.status != engine.BREACHED]
    return render(request, "duties/needs_action.html", {
        "page": page, "overdue": overdue, "soon": soon, "today": today,
    })


# --- Today -------------------------------------------------------------------------------


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why not escalate"), max_length=1000,
                             required=False)
    next = forms.CharField(required=False)


@login_required
def decline_escalation(request: AuthedRequest, ref: str) -> HttpResponse:
    """Decide not to escalate a case's waiting authority failures (from Today or the duties
    page), with the reason; back to where it was asked."""
    case = get_case_for_user(request, ref, write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = DeclineForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        made = today_service.decline(case, request.user, data.get("reason") or "")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded for %(ref)s (%(n)s events); the "
                                    "failures stay on the case's duties page.")
                         % {"ref": case.reference, "n": len(made)})
    if data.get("next") == "today":
        return redirect("duties:today")
    return redirect("duties:case", ref=case.reference)


def _caseworkers(user: User) -> list[tuple[int, str]]:
    """People whose cases a supervisor or administrator may look at on Today."""
    orgs = Membership.objects.filter(
        user=user, role__in=[Role.SUPERVISOR, Role.ADMIN]).values("organisation_id")
    people = (User.objects.filter(memberships__organisation__in=orgs,
                                  memberships__role__in=[Role.CASEWORKER, Role.LAWYER])
              .distinct().order_by("email"))
    return [(p.pk, p.get_full_name() or p.email) for p in people]


def _escalation_template(profile_id: str, rule_ids: list[str]) -> str:
    profile = profiles.cached(profile_id, str(services.profiles_dir()))
    for rule_id in rule_ids:
        try:
            template = profile.rule(rule_id).escalation_template
        except KeyError:
            continue
        if template:
            return template
    return ""


@login_required
def today_page(request: AuthedRequest) -> HttpResponse:
    """Home: own tasks due this week first, then authority failures per case, each with one
    next step, shrinking as they are escalated or decided on."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not Membership.objects.filter(user=request.user, role__in=CASE_ROLES).exists():
        # A monitor works on no case: the accountability figures are her home.
        return redirect("insights:dashboard")
    today = timezone.localdate()
    people = _caseworkers(request.user)
    chosen = request.GET.get("caseworker", "")
    caseworker = int(chosen) if chosen.isdigit() and int(chosen) in dict(people) else None
    found = today_service.picture(request.user, today, caseworker)
    own = present(found.own, today)
    language = get_language() or "en"
    profiles_of = dict(Case.objects.filter(pk__in=[g.case_id for g in found.groups])
                       .values_list("pk", "profile"))
    groups = []
    for group in found.groups:
        profile = profiles.cached(profiles_of[group.case_id], str(services.profiles_dir()))
        groups.append({
            "group": group,
            "bearers": [(profile.bearer(b, language), n) for b, n in group.bearers.items()],
            "template": _escalation_template(profile.id, group.rules),
        })
    return render(request, "duties/today.html", {
        "today": today, "week_end": today + SOON,
        "due_now": [d for d in own if d.row.due_latest == today],
        "overdue_own": [d for d in own if d.row.due_latest and d.row.due_latest < today],
        "this_week": [d for d in own if d.row.due_latest and d.row.due_latest > today],
        "groups": groups, "more_groups": found.more_groups, "waiting": found.waiting,
        "declined": found.declined, "people": people, "caseworker": caseworker,
        "language": language if language in ("ru", "kk", "en") else "ru",
    })


# --- the team (supervisors) ----------------------------------------------------------------


class AssignForm(forms.Form):
    case = forms.CharField(max_length=40)
    person = forms.TypedChoiceField(label=gettext_lazy("Assign to"), coerce=int)


@login_required
def team(request: AuthedRequest) -> HttpResponse:
    """For supervisors and administrators: each person's open cases and overdue duties, and
    the open cases nobody active works on, with a way to assign them."""
    orgs = list(Membership.objects.filter(
        user=request.user, role__in=[Role.SUPERVISOR, Role.ADMIN]).values_list(
        "organisation_id", flat=True))
    if not orgs:
        raise Http404
    members = list(Membership.objects.filter(organisation_id__in=orgs, role__in=CASE_ROLES,
                                             user__is_active=True).select_related("user")
                   .order_by("user__email"))
    workers = {m.user_id for m in members}
    open_cases = Case.objects.filter(organisation_id__in=orgs, status=Case.Status.OPEN)
    loads = dict(CaseAssignment.objects.filter(case__in=open_cases).values("user_id")
                 .annotate(n=Count("case_id", distinct=True)).values_list("user_id", "n"))
    overdue = dict(Obligation.objects.filter(
        case__in=open_cases, status=engine.BREACHED,
        case__assignments__user_id__in=list(workers)).values("case__assignments__user_id")
        .annotate(n=Count("pk", distinct=True)).values_list("case__assignments__user_id", "n"))
    unassigned = list(open_cases.exclude(assignments__user_id__in=list(workers))
                      .order_by("created_at")[:200])
    form = AssignForm(request.POST or None)
    set_person = form.fields["person"]
    set_person.choices = [  # type: ignore[attr-defined]
        (m.user_id, f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})")
        for m in members]
    if request.method == "POST" and form.is_valid():
        case = next((c for c in unassigned if c.reference == form.cleaned_data["case"]), None)
        person = next(m.user for m in members if m.user_id == form.cleaned_data["person"])
        if case is None:
            messages.error(request, _("This case is not waiting for someone."))
        else:
            try:
                case_services.add_person(case, request.user, person, "write")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Case %(ref)s assigned.") % {"ref": case.reference})
        return redirect("duties:team")
    return render(request, "duties/team.html", {
        "rows": [(m, loads.get(m.user_id, 0), overdue.get(m.user_id, 0)) for m in members],
        "unassigned": unassigned, "form": form,
    })


# --- letters -------------------------------------------------------------------------------


class NewLetterForm(forms.Form):
    template = forms.CharField(widget=forms.HiddenInput)
    language = forms.ChoiceField(label=gettext_lazy("Language of the letter"), choices=[
        ("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")])


class LetterForm(forms.Form):
    addressee_block = forms.CharField(label=gettext_lazy("Addressed to"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    applicant_block = forms.CharField(label=gettext_lazy("From (applicant)"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={
        "rows": 24}))
    signature_block = forms.CharField(label=gettext_lazy("Signature lines"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 4}))
    attachments = forms.CharField(label=gettext_lazy("Attachments"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))


class SendForm(forms.Form):
    sent_on = forms.DateField(label=gettext_lazy("Sent on"), widget=forms.DateInput(
        attrs={"type": "date"}))


@login_required
def letter_new(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = NewLetterForm(request.POST)
    if form.is_valid():
        try:
            letter = services.draft_letter(case, request.user, form.cleaned_data["template"],
                                           form.cleaned_data["language"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Draft letter created. Check and edit it."))
            return redirect("duties:letter", ref=case.reference, pk=letter.pk)
    else:
        messages.error(request, _("Choose the language of the letter."))
    return redirect("duties:case", ref=case.reference)


def _letter(case: Case, pk: int) -> Letter:
    return get_object_or_404(Letter.objects.select_related("sent_event", "approved_by"),
                             case=case, pk=pk)


def _letter_page(request: AuthedRequest, case: Case, letter: Letter,
                 form: LetterForm | None = None, refusal: str = "") -> HttpResponse:
    """The letter with its review: the reviewer's checklist beside the draft, whether it is
    approved, whether her consent lets it leave."""
    language = get_language() or "en"
    try:
        grant = services.require_letter_consent(letter)
    except ValidationError as exc:
        grant, consent_problem = None, " ".join(exc.messages)
    else:
        consent_problem = ""
    approved = bool(letter.approved_by_id)
    return render(request, "duties/letter.html", {
        "case": case, "letter": letter,
        "form": form or LetterForm(initial={key: getattr(letter, key) for key in (
            "title", "body", *services.BLOCKS)}),
        "send_form": SendForm(initial={"sent_on": timezone.localdate()}),
        "can_write": getattr(case, "access", None) == "write",
        "can_approve": services.can_approve(request.user, case),
        "approved": approved,
        "approved_on": format_day(timezone.localdate(letter.approved_at))
        if letter.approved_at else "",
        "approver": (letter.approved_by.get_full_name() or letter.approved_by.email)
        if letter.approved_by else "",
        "checklist": services.review_checklist(letter, language),
        "grant": grant, "consent_problem": consent_problem,
        "ready": approved and grant is not None, "refusal": refusal,
        "sent_when": format_span(letter.sent_event.span) if letter.sent_event else "",
    })


@login_required
def letter_detail(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    """The draft, its review and its approval. POST saves changes (withdrawing an approval)
    or, with `approve`, approves it (a lawyer, supervisor or administrator)."""
    case = get_case_for_user(request, ref, write=request.method == "POST")
    letter = _letter(case, pk)
    if request.method == "POST" and "approve" in request.POST:
        try:
            services.approve_letter(letter, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Letter approved: it can now be downloaded and sent."))
        return redirect("duties:letter", ref=case.reference, pk=letter.pk)
    form = LetterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        was_approved = bool(letter.approved_by_id)
        data = form.cleaned_data
        try:
            services.update_letter(letter, request.user, data["title"], data["body"],
                                   **{key: data[key] for key in services.BLOCKS})
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            if was_approved and not letter.approved_by_id:
                messages.warning(request, _("Changes saved. The approval was withdrawn: the "
                                            "changed letter needs a new approval."))
            else:
                messages.success(request, _("Changes saved."))
            return redirect("duties:letter", ref=case.reference, pk=letter.pk)
    if request.method != "POST":
        case_services.record_view(case, request.user, f"letter:{letter.pk}")
    return _letter_page(request, case, letter, form if request.method == "POST" else None)


@login_required
def letter_send(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    letter = _letter(case, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            services.send_letter(letter, request.user, form.cleaned_data["sent_on"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Recorded as sent. The addressee's duty to answer "
                                        "is now tracked."))
    else:
        messages.error(request, _("Enter the date the letter was sent."))
    return redirect("duties:letter", ref=case.reference, pk=letter.pk)


FORMATS = {
    "pdf": ("application/pdf", documents.letter_pdf),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             documents.letter_docx),
}


@login_required
def letter_download(request: AuthedRequest, ref: str, pk: int, fmt: str) -> HttpResponse:
    """The letter as a document: only approved, and under the survivor's consent; else the
    letter page saying why not."""
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    letter = _letter(case, pk)
    if fmt not in FORMATS:
        return HttpResponse(status=404)
    try:
        grant = services.export_letter(letter)
    except ValidationError as exc:
        return _letter_page(request, case, letter, refusal=" ".join(exc.messages))
    require_recent_login(request)
    content_type, render_document = FORMATS[fmt]
    data = render_document(letter)
    services.record_letter_export(letter, request.user, fmt, hashlib.sha256(data).hexdigest(),
                                  grant)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{case.reference}-letter-{letter.pk}.{fmt}"')
    response["Cache-Control"] = "no-store"
    return response
