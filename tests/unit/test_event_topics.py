"""Event topics are declared by the modules that publish them; the list in the docs is theirs."""

import re

import pytest
from django.core.management import call_command

from services.events import EventPublisher, UndeclaredTopic
from tests.support.projects import ROOT

DECLARED = {"shops.opened": ("shops", "shop_id")}


def test_a_strict_publisher_refuses_an_undeclared_topic():
    events = EventPublisher(strict=True)
    events.declare(lambda: DECLARED)
    with pytest.raises(UndeclaredTopic, match="'shops.closed'"):
        events.publish("shops.closed", shop_id=1)


@pytest.mark.django_db
def test_otherwise_it_is_logged_once_and_delivered(caplog, django_capture_on_commit_callbacks):
    events = EventPublisher()
    events.declare(lambda: DECLARED)
    seen = []
    events.subscribe(owner="t", topic="shops.closed", handler=lambda topic, payload: seen.append(payload))
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("shops.closed", shop_id=1)
        events.publish("shops.closed", shop_id=2)
    assert seen == [{"shop_id": 1}, {"shop_id": 2}]
    assert [r.getMessage() for r in caplog.records].count(
        "event topic 'shops.closed' is not declared by any enabled module"
    ) == 1


def test_the_marketplace_publishes_strictly_in_tests():
    from containers import container

    assert container.core.events()._strict


def test_the_documented_topics_are_the_declared_ones(capsys):
    from containers import runtime

    # The built-in modules' topics: a run may enable more (CI's second pass, the example module).
    built_in = [r.module.name for r in runtime.modules if type(r.module).__module__.startswith("modules.")]
    call_command("module_topics", *[f"--module={name}" for name in built_in])
    table = capsys.readouterr().out.strip()
    doc = (ROOT / "docs" / "writing-a-module.md").read_text()
    found = re.search(r"<!-- module_topics -->\n(.*?)\n<!-- /module_topics -->", doc, re.S)
    assert found, "docs/writing-a-module.md has no <!-- module_topics --> table"
    assert found.group(1).strip() == table, "regenerate it: python manage.py module_topics"


def test_every_literal_topic_published_in_the_services_is_declared():
    from containers import runtime

    declared = runtime.declared_topics()
    for path in sorted((ROOT / "services").glob("*.py")):
        for topic in re.findall(r"publish\(\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text()):
            assert topic in declared, f"{path.name} publishes {topic!r}, which no module declares"
