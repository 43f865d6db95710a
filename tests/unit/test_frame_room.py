"""A request's calls run in one chunk of CPython's frame stack (marketplace/frame_room.py).

A fresh chunk is mapped memory its first write faults in, so the page faults counted while a
request dives deep, again and again, tell how many chunks it opened: without the room, every
dive past a chunk's edge opens and frees one.
"""

import resource
import sys

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from marketplace.frame_room import FrameRoomMiddleware

DIVES = 100
# About 40 KiB of frames: past a 16 KiB chunk from wherever the test starts, within the room.
DEPTH = 400


def _dive(n: int) -> int:
    return _dive(n - 1) if n else 0


def _faults_while_diving(request) -> HttpResponse:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(DIVES):
        _dive(DEPTH)
    return HttpResponse(str(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before))


def _faults(view) -> int:
    return int(view(RequestFactory().get("/")).content)


def test_deep_calls_inside_the_room_open_no_chunk_per_dive():
    inside = _faults(FrameRoomMiddleware(_faults_while_diving))
    # The room's own pages fault in at the first dive only.
    assert inside < DIVES // 4, inside


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="later 3.13 and 3.14 releases keep a spare chunk")
def test_without_the_room_this_python_opens_a_chunk_per_dive():
    """The flaw the middleware works around, on the Pythons that have it for good (3.11, 3.12)."""
    outside = _faults(_faults_while_diving)
    assert outside >= DIVES, outside
    assert _faults(FrameRoomMiddleware(_faults_while_diving)) < outside // 4


def test_the_response_is_passed_through():
    response = FrameRoomMiddleware(lambda request: HttpResponse("made", status=201))(RequestFactory().get("/"))
    assert (response.status_code, response.content) == (201, b"made")
