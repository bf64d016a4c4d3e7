"""Field tasks: one's own (coordinators: their area's), and completing them."""

from __future__ import annotations

import uuid
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from api.auth import current_user
from api.pagination import PageParams, paginate
from api.schemas.accounts import ErrorOut
from api.schemas.base import IsoDate
from api.schemas.escalations import TaskCompleteIn, TaskOut, TaskPageOut
from backend.reads.tasks import task_list, task_require_in_scope
from backend.tasks.records import task_records
from backend.tasks.services import task_complete

router = Router()
E = ErrorOut


class TaskQuery(Schema):
    status: Literal["open", "done", "cancelled"] | None = None
    due_before: IsoDate | None = Field(
        None, description="Hanya tugas dengan tenggat pada atau sebelum tanggal ini (YYYY-MM-DD)."
    )
    mine: bool = Field(False, description="Koordinator: hanya tugas sendiri.")


@router.get("", response={200: TaskPageOut, 401: E, 422: E}, summary="Daftar tugas", url_name="list_tasks")
def list_tasks(request: HttpRequest, query: Query[TaskQuery], page: Query[PageParams]) -> dict:
    """Soonest due first; `overdue` is computed in the client's time zone."""
    qs = task_list(
        user=current_user(request), status=query.status, due_before=query.due_before, mine_only=query.mine
    )
    result = paginate(qs, page)
    result["items"] = list(task_records(user=current_user(request), tasks=result["items"]).values())
    return result


@router.post(
    "/{task_id}/complete",
    response={200: TaskOut, 401: E, 403: E, 404: E, 409: E, 422: E},
    summary="Selesaikan tugas",
    url_name="complete_task",
)
def complete_task(request: HttpRequest, task_id: uuid.UUID, payload: TaskCompleteIn) -> dict:
    """Idempotent. 403 `not_your_task`; 409 `task_cancelled` or `stale_version` (open task, `version` sent and
    not current); 422 `visit_not_found` on visit_id."""
    user = current_user(request)
    task_require_in_scope(user=user, task_id=task_id)
    task = task_complete(
        task_id=task_id, actor=user, visit_id=payload.visit_id, note=payload.note, version=payload.version
    )
    return task_records(user=user, tasks=[task])[task.id]
