"""Quick exit: end the session at once and leave for a neutral site. Choosing a language,
kept on the person's account."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import check_for_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


@csrf_exempt  # leaving must never fail; it only ends the caller's own session
@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    logout(request)
    response = HttpResponseRedirect(settings.QORGAU_QUICK_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response["Cache-Control"] = "no-store"
    return response


def choose_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a logged-in person the choice kept on the account."""
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and language and check_for_language(language):
        get_user_model().objects.filter(pk=user.pk).update(language=language)
    return response
