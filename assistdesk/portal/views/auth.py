"""Signing in and out of the portal.

Django's own login view with the portal's template and a form that admits customer
contacts only. At sign-in the page language becomes the contact's (or the company's):
the language cookie is what Django's LocaleMiddleware and /i18n/setlang/ use, so the
contact can change it afterwards from any page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from assistdesk.portal import language, scoping
from assistdesk.portal.forms import PortalAuthenticationForm
from assistdesk.portal.scoping import with_security_headers


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return with_security_headers(super().dispatch(request, *args, **kwargs))

    def get_default_redirect_url(self) -> str:
        return reverse("portal:home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        contact = scoping.portal_contact(form.get_user())
        chosen = language.activate_for(contact) if contact is not None else None
        if chosen is not None:
            language.remember(response, chosen)
        return response


class PortalLogoutView(auth_views.LogoutView):
    def get_default_redirect_url(self) -> str:
        return reverse("portal:login")
