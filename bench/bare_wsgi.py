"""The baseline of bench/worker_memory.py: a bare Django worker (no Qorgau), for gunicorn.

Django with the session and auth apps, PostgreSQL through psycopg, and one view that runs
a query and renders a template: what any Django worker on this database holds before an
application adds its own code. DATABASE_URL as for Qorgau.
"""

from __future__ import annotations

import os
from typing import Any

import django
from django.conf import settings

url = os.environ["DATABASE_URL"]  # postgres://user@host:port/name
_rest = url.split("://", 1)[1]
_userhost, _name = _rest.rsplit("/", 1)
_user, _hostport = _userhost.split("@", 1)
_host, _port = _hostport.rsplit(":", 1)

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-django-baseline-not-secret",  # noqa: S106 -- a baseline on loopback
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "django.contrib.sessions"],
    MIDDLEWARE=["django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": _name,
                           "USER": _user, "HOST": _host, "PORT": _port}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    USE_TZ=True,
)
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402

_page = engines["django"].from_string(
    "<!doctype html><title>{{ title }}</title><p>{{ rows }} migrations</p>")


def page(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        (rows,) = cursor.fetchone()
    return HttpResponse(_page.render({"title": "bare Django", "rows": rows}))


urlpatterns: list[Any] = [path("", page)]
application = WSGIHandler()
