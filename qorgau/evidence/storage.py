"""Where encrypted originals live: a local folder (default) or S3-compatible storage.

Objects are named by content (`<case id>/<sha256>.age`) and appear whole or not at all: the
local backend writes a temporary file and renames it into place; S3 makes an object visible
only when its upload completes.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


class AtomicFileSystemStorage(FileSystemStorage):
    """A folder where a file is either complete or absent, even if the process dies."""

    def _save(self, name: str, content: Any) -> str:
        full = Path(self.path(name))
        full.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=full.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, full)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # content-addressed: the same name is the same bytes


@cache
def evidence_storage() -> Storage:
    if settings.QORGAU_EVIDENCE_BACKEND == "s3":
        from storages.backends.s3 import S3Storage

        return S3Storage(
            bucket_name=settings.QORGAU_S3_BUCKET,
            endpoint_url=settings.QORGAU_S3_ENDPOINT_URL or None,
            region_name=settings.QORGAU_S3_REGION, default_acl=None, file_overwrite=True,
            querystring_auth=True, location="evidence",
        )
    return AtomicFileSystemStorage(location=settings.QORGAU_EVIDENCE_DIR,
                                   file_permissions_mode=0o600,
                                   directory_permissions_mode=0o700)


def object_name(case_id: int, sha256: str) -> str:
    return f"{case_id}/{sha256}.age"
