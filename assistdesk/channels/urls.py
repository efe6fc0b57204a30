"""The channels' machine endpoints under /api/v1/: monitoring webhooks, the after-hours line."""

from django.urls import path

from assistdesk.channels.afterhours import views as afterhours
from assistdesk.channels.monitoring import views as monitoring

app_name = "channels"

urlpatterns = [
    path(
        "alerts/alertmanager/<slug:source>",
        monitoring.AlertmanagerWebhookView.as_view(),
        name="alerts-alertmanager",
    ),
    path(
        "alerts/zabbix/<slug:source>", monitoring.ZabbixWebhookView.as_view(), name="alerts-zabbix"
    ),
    path(
        "alerts/generic/<slug:source>",
        monitoring.GenericWebhookView.as_view(),
        name="alerts-generic",
    ),
    path("ivr/pin", afterhours.IvrPinView.as_view(), name="ivr-pin"),
    path("ivr/twiml", afterhours.IvrTwimlView.as_view(), name="ivr-twiml"),
]
