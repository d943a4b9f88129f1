"""Re-encrypt all encrypted fields, of every app, under the newest data key.

Plaintext does not change, so ledger digests stay valid; this is key maintenance, not a
change to any case, and writes no ledger entry.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction

from qorgau.cases.models import Party
from qorgau.fields import EncryptedTextField, keyring

CHUNK = 500


def _encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def encrypted_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if not m._meta.proxy and _encrypted_fields(m)]


def rotate_model(model: type[models.Model]) -> int:
    names = _encrypted_fields(model)
    ring = keyring()
    done = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                model._base_manager.filter(pk__gt=last_pk).order_by("pk").only(*names)[:CHUNK]
            )
            for row in rows:
                values = {name: getattr(row, name) for name in names}
                if isinstance(row, Party):
                    values["name_index"] = ring.blind_index(row.full_name)
                model._base_manager.filter(pk=row.pk).update(**values)
        if not rows:
            return done
        done += len(rows)
        last_pk = rows[-1].pk


def rotate_all() -> dict[str, int]:
    return {model._meta.label: rotate_model(model) for model in encrypted_models()}
