"""URL map: admin, operations, and one include per interface app."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from assistdesk.common import views as common_views

admin.site.site_header = "AssistDesk administration"
admin.site.site_title = "AssistDesk"
admin.site.index_title = "Catalog, customers and operations"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", common_views.healthz, name="healthz"),
    path("ops/", include("assistdesk.common.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("assistdesk.accounts.urls")),
    path("console/", include("assistdesk.console.urls")),
    path("portal/", include("assistdesk.portal.urls")),
    path("api/v1/", include("assistdesk.channels.urls")),
    path("api/v1/", include("assistdesk.api.urls")),
]
