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

# What start-up made lives as long as the process: frozen out of the cyclic collector's
# sight, so that a full collection walks only what requests make (about 100 ms a time
# otherwise), and the workers forked under --preload leave the pages they share unwritten.
import gc  # noqa: E402

gc.collect()
gc.freeze()
