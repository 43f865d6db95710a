"""Actions started at the same moment from several threads, one database connection each."""

import threading

from django.db import connections


def race(*calls):
    """Run the calls at the same moment, one thread each; return each one's result or error."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            start.wait()
            outcomes[i] = ("ok", call())
        except BaseException as exc:  # the caller decides which refusals are expected
            outcomes[i] = ("refused", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return outcomes
