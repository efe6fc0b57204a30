from django.urls import path

from assistdesk.common import views

app_name = "ops"
urlpatterns = [
    path("heartbeat/", views.heartbeat_create, name="heartbeat-create"),
    path("heartbeat/<int:pk>/", views.heartbeat_detail, name="heartbeat-detail"),
]
