"""A timeline write queues its case's recount for the background worker, in the write's
transaction; the counts follow when the worker has run it (issue 33: a write's cost does
not carry the recount, which reads the whole case)."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from qorgau.conftest import make_event
from qorgau.insights import services
from qorgau.insights.models import CaseFact, MetricCount


def counts(case):
    return dict(CaseFact.objects.filter(case=case).values_list("metric", "count")
                .order_by("metric"))


def test_the_write_queues_the_recount_and_the_worker_does_it(db, case, alice, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_event(case, alice, kind="physical_assault", start="2024-02-01")
    queued = DBTaskResult.objects.filter(
        task_path="qorgau.insights.services.refresh_case_counts", status="READY")
    assert queued.count() == 1 and queued.get().args_kwargs["args"] == [case.pk]
    assert not CaseFact.objects.filter(case=case).exists(), "nothing counted in the write"

    row = queued.get()  # what the worker runs (the queue itself: bundles' worker tests)
    row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    after_worker = counts(case)
    assert after_worker and MetricCount.objects.filter(
        organisation_id=case.organisation_id).exists()
    services.refresh_case(case)  # a second recount changes nothing: the sums are exact
    assert counts(case) == after_worker


def test_a_recount_of_a_case_that_is_gone_does_nothing(db):
    services.refresh_case_counts.call(10**9)
    assert not CaseFact.objects.exists()


def test_a_burst_of_writes_is_recounted_once(db, case, alice, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    recounts = DBTaskResult.objects.filter(
        task_path="qorgau.insights.services.refresh_case_counts")
    for day in ("2024-02-01", "2024-02-03", "2024-02-05"):
        make_event(case, alice, kind="physical_assault", start=day)
    assert recounts.count() == 1, "one recount waits for the three writes"
    row = recounts.get()
    row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    counted = counts(case)
    services.refresh_case(case)
    assert counts(case) == counted, "the one recount counted all three"
    recounts.update(status="SUCCESSFUL")  # as the worker leaves it
    make_event(case, alice, kind="threat_to_kill", start="2024-03-01")
    assert recounts.filter(status="READY").count() == 1, "a write after it queues a new one"
