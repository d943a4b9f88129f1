"""Signed checkpoints: a later one proves the earlier ones, and every case head they
recorded, were not rewritten; a witness's copy proves it even against the key holder."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from qorgau.cases import checkpoints, ledger, merkle, services
from qorgau.cases.models import Checkpoint, LedgerEntry
from qorgau.cases.services import ledger_entry
from qorgau.cases.verification import verify_all
from qorgau.conftest import make_event


@pytest.fixture
def story(case, alice, survivor, respondent):
    make_event(case, alice, "physical_assault", "2024-01-05", narrative="he hit her")
    make_event(case, alice, "police_report", "2024-01-06", narrative="reported it")
    services.record_view(case, alice, "timeline")
    return case


@pytest.fixture
def other(org, alice):
    other = services.create_case(org, alice, region="kz-west")
    make_event(other, alice, "threat_to_kill", "2024-02-01")
    return other


def head(case):
    return LedgerEntry.objects.filter(case=case).order_by("-seq").first()


def drop_ledger_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER cases_ledgerentry_no_change ON cases_ledgerentry")
        else:
            cur.execute("DROP TRIGGER cases_ledgerentry_no_update")
            cur.execute("DROP TRIGGER cases_ledgerentry_no_delete")


def drop_checkpoint_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER cases_checkpoint_no_change ON cases_checkpoint")
        else:
            cur.execute("DROP TRIGGER cases_checkpoint_no_update")
            cur.execute("DROP TRIGGER cases_checkpoint_no_delete")


def rewrite_chain(case, from_seq):
    """What an administrator could do: change one entry and re-hash the chain after it."""
    drop_ledger_triggers()
    prev = (LedgerEntry.objects.get(case=case, seq=from_seq - 1).hash if from_seq > 1
            else ledger.GENESIS)
    for entry in LedgerEntry.objects.filter(case=case, seq__gte=from_seq).order_by("seq"):
        if entry.seq == from_seq:
            entry.at -= timedelta(days=3)
        entry.prev_hash = prev
        entry.hash = ledger_entry(entry).computed_hash()
        LedgerEntry.objects.filter(pk=entry.pk).update(at=entry.at, prev_hash=entry.prev_hash,
                                                      hash=entry.hash)
        prev = entry.hash


def command_fails(*args, **options):
    err = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(*args, stderr=err, stdout=StringIO(), **options)
    return err.getvalue() + str(excinfo.value)


def export_to(path, after=None):
    options = {"out": str(path)} if after is None else {"out": str(path), "after": after}
    call_command("export-checkpoints", stderr=StringIO(), **options)
    return json.loads(path.read_text())


# --- the log as it should be -------------------------------------------------------------


def test_checkpoint_more_events_checkpoint_verifies(story, other, alice):
    first = checkpoints.create_checkpoint()
    assert first.number == 1 and first.case_count == 2
    assert first.heads == [[c.pk, head(c).seq, head(c).hash] for c in (story, other)]
    assert first.previous_log_root == merkle.EMPTY_ROOT.hex()

    make_event(story, alice, "order_requested", "2024-01-08")
    third = services.create_case(story.organisation, alice, region="kz-almaty")
    out = StringIO()
    call_command("checkpoint", stdout=out)
    assert "checkpoint 2: 3 cases" in out.getvalue()

    second = Checkpoint.objects.get(number=2)
    assert second.previous_log_root == first.log_root
    assert [c for c, _, _ in second.heads] == [story.pk, other.pk, third.pk]
    assert second.heads[0][1] == head(story).seq > first.heads[0][1]
    assert second.heads_root == merkle.heads_root(second.heads).hex()
    assert checkpoints.verify_checkpoints() == []
    out = StringIO()
    call_command("verify-checkpoints", stdout=out)
    assert "OK: 2 checkpoints checked" in out.getvalue()


def test_heads_are_proved_by_inclusion(story, other):
    """A case's head at a checkpoint can be shown to someone holding only the root."""
    cp = checkpoints.create_checkpoint()
    leaves = [merkle.head_leaf(*h) for h in cp.heads]
    proof = merkle.inclusion_proof(leaves, 1)
    assert merkle.verify_inclusion(merkle.head_leaf(other.pk, head(other).seq, head(other).hash),
                                   1, cp.case_count, proof, bytes.fromhex(cp.heads_root))


def test_no_checkpoints_and_no_cases(db):
    assert checkpoints.verify_checkpoints() == []
    cp = checkpoints.create_checkpoint()
    assert cp.case_count == 0 and cp.heads == []
    assert checkpoints.verify_checkpoints() == []


def test_signature_covers_the_signed_fields(story):
    cp = checkpoints.create_checkpoint()
    data = checkpoints.record(cp)
    assert checkpoints.signature_valid(data)
    assert data["public_key"] == checkpoints.instance_public_key()
    assert len(base64.b64decode(data["public_key"])) == 32
    for name, value in [("case_count", 99), ("heads_root", "0" * 64), ("log_root", "1" * 64),
                        ("created_at", "2020-01-01T00:00:00+00:00"), ("number", 7)]:
        assert not checkpoints.signature_valid({**data, name: value})


def test_database_rejects_update_and_delete_of_checkpoints(story):
    checkpoints.create_checkpoint()
    for sql in ("UPDATE cases_checkpoint SET case_count = 0", "DELETE FROM cases_checkpoint"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert Checkpoint.objects.filter(case_count__gt=0).count() == 1


# --- witnesses -----------------------------------------------------------------------------


def test_witness_export_from_first_checkpoint_verifies_later(story, other, alice, tmp_path):
    checkpoints.create_checkpoint()
    witness = export_to(tmp_path / "witness.json")
    assert witness["public_key"] == checkpoints.instance_public_key()
    assert [c["number"] for c in witness["checkpoints"]] == [1]
    assert "heads" not in witness["checkpoints"][0]  # roots only, no case data

    make_event(story, alice, "order_requested", "2024-01-08")
    make_event(other, alice, "police_visit", "2024-02-02")
    checkpoints.create_checkpoint()
    checkpoints.create_checkpoint()

    assert checkpoints.verify_checkpoints(witness) == []
    out = StringIO()
    call_command("verify-checkpoints", against=str(tmp_path / "witness.json"), stdout=out)
    assert "OK: 3 checkpoints checked against the 1 the witness holds" in out.getvalue()

    # The witness's next export: only what is new, with the proof that it extends hers.
    update = export_to(tmp_path / "update.json", after=1)
    assert [c["number"] for c in update["checkpoints"]] == [2, 3]
    consistency = update["consistency"]
    assert (consistency["old_size"], consistency["new_size"]) == (1, 3)
    assert merkle.verify_consistency(
        1, bytes.fromhex(witness["checkpoints"][0]["log_root"]),
        3, bytes.fromhex(update["checkpoints"][-1]["log_root"]),
        [bytes.fromhex(h) for h in consistency["proof"]])
    assert checkpoints.verify_checkpoints(update) == []


def test_log_rewritten_by_the_key_holder_is_caught_by_the_witness(story, other, tmp_path):
    """Whoever holds the key can rebuild every checkpoint; only a witness's copy tells."""
    checkpoints.create_checkpoint()
    witness = export_to(tmp_path / "witness.json")
    rewrite_chain(story, 2)
    drop_checkpoint_triggers()
    Checkpoint.objects.all().delete()
    checkpoints.create_checkpoint()
    checkpoints.create_checkpoint()

    assert checkpoints.verify_checkpoints() == []  # on its own the forgery is consistent
    problems = checkpoints.verify_checkpoints(witness)
    assert problems[0].checkpoint == 1 and "differs from the witness copy" in problems[0].reason
    text = command_fails("verify-checkpoints", against=str(tmp_path / "witness.json"))
    assert "checkpoint 1: differs from the witness copy" in text


def test_witness_copy_newer_than_the_store(story, tmp_path):
    """Deleting the newest checkpoint is invisible locally and caught by the witness."""
    checkpoints.create_checkpoint()
    checkpoints.create_checkpoint()
    witness = export_to(tmp_path / "witness.json")
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(number=2).delete()
    assert checkpoints.verify_checkpoints() == []
    problems = checkpoints.verify_checkpoints(witness)
    assert [(p.checkpoint, p.reason) for p in problems] == [
        (2, "in the witness copy but no longer here")]


def test_altered_witness_copy_is_reported(story, tmp_path):
    checkpoints.create_checkpoint()
    witness = export_to(tmp_path / "witness.json")
    witness["checkpoints"][0]["log_root"] = "ab" * 32
    reasons = [str(p) for p in checkpoints.verify_checkpoints(witness)]
    assert "checkpoint 1: the witness copy's signature does not match its contents" in reasons
    assert "checkpoint 1: differs from the witness copy (log_root)" in reasons


@pytest.mark.parametrize("document", [{}, [], {"format": "qorgau.checkpoints", "version": 1},
                                      {"format": "qorgau.checkpoints", "version": 1,
                                       "checkpoints": [{"number": 1}]}])
def test_unusable_witness_copy(story, document):
    checkpoints.create_checkpoint()
    problems = checkpoints.verify_checkpoints(document)
    assert len(problems) == 1 and "witness copy cannot be used" in problems[0].reason


def test_against_a_file_that_is_not_json(story, tmp_path):
    (tmp_path / "x.json").write_text("not json")
    assert "is not JSON" in command_fails("verify-checkpoints", against=str(tmp_path / "x.json"))
    assert "Cannot read" in command_fails("verify-checkpoints", against=str(tmp_path / "no"))


# --- tampering -------------------------------------------------------------------------------


def test_rewritten_case_chain_is_named(story, other, alice):
    checkpoints.create_checkpoint()
    make_event(story, alice, "order_requested", "2024-01-08")
    checkpoints.create_checkpoint()
    first_head = Checkpoint.objects.get(number=1).heads[0][1]
    rewrite_chain(story, 3)

    # The chain is consistent again and matches the records: `verify` cannot tell ...
    assert all(report.problem is None for report in verify_all())
    # ... but the checkpoints can.
    problems = checkpoints.verify_checkpoints()
    assert [(p.checkpoint, p.case) for p in problems] == [(1, story.reference)]
    assert f"entry {first_head}, its head at this checkpoint, no longer has the hash" in (
        problems[0].reason)
    text = command_fails("verify-checkpoints")
    assert f"checkpoint 1: case {story.reference} was rewritten" in text
    assert other.reference not in text


def test_rewrite_after_the_last_checkpoint_head_is_not_a_rewrite(story, alice):
    """Entries added after a checkpoint are not covered by it (until the next one)."""
    checkpoints.create_checkpoint()
    make_event(story, alice, "order_requested", "2024-01-08")
    rewrite_chain(story, head(story).seq)
    assert checkpoints.verify_checkpoints() == []


def test_cut_off_chain_is_named(story, other):
    checkpoints.create_checkpoint()
    seq = head(other).seq
    drop_ledger_triggers()
    LedgerEntry.objects.filter(case=other, seq=seq).delete()
    problems = checkpoints.verify_checkpoints()
    assert [(p.checkpoint, p.case) for p in problems] == [(1, other.reference)]
    assert f"entry {seq}, its head at this checkpoint, is no longer in the ledger" in (
        problems[0].reason)


def test_edited_checkpoint_fails_its_signature(story):
    checkpoints.create_checkpoint()
    checkpoints.create_checkpoint()
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(number=1).update(case_count=5)
    reasons = [str(p) for p in checkpoints.verify_checkpoints()]
    assert "checkpoint 1: the signature does not match the contents" in reasons
    assert "checkpoint 1: the case heads do not match the signed heads root" in reasons
    assert "checkpoint 1: the signature does not match" in command_fails("verify-checkpoints")


def test_forged_signature_fails(story):
    checkpoints.create_checkpoint()
    cp = checkpoints.create_checkpoint()
    signature = bytearray(base64.b64decode(cp.signature))
    signature[0] ^= 1
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(pk=cp.pk).update(signature=base64.b64encode(signature).decode())
    assert [str(p) for p in checkpoints.verify_checkpoints()] == [
        "checkpoint 2: the signature does not match the contents"]


def test_resigned_with_another_key_fails(story):
    """Without the instance key, a rewritten checkpoint can only be signed with another."""
    cp = checkpoints.create_checkpoint()
    rewrite_chain(story, 2)
    heads = checkpoints.current_heads()
    data = {**checkpoints.record(cp), "heads_root": merkle.heads_root(heads).hex()}
    data["log_root"] = merkle.root([checkpoints._digest(data)]).hex()
    forger = Ed25519PrivateKey.generate()
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(pk=cp.pk).update(
        heads=heads, heads_root=data["heads_root"], log_root=data["log_root"],
        signature=base64.b64encode(forger.sign(checkpoints.signed_message(data))).decode(),
        public_key=base64.b64encode(forger.public_key().public_bytes_raw()).decode())
    assert [str(p) for p in checkpoints.verify_checkpoints()] == [
        "checkpoint 1: signed by a key that is not this instance's"]


def test_deleted_checkpoint_is_detected(story):
    for _ in range(3):
        checkpoints.create_checkpoint()
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(number=2).delete()
    assert [str(p) for p in checkpoints.verify_checkpoints()] == [
        "checkpoint 2: missing (the checkpoints jump from 1 to 3)"]
    assert "checkpoint 2: missing" in command_fails("verify-checkpoints")
    with pytest.raises(checkpoints.CheckpointError, match="do not verify"):
        checkpoints.create_checkpoint()
    assert "do not verify" in command_fails("checkpoint")


def test_first_checkpoint_deleted(story):
    checkpoints.create_checkpoint()
    checkpoints.create_checkpoint()
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(number=1).delete()
    assert [str(p) for p in checkpoints.verify_checkpoints()] == [
        "checkpoint 1: missing (the checkpoints jump from 0 to 2)"]


def test_replaced_checkpoint_breaks_the_log(story, alice):
    """A checkpoint re-signed over other heads no longer fits the log after it."""
    checkpoints.create_checkpoint()
    checkpoints.create_checkpoint()
    make_event(story, alice, "order_requested", "2024-01-08")
    old = checkpoints.record(Checkpoint.objects.get(number=1))
    heads = checkpoints.current_heads()
    data = {**old, "heads": heads, "heads_root": merkle.heads_root(heads).hex()}
    data["signature"] = base64.b64encode(checkpoints._signing_key().sign(
        checkpoints.signed_message(data))).decode()
    drop_checkpoint_triggers()
    Checkpoint.objects.filter(number=1).update(heads=heads, heads_root=data["heads_root"],
                                               signature=data["signature"])
    assert [str(p) for p in checkpoints.verify_checkpoints()] == [
        "checkpoint 1: the log root does not match checkpoints 1-1 as stored"]


def test_if_changed_signs_only_when_a_ledger_moved(story, alice):
    """The hourly timer's run: a new checkpoint only when some case's ledger moved, so the
    newest entries are covered within the hour (the window in docs/security.md)."""
    def run() -> str:
        out = StringIO()
        call_command("checkpoint", if_changed=True, stdout=out)
        return out.getvalue()

    assert "checkpoint 1:" in run()
    assert "unchanged since checkpoint 1" in run()
    assert Checkpoint.objects.count() == 1
    make_event(story, alice, "order_requested", "2024-01-08")
    assert "checkpoint 2:" in run()
    # removing that newest entry now is caught, as any entry a checkpoint covers
    seq = head(story).seq
    drop_ledger_triggers()
    LedgerEntry.objects.filter(case=story, seq=seq).delete()
    assert [p.checkpoint for p in checkpoints.verify_checkpoints()] == [2]
