"""Serving a stored document's file with safe headers (pages and API share it).

The type sent is the one the content proved at upload, and only if it is on the accepted list; anything
else goes out as `application/octet-stream`. Always an attachment: a PDF or image opened inline would run
in the site's origin (a PDF can carry scripts), and the sandbox policy that forbids that also stops
browsers' built-in PDF viewers, so inline would show nothing useful anyway.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse

from tinhso.core.files import ACCEPTED_TYPES, safe_name
from tinhso.edocs.models import EDocument

FALLBACK_TYPE = "application/octet-stream"


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages that show a person's documents: kept by no cache, shared or private."""
    response["Cache-Control"] = "private, no-store"
    return response


def share_headers(response: HttpResponse) -> HttpResponse:
    """Pages reached through a share link: the token is in the address, so the address is sent to no
    other site (no Referer) and kept out of search engines."""
    no_store(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def edoc_file_response(doc: EDocument) -> FileResponse:
    if doc.content_type in ACCEPTED_TYPES:
        content_type = doc.content_type
        filename = safe_name(doc.original_name, content_type)
    else:  # not reachable through the services; a row edited behind their back
        content_type = FALLBACK_TYPE
        filename = "tep.bin"
    response = FileResponse(
        doc.file.open("rb"), content_type=content_type, as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
