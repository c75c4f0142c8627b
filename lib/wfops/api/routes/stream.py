"""Routes: StackStorm's event stream, ``GET /stream/v1/stream`` (server-sent events; see
:mod:`wfops.api.events`), and one execution's output as it is written, ``GET
/stream/v1/executions/{id}/output``. st2client finds the stream at ``ST2_STREAM_URL`` +
``/stream``; with ``wfops serve`` that is ``http://HOST:PORT/stream/v1``."""

from __future__ import annotations

import time
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from wfops import statuses as s
from wfops.api.events import OUTPUT_CREATE, StreamFilter, events_of, output_doc, sse, start_cursor
from wfops.api.faults import NOT_FOUND_ID, ApiError
from wfops.api.routes import refusals
from wfops.api.service import ApiService, Service, split_list

router = APIRouter()

POLL_SECONDS = 0.1        # how often a stream looks for new rows of the change cursor
HEARTBEAT_SECONDS = 20.0  # a newline after this long without events (st2stream: 25 s)
BATCH = 500

# st2stream's end of an output stream, and the statuses that close it (st2: completed,
# pausing, resuming).
NO_MORE_DATA = b"event: EOF\ndata: ''\n\n"
OUTPUT_CLOSES_AT = s.COMPLETED | {s.PAUSING, s.RESUMING}

CsvList = Annotated[list[str] | None, Query(description="Comma-separated (or repeated).")]


@router.get("/stream", summary="StackStorm's event stream (server-sent events).",
            response_class=StreamingResponse,
            responses={200: {"description": "Events: `event: NAME` and `data: JSON` lines, as st2stream "
                                            "sends them", "content": {"text/event-stream": {}}},
                       **refusals(400)})
async def stream(svc: Service, events: CsvList = None, action_refs: CsvList = None, execution_ids: CsvList = None,
                 end_event: Annotated[str | None, Query(description="With end_execution_id: the event "
                                                                    "that ends the stream.")] = None,
                 end_execution_id: Annotated[str | None, Query(description="The execution whose completion "
                                                                           "ends the stream; its tree is "
                                                                           "replayed from its start.")] = None):
    wanted = StreamFilter(events=split_list(events), action_refs=split_list(action_refs),
                          execution_ids=split_list(execution_ids), end_event=end_event,
                          end_execution_id=end_execution_id)
    cursor = await anyio.to_thread.run_sync(start_cursor, svc.store, wanted)
    return StreamingResponse(_frames(svc, wanted, cursor), media_type="text/event-stream; charset=UTF-8",
                             headers={"X-Accel-Buffering": "no", "Cache-Control": "no-cache"})


async def _frames(svc: ApiService, wanted: StreamFilter, cursor: int):
    yield b"\n"
    last_sent = time.monotonic()
    while not svc.stopping.is_set():
        rows = await anyio.to_thread.run_sync(svc.store.stream_events_after, cursor, BATCH)
        if rows:
            cursor = rows[-1]["seq"]
            batch = await anyio.to_thread.run_sync(events_of, svc.store, svc.registry, rows)
            out, done = b"", False
            for event, body in batch:
                if wanted.wants(event, body):
                    out += sse(event, body)
                if wanted.ends_with(event, body):
                    done = True
                    break
            if out:
                yield out
                last_sent = time.monotonic()
            if done:
                return
            if len(rows) == BATCH:
                continue
        elif time.monotonic() - last_sent > HEARTBEAT_SECONDS:
            yield b"\n"
            last_sent = time.monotonic()
        await anyio.sleep(POLL_SECONDS)


@router.get("/executions/{id}/output", summary="One execution's output as it is written (server-sent events).",
            response_class=StreamingResponse,
            responses={200: {"description": "`st2.execution.output__create` events, the output written so "
                                            "far first, then an `EOF` event once the execution completes "
                                            "(or is pausing or resuming)", "content": {"text/event-stream": {}}},
                       **refusals(400, 404)})
async def execution_output(svc: Service, id: str,
                           output_type: Annotated[Literal["all", "stdout", "stderr"],
                                                  Query(description="all, stdout or stderr")] = "all"):
    def find() -> dict | None:
        if id == "last":  # st2: the newest execution
            found, _ = svc.store.list_executions(limit=1)
            return found[0] if found else None
        return svc.store.get_execution(id)

    record = await anyio.to_thread.run_sync(find)
    if record is None:
        raise ApiError(404, NOT_FOUND_ID % id)
    wanted = None if output_type == "all" else output_type
    return StreamingResponse(_output_frames(svc, record["id"], wanted),
                             media_type="text/event-stream; charset=UTF-8",
                             headers={"X-Accel-Buffering": "no", "Cache-Control": "no-cache"})


async def _output_frames(svc: ApiService, execution_id: str, output_type: str | None):
    seen = 0
    last_sent = time.monotonic()
    while not svc.stopping.is_set():
        # The status first: output written before it closed is sent before the end.
        status = await anyio.to_thread.run_sync(svc.store.get_execution_status, execution_id)
        rows = await anyio.to_thread.run_sync(svc.store.output_after, execution_id, seen, output_type)
        if rows:
            seen = rows[-1]["seq"]
            yield b"".join(sse(OUTPUT_CREATE, output_doc(r)) for r in rows)
            last_sent = time.monotonic()
        if status in OUTPUT_CLOSES_AT:
            yield NO_MORE_DATA
            return
        if time.monotonic() - last_sent > HEARTBEAT_SECONDS:
            yield b"\n"
            last_sent = time.monotonic()
        await anyio.sleep(POLL_SECONDS)
