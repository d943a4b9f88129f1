"""Signals sent by the case services inside their writing transaction."""

from django.dispatch import Signal

# Sent after events of a case were written, before the transaction commits: receivers that
# keep derived data (obligations) write it in the same transaction. Arguments: case, by,
# kinds (the kinds of the events added; None when one corrected an earlier event).
events_changed = Signal()

# Sent after a case was opened or closed, before the transaction commits (the retention
# clock starts or stops in the same transaction). Arguments: case (its new status), by.
status_changed = Signal()
