"""Operations endpoints: liveness and a task-queue round trip."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from assistdesk.common import clock, services
from assistdesk.common.models import Heartbeat


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@staff_member_required
@require_POST
def heartbeat_create(request: HttpRequest) -> JsonResponse:
    beat = services.heartbeat_request(actor=request.user.get_username(), now=clock.now())
    return JsonResponse({"id": beat.pk, "status": "enqueued"}, status=202)


@staff_member_required
@require_GET
def heartbeat_detail(request: HttpRequest, pk: int) -> JsonResponse:
    beat = get_object_or_404(Heartbeat, pk=pk)
    return JsonResponse(
        {
            "id": beat.pk,
            "status": "ran" if beat.ran_at else "waiting",
            "ran_at": beat.ran_at.isoformat() if beat.ran_at else None,
            "ran_on": beat.ran_on,
        }
    )
