"""Narrative pages: add a text, watch it being read, review the proposals. Thin: the work is
in qorgau.intake.services; the case is reached only through get_case_for_user (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qorgau.accounts.models import User
from qorgau.cases import policy
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error, kind_choices
from qorgau.cases.models import Case
from qorgau.cases.taxonomy import INSTITUTIONS
from qorgau.intake import services
from qorgau.intake.forms import NarrativeForm
from qorgau.intake.models import Narrative
from qorgau.operations import workers

# Proposals on one page of the review (a long text proposes hundreds).
PROPOSALS_PER_PAGE = 50
# A request larger than this is refused before its body is read (the file limit and room
# for the pasted text).
MAX_REQUEST = services.MAX_BYTES + 3 * 1024 * 1024


class AuthedRequest(HttpRequest):
    user: User
    htmx: object


def _page(request: AuthedRequest, case: Case, form: NarrativeForm) -> HttpResponse:
    return render(request, "intake/narratives.html", {
        "case": case, "form": form,
        "narratives": Narrative.objects.filter(case=case).select_related(
            "exhibit", "created_by"),
        "can_write": getattr(case, "access", None) == "write",
        "max_chars": services.MAX_CHARS, "max_bytes": services.MAX_BYTES,
    })


def _refused(request: AuthedRequest, case: Case, message: str) -> HttpResponse:
    """The form, empty, with the message: what was sent is not read at all."""
    form = NarrativeForm(data={"source": "survivor", "reliability": "unverified"})
    form.is_valid()
    form.add_error(None, message)
    return _page(request, case, form)


def _add(request: AuthedRequest, case: Case) -> HttpResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_REQUEST:
        return _refused(request, case, services.too_large_message())
    try:
        form = NarrativeForm(request.POST, request.FILES)
        valid = form.is_valid()
    except RequestDataTooBig:
        return _refused(request, case, services.too_long_message())
    if not valid:
        return _page(request, case, form)
    upload = form.cleaned_data["file"]
    try:
        source = services.read_source(
            text=form.cleaned_data["text"], file=upload,
            name=upload.name if upload else "",
            content_type=getattr(upload, "content_type", "") if upload else "",
            lang=form.cleaned_data["lang"])
        narrative = services.add_narrative(case, request.user, source,
                                           kind=form.cleaned_data["source"],
                                           reliability=form.cleaned_data["reliability"])
    except ValidationError as exc:
        apply_service_error(form, exc)
        return _page(request, case, form)
    return redirect("intake:narrative", ref=case.reference, pk=narrative.pk)


@login_required
def narratives(request: AuthedRequest, ref: str) -> HttpResponse:
    """The case's narratives, and the form to add one."""
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method == "POST":
        return _add(request, case)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    case_services.record_view(case, request.user, "narratives")
    return _page(request, case, NarrativeForm())


@login_required
def narrative(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    """A narrative: its progress while it is read, then the review of its proposals."""
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    item = get_object_or_404(Narrative.objects.select_related("exhibit"), case=case, pk=pk)
    working = item.status in (Narrative.Status.QUEUED, Narrative.Status.EXTRACTING)
    if getattr(request, "htmx", False):  # polled while it is read
        response = render(request, "intake/_status.html", {
            "case": case, "narrative": item, "stalled": working and not workers.any_alive()})
        if not working:
            response["HX-Refresh"] = "true"  # read: show the review
        return response
    case_services.record_view(case, request.user, f"narrative:{item.pk}")
    sees = policy.sees_restricted(case)
    proposals = services.visible(item, sees)
    page = Paginator(proposals, PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "intake/narrative.html", {
        "case": case, "narrative": item, "working": working,
        "stalled": working and not workers.any_alive(),
        "shown": services.shown(item, list(page.object_list)), "page": page,
        "pending": sum(1 for p in proposals if p.status == p.Status.PENDING),
        "can_write": getattr(case, "access", None) == "write",
        "kinds": kind_choices(sees), "institutions": list(INSTITUTIONS.items()),
    })


def _decisions(request: AuthedRequest) -> list[services.Decision]:
    """The decisions the review form posted: one row's button, or the ticked rows."""
    post = request.POST

    def decision(pk: int, accept: bool) -> services.Decision:
        # the people proposed were shown with a box ticked: unticked, the event names none
        dropped = post.get(f"parties-shown-{pk}") and not post.get(f"keep-parties-{pk}")
        return services.Decision(
            pk, accept, kind=post.get(f"kind-{pk}"), when_start=post.get(f"start-{pk}"),
            when_end=post.get(f"end-{pk}"), institution=post.get(f"institution-{pk}"),
            parties=[] if dropped else None)

    for action in ("accept", "reject"):
        if post.get(action, "").isdigit():
            return [decision(int(post[action]), action == "accept")]
    bulk = post.get("bulk")
    if bulk in ("accept", "reject"):
        return [decision(int(pk), bulk == "accept") for pk in post.getlist("pick")
                if pk.isdigit()]
    return []


def _back(request: AuthedRequest, case: Case, item: Narrative) -> HttpResponse:
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() and page != "1" else ""
    return redirect(f"{reverse('intake:narrative', args=[case.reference, item.pk])}{query}"
                    "#review")


def _reconsider(request: AuthedRequest, case: Case, item: Narrative,
                proposal: int) -> HttpResponse:
    try:
        done = services.reconsider(item, request.user, proposal, policy.sees_restricted(case))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("Proposal %(index)s is to be reviewed again.") % {
            "index": done.index})
    return _back(request, case, item)


@login_required
def review(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    item = get_object_or_404(Narrative.objects.select_related("exhibit", "case"), case=case,
                             pk=pk, status=Narrative.Status.READY)
    if request.POST.get("reconsider", "").isdigit():
        return _reconsider(request, case, item, int(request.POST["reconsider"]))
    try:
        done = services.review(item, request.user, _decisions(request),
                               policy.sees_restricted(case))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("intake:narrative", ref=case.reference, pk=item.pk)
    if done.accepted:
        messages.success(request, ngettext(
            "%(count)s event recorded on the timeline.",
            "%(count)s events recorded on the timeline.", len(done.accepted)) % {
                "count": len(done.accepted)})
    if done.rejected:
        messages.info(request, ngettext("%(count)s proposal rejected.",
                                        "%(count)s proposals rejected.", done.rejected) % {
                          "count": done.rejected})
    return _back(request, case, item)
