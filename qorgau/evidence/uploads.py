"""An upload handler that stops a request as soon as it passes the evidence size limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)


class TooLarge(Exception):
    pass


class LimitedUploadHandler(FileUploadHandler):
    """Placed first: counts the bytes of the request's files and stops past the limit."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0
        self.exceeded = False

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int,
                         boundary: Any, encoding: Any = None) -> None:
        # A declared length far above the limit is refused before reading anything.
        if content_length > settings.QORGAU_EVIDENCE_MAX_BYTES + 1024 * 1024:
            self.exceeded = True
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.QORGAU_EVIDENCE_MAX_BYTES:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class HeldTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's handler that streams an upload to a file in FILE_UPLOAD_TEMP_DIR, with the
    file held by this process (evidence.services.hold): after a crash nothing holds it and
    start-up or `evidence-gc` removes the plaintext at once."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        from qorgau.evidence.services import hold

        hold(self.file.fileno())
