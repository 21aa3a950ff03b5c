"""Where e-document files are kept: a private store with no public URL.

Files are personal papers (ID scans, civil-status results). They are never served by the web server or a
`MEDIA_URL`; only the permission-checked views and endpoints of this app stream them. By default they sit
on disk under `<MEDIA_ROOT>/private/` (so the tests' temporary `MEDIA_ROOT` holds them too); a deployment
that keeps files in object storage (DESIGN.md, Scale) declares a `STORAGES["edocs"]` entry (a private
bucket) and it is used instead.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

PRIVATE_DIR = "private"


@deconstructible(path="tinhso.edocs.storage.PrivateFileSystemStorage")
class PrivateFileSystemStorage(FileSystemStorage):
    """`FileSystemStorage` rooted at `<MEDIA_ROOT>/private/` that refuses to make URLs."""

    @cached_property
    def base_location(self) -> str:
        # Re-read when MEDIA_ROOT changes (the parent class's setting_changed handler drops this cache).
        root = self._value_or_setting(self._location, settings.MEDIA_ROOT)  # type: ignore[attr-defined]
        return str(os.path.join(root, PRIVATE_DIR))

    def url(self, name: str | None) -> str:
        raise NotImplementedError(
            "e-document files have no public URL: serve them through tinhso.edocs views"
        )


def edoc_storage() -> Storage:
    """The storage of `EDocument.file` (a callable, so migrations do not freeze a deployment's choice)."""
    if "edocs" in settings.STORAGES:
        return storages["edocs"]
    return PrivateFileSystemStorage()


def edoc_upload_to(instance: Any, filename: str) -> str:
    """`edocs/<owner id>/<yyyy>/<mm>/<random>.<ext>`: the citizen's own file name (any script, any length,
    possibly personal) stays in the database only; the path carries nothing guessable."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if not ext.isalnum() or len(ext) > 5:
        ext = "bin"
    today = timezone.localdate()
    return f"edocs/{instance.owner_id}/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{ext}"
