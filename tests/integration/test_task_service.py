"""Background tasks as the services and staff meet them: recorded with the change that asks for
them, run once however often delivered, retried with back-off, failed for good where staff see
and retry them, swept when a worker died, and counted in health and /metrics.

These run the engine in-process (the test settings); tests/integration/test_task_worker.py runs
a real worker on a real broker.
"""

import logging
import time
from datetime import timedelta

import pytest
from django.db import transaction

from marketplace.notifications.models import Notification
from marketplace.tasks.models import TaskRun
from services.errors import Conflict, NotFound

pytestmark = pytest.mark.django_db


class BrokenBackend:
    name = "broken"

    def send(self, notice):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def tasks(container, clock):
    return container.core.task_service()


def only_run() -> TaskRun:
    (run,) = TaskRun.objects.all()
    return run


def notify(container, user, subject="Hello"):
    container.notifications.notification_service().notify(user_ids=[user.pk], subject=subject, body="Body")


def test_a_notice_is_recorded_with_its_task_and_sent_after_commit(
    market, container, tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notify(container, market.buyer)
            assert TaskRun.objects.count() == 0  # the notification waits for the commit too
    run = only_run()
    assert run.name == "notifications.deliver" and run.status == "succeeded" and run.attempts == 1
    assert Notification.objects.get().status == "sent"
    assert run.kwargs == {"notification_id": Notification.objects.get().pk}


def test_a_rolled_back_change_asks_for_nothing(market, tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            tasks.enqueue("orders.process_timeouts")
            raise RuntimeError("rolled back")
    assert callbacks == [] and TaskRun.objects.count() == 0


def test_unknown_tasks_and_arguments_that_cannot_travel_are_refused_at_once(tasks):
    with pytest.raises(ValueError, match="no enabled module runs the task 'orders.nothing'"):
        tasks.enqueue("orders.nothing")
    with pytest.raises(TypeError):
        tasks.enqueue("orders.process_timeouts", limit=object())
    assert TaskRun.objects.count() == 0


def test_a_task_delivered_twice_has_one_effect(market, container, tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(container, market.buyer)
    run = only_run()
    assert tasks.run(str(run.pk)).status == "succeeded"  # the broker delivers it again
    run.refresh_from_db()
    assert run.attempts == 1 and Notification.objects.get().status == "sent"


def test_failures_are_retried_with_back_off_then_fail_for_good(
    market, container, tasks, clock, caplog, django_capture_on_commit_callbacks
):
    with container.notifications.notification_backend.override(BrokenBackend()):
        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            notify(container, market.buyer)
        run = only_run()
        waits = []
        while run.status == "retrying":
            assert run.next_attempt_at == clock.now() + timedelta(seconds=tasks.backoff(run.attempts))
            waits.append(tasks.backoff(run.attempts))
            clock.advance(seconds=waits[-1])
            tasks.run(str(run.pk))
            run.refresh_from_db()
    assert waits == [10, 20, 40, 80, 160]
    assert run.status == "failed" and run.attempts == tasks.max_attempts == 6 and run.retries == 5
    assert "ConnectionRefusedError: mail server down" in run.last_error
    assert Notification.objects.get().status == "failed"
    assert "failed for good after 6 attempt(s)" in caplog.text


def test_staff_retry_a_failed_task_from_the_ops_page(
    market, container, tasks, staff_client, buyer_client, django_capture_on_commit_callbacks
):
    with container.notifications.notification_backend.override(BrokenBackend()):
        with django_capture_on_commit_callbacks(execute=True):
            notify(container, market.buyer)
        run = only_run()
        TaskRun.objects.filter(pk=run.pk).update(status="failed", attempts=6)
    page = staff_client.get("/ops/")
    assert page.status_code == 200 and f'data-task="{run.pk}"' in page.content.decode()
    url = f"/ops/tasks/{run.pk}/retry/"
    assert buyer_client.post(url).status_code in (302, 403) and only_run().status == "failed"
    assert staff_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff_client.post(url)
    assert answer.status_code == 302 and answer["Location"].endswith("/ops/#tasks")
    run.refresh_from_db()
    assert run.status == "succeeded" and run.attempts == 7 and Notification.objects.get().status == "sent"
    assert staff_client.post(url).status_code == 302  # no longer failed: a message, not a 500
    assert staff_client.post("/ops/tasks/00000000-0000-0000-0000-000000000000/retry/").status_code == 404
    with pytest.raises(Conflict, match="Only a failed task"):
        tasks.retry(run_id=str(run.pk))
    with pytest.raises(NotFound):
        tasks.retry(run_id="not-a-uuid")


def test_a_task_about_a_deleted_object_finishes_cleanly(
    market, container, tasks, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        notify(container, market.buyer)
    for callback in pending:  # the notification rows are written, the task is not sent yet
        with django_capture_on_commit_callbacks(execute=False):
            callback()
    Notification.objects.all().delete()
    with caplog.at_level(logging.WARNING):
        outcome = tasks.run(str(only_run().pk))
    assert outcome.status == "succeeded" and only_run().last_error.startswith("gone:")
    assert "what it was about is gone" in caplog.text
    assert tasks.run("0b7e1c3a-0000-4000-8000-000000000000").status == "missing"


def test_the_sweep_sends_again_what_a_dead_worker_or_a_lost_message_left(market, tasks, clock):
    lost = tasks.enqueue("orders.process_timeouts", dispatch=False)  # its message never reached the broker
    dead = tasks.enqueue("wallets.scan_deposits", dispatch=False)
    lease = clock.now() + timedelta(seconds=tasks.lease_seconds)
    TaskRun.objects.filter(pk=dead).update(status="running", attempts=1, lease_until=lease)  # its worker was killed
    old = tasks.enqueue("orders.process_timeouts", dispatch=False)
    TaskRun.objects.filter(pk=old).update(status="succeeded", finished_at=clock.now() - timedelta(days=8))
    assert tasks.sweep() == 0  # nothing is late yet
    clock.advance(seconds=tasks.lease_seconds + 1)
    assert tasks.sweep() == 2  # in-process, sending runs them at once
    statuses = dict(TaskRun.objects.values_list("pk", "status"))
    assert {str(k): v for k, v in statuses.items()} == {lost: "succeeded", dead: "succeeded"}
    assert TaskRun.objects.get(pk=dead).attempts == 2


def test_a_queue_nobody_consumes_makes_readiness_degraded(market, tasks, clock, client, fresh_health):
    tasks.enqueue("orders.process_timeouts", dispatch=False)
    assert fresh_health.readiness()["status"] == "UP"
    clock.advance(seconds=tasks.stale_seconds + 30)
    fresh_health._memo.clear()
    report = fresh_health.readiness()
    assert report["status"] == "DEGRADED"
    detail = report["components"]["tasks"]["detail"]["error"]
    assert "1 task(s) waiting, the oldest for 90 s: no worker is consuming the queue" in detail
    assert client.get("/health/ready").json() == {"status": "DEGRADED"}


def test_metrics_count_tasks_by_state(market, container, tasks, settings, client, django_capture_on_commit_callbacks):
    settings.METRICS_PUBLIC = True
    with django_capture_on_commit_callbacks(execute=True):
        notify(container, market.buyer)
    with container.notifications.notification_backend.override(BrokenBackend()):
        with django_capture_on_commit_callbacks(execute=True):
            notify(container, market.vendor)
    tasks.enqueue("orders.process_timeouts", dispatch=False)
    text = client.get("/metrics").content.decode()
    for line in (
        'marketplace_tasks{state="succeeded"} 1.0',
        'marketplace_tasks{state="retrying"} 1.0',
        'marketplace_tasks{state="queued"} 1.0',
        'marketplace_tasks{state="failed"} 0.0',
        "marketplace_tasks_retried 1.0",
    ):
        assert line in text, line


def test_a_message_with_a_link_is_forgotten_once_sent(make_user, tasks, django_capture_on_commit_callbacks):
    from django.core import mail

    user = make_user("zoe")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue(
            "accounts.send_mail", forget_arguments=True, to="zoe@example.com", subject="Link", body="https://x/secret"
        )
    assert mail.outbox[0].body == "https://x/secret" and user.pk
    run = only_run()
    assert run.status == "succeeded" and run.kwargs == {}


def test_the_scheduled_work_runs_from_one_command(market, order_in, clock, capsys):
    from django.core.management import call_command

    funded = order_in("funded")
    clock.advance(days=4)
    call_command("run_scheduled_tasks")
    out = capsys.readouterr().out
    assert "orders.process_timeouts: succeeded" in out and "wallets.scan_deposits: succeeded" in out
    from marketplace.orders.models import Order

    assert Order.objects.get(reference=funded).state == "expired"


def test_the_scheduler_runs_what_the_enabled_modules_schedule(tmp_path, settings):
    from marketplace.tasks.engine import ModuleScheduler, app

    settings.MARKETPLACE["core"]["tasks"]["sweep_seconds"] = 7
    scheduler = ModuleScheduler(app, schedule_filename=str(tmp_path / "beat"))
    try:
        entries = {
            name: entry.schedule.run_every.total_seconds()
            for name, entry in scheduler.schedule.items()
            if hasattr(entry.schedule, "run_every")  # Celery's own crontab entries
        }
    finally:
        scheduler.close()
    assert {"orders.process_timeouts": 60, "wallets.scan_deposits": 60, "tasks.sweep": 7}.items() <= entries.items()
    assert app.conf.beat_scheduler == "marketplace.tasks.engine:ModuleScheduler"


def test_each_attempt_at_a_mail_carries_the_same_message_id(
    market, container, tasks, marketplace_config, django_capture_on_commit_callbacks
):
    from django.core import mail

    with marketplace_config(notifications={"backend": "email"}, reload=["notifications"]):
        with django_capture_on_commit_callbacks(execute=True):
            notify(container, market.vendor)
        run = only_run()
        TaskRun.objects.filter(pk=run.pk).update(status="queued")  # as if the first answer was lost
        Notification.objects.update(status="pending")
        tasks.run(str(run.pk))
    first, second = mail.outbox
    notification = Notification.objects.get()
    ids = {m.message()["Message-ID"] for m in (first, second)}
    assert ids == {f"<notification-{notification.pk}@localhost>"}


def test_a_broker_outage_keeps_the_task_and_the_sweep_sends_it_later(
    market, container, tasks, clock, caplog, django_capture_on_commit_callbacks
):
    from celery import Celery

    from marketplace.tasks.dispatcher import CeleryDispatcher
    from tests.support.servers import free_port

    outage = Celery("outage", broker=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    outage.conf.update(
        task_publish_retry=False,
        broker_connection_timeout=1,
        broker_transport_options={"socket_connect_timeout": 1},
    )
    with container.core.task_dispatcher.override(CeleryDispatcher(outage)):
        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            started = time.monotonic()
            notify(container, market.buyer)
            took = time.monotonic() - started
    assert took < 5, f"the broker outage held the caller {took:.1f} s"
    assert only_run().status == "queued" and "the sweep will send it" in caplog.text
    clock.advance(seconds=tasks.stale_seconds + 1)
    assert container.core.task_service().sweep() == 1  # the broker is back (in-process here)
    assert only_run().status == "succeeded" and Notification.objects.get().status == "sent"
