from django.contrib import admin

from assistdesk.common.models import Heartbeat, ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin[ScheduledRun]):
    list_display = ["job", "slot_at", "claimed_by", "claimed_at", "task_result_id"]
    list_filter = ["job"]
    readonly_fields = [f.name for f in ScheduledRun._meta.fields]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin[Heartbeat]):
    list_display = ["id", "requested_at", "requested_by", "ran_at", "ran_on"]
    readonly_fields = [f.name for f in Heartbeat._meta.fields]
