"""Console tests: static files without a manifest, attachments in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import LazySettings

STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def console_settings(settings: LazySettings, tmp_path: Path) -> None:
    settings.STORAGES = STATIC
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
