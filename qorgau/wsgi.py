import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
application = get_wsgi_application()

# Sensitive query values (a searched name) are masked in gunicorn's access log and the
# request logs (qorgau.logfilter).
from qorgau.logfilter import install as mask_sensitive_queries  # noqa: E402

mask_sensitive_queries()

# Plaintext a crashed upload left behind goes before the first request (nothing holds it).
from qorgau.evidence.services import clean_leftovers  # noqa: E402

clean_leftovers()

# The cyclic collector set for a long-lived server process (qorgau.collector).
from qorgau.collector import settle  # noqa: E402

settle()
