"""Room on Python's frame stack for each request: a workaround for a CPython allocator flaw.

CPython 3.11 keeps the frames of running Python calls in 16 KiB chunks, and frees a chunk as
soon as the call that opened it returns (later 3.13 and 3.14 releases keep one spare chunk
instead). A page whose calls keep going in and out across a chunk's edge,
a template loop for instance, maps and unmaps 16 KiB at every crossing. Which page does depends
on how deep the server starts it, so it comes and goes with unrelated changes.

The rest of each request is called through a frame that asks for more room than a chunk holds,
so CPython opens a chunk of 128 KiB for it and the request's own frames follow in that chunk.
The room is reserved for an evaluation stack the call never uses: those pages are never
written, so they cost address space, not memory.
"""

_ROOM_SLOTS = 8192  # 64 KiB of pointers: a request's frames need well under half of that


def _call(function, argument):
    return function(argument)


_call.__code__ = _call.__code__.replace(co_stacksize=_ROOM_SLOTS)


class FrameRoomMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _call(self.get_response, request)
