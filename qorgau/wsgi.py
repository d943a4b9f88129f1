import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
application = get_wsgi_application()

# Plaintext a crashed upload left behind goes before the first request (nothing holds it).
from qorgau.evidence.services import clean_leftovers  # noqa: E402

clean_leftovers()
