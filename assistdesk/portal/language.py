"""The page language of a contact: their own, else their company's, until they choose.

The choice lives where Django's LocaleMiddleware and /i18n/setlang/ keep it, the language
cookie. Signing in through the portal sets it to the contact's language; a contact who
arrives without the cookie (signed in through /accounts/login/, or the cookie expired)
gets it on their first portal page. Choosing another language in the selector replaces
it, and it is kept from then on.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation

from assistdesk.customers.models import Contact

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def contact_language(contact: Contact) -> str | None:
    language = contact.language_or_customers
    return language if language in SUPPORTED else None


def has_chosen(request: HttpRequest) -> bool:
    return settings.LANGUAGE_COOKIE_NAME in request.COOKIES


def activate_for(contact: Contact) -> str | None:
    """Make the contact's language the one this request renders in."""
    language = contact_language(contact)
    if language is not None:
        translation.activate(language)
    return language


def remember(response: HttpResponseBase, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
