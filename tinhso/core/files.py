"""Uploaded papers of a dossier (*thành phần hồ sơ*): check what was uploaded, and make its PDF rendition.

Citizens and counter officers upload scans, phone photos or PDFs. `check_upload()` accepts JPEG, PNG, HEIC and
PDF, judged by the **content** only, and refuses anything else with `UploadRejected`, whose `code` is stable
for programs and whose `message` tells the person, in Vietnamese then English, what to do. `pdf_rendition()`
turns an accepted image into a one-page A4 PDF (an accepted PDF is its own rendition). Neither writes
anything: call both before saving, so that a refused upload leaves nothing half-saved.

Decisions:

- **Content decides, names never do.** The type comes from the magic bytes and is confirmed by opening the
  file with the library that will later use it (Pillow `Image.open` + `verify()`, then a fresh `open` +
  `load()`; pypdf `PdfReader(strict=False)` reading the page count and every page's MediaBox). The declared
  name, extension and content type are only used to explain a refusal: content that is none of the four
  types, sent under a name or content type that claims one of them (an HTML page named `.jpg`), is
  `type_mismatch`; otherwise `unsupported_type`. Content that *is* one of the four types under another
  type's name (a PDF named `scan.jpg`) is accepted as what it is, and its clean name gets the right
  extension (`scan.pdf`): refusing it would send a citizen away over a name their phone chose, and nothing
  downstream trusts the name.
- **Limits** (settings, overridable per call): `DOSSIER_UPLOAD_MAX_BYTES` (10 MiB), read in 64 KiB chunks so
  an oversize file is refused just past the limit without being read whole (a Django `File` whose `size`
  already exceeds it is refused without reading at all); `DOSSIER_UPLOAD_MAX_PIXELS` (40 megapixels) checked
  on the dimensions in the image header, before any pixel is decoded, so a decompression bomb costs a few
  bytes of reading; Pillow's own `DecompressionBombError` (from 2 × `Image.MAX_IMAGE_PIXELS`, thrown while
  reading the header) gives the same refusal. Pillow's `DecompressionBombWarning` is not turned into an
  error: that would mean changing the process-wide warning filters, which is not thread-safe, and with the
  default limit (40 MP, under Pillow's 89 MP) every image that would trigger it is already refused.
  `DOSSIER_UPLOAD_MAX_PAGES` (200) for PDFs.
- **PDF bombs**, as far as pypdf allows cheaply: only the structure is read (trailer, cross-reference,
  catalog, page tree, MediaBoxes); content streams, fonts and images are never decoded. The page tree's
  declared `/Count` is checked before walking it; the walk runs under a pypdf configuration (a context
  variable, so thread-safe) capping the page-tree entries near the page limit and any decompression (object
  and cross-reference streams) at 16 MiB; pypdf itself refuses cycles and trees deeper than 100. The walk
  over the pages stops after `PDF_CHECK_SECONDS`. Anything pypdf raises (including `RecursionError` and
  `LimitReachedError`) is `corrupt_pdf`. A single pathological call inside pypdf is not interrupted; the
  web server's worker timeout is the bound for that.
- **Encrypted PDFs are refused**, even those that open without a password (owner password only): they
  cannot be stamped or signed later, and a "print to PDF" makes a clean copy.

Requires pypdf ≥ 7.1 (`pypdf.apply_configuration`), which the lock file pins.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, TypeAlias

import pypdf
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pypdf.generic import DictionaryObject
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from tinhso.core.errors import Refusal

JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
PDF = "application/pdf"

ACCEPTED_TYPES = (JPEG, PNG, HEIC, PDF)
# The canonical extension first; the others are the spellings that count as "the right extension".
EXTENSIONS: dict[str, tuple[str, ...]] = {
    JPEG: ("jpg", "jpeg", "jpe", "jfif"),
    PNG: ("png",),
    HEIC: ("heic", "heif", "hif"),
    PDF: ("pdf",),
}
_LABELS = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIC", PDF: "PDF"}
# What browsers and phones send as the content type of the four (only used to explain a refusal).
_DECLARED_TYPES = {
    "image/jpeg": JPEG,
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/png": PNG,
    "image/x-png": PNG,
    "image/heic": HEIC,
    "image/heif": HEIC,
    "image/heic-sequence": HEIC,
    "application/pdf": PDF,
    "application/x-pdf": PDF,
}
_PILLOW_FORMATS = {JPEG: ["JPEG"], PNG: ["PNG"], HEIC: ["HEIF"]}

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_PAGES = 200
PDF_CHECK_SECONDS = 10.0
NAME_MAX_CHARS = 150
FALLBACK_STEM = "tep"  # "tệp", for a name that is nothing but path, dots and control characters

_CHUNK = 64 * 1024
_HEAD = 512
_PDF_MAX_DECODED = 16 * 1024 * 1024
_EXIF_ORIENTATION = 0x0112

# Rendition: A4 with a margin printers can print, at most 300 dpi (a sharp print; more only adds bytes).
RENDITION_MARGIN = 10 * mm
RENDITION_DPI = 300
RENDITION_JPEG_QUALITY = 85
# Only a resolution in this range is taken as a measurement (a scanner's). Below it are software defaults:
# phones write 72 dpi whatever they photograph, screens 72 or 96, and Pillow itself reports 72 for a JPEG
# whose EXIF has no resolution; above it, mistakes.
_PLAUSIBLE_DPI = (100.0, 1200.0)

UploadInput: TypeAlias = bytes | bytearray | memoryview | IO[bytes] | File


class UploadRejected(Refusal):
    """An upload refused (*tệp tải lên bị từ chối*). `code` is stable (for programs and tests); `message` is
    for the person who uploaded (Vietnamese / English); `status_code` is the HTTP status to answer with
    (413, 415, else 422); `detail` is the technical reason (for logs, never shown)."""

    STATUS = {"too_large": 413, "unsupported_type": 415, "type_mismatch": 415}

    def __init__(self, code: str, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail
        self.status_code = self.STATUS.get(code, 422)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload. `extension` is the canonical one of `content_type`, without the dot; `width` and
    `height` are the image as shown (after its EXIF orientation), None for PDFs; `pages` is 1 for images;
    `original_name` is `safe_name()` of the name given."""

    content_type: str
    extension: str
    size: int
    sha256: str
    pages: int
    width: int | None
    height: int | None
    original_name: str


# --- Public API --------------------------------------------------------------------------------------------


def check_upload(
    f: UploadInput,
    *,
    name: str,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    max_pages: int | None = None,
) -> CheckedFile:
    """Check an upload by its content and return what it is, or raise `UploadRejected`.

    `f` is bytes or a seekable binary file (a Django `UploadedFile`, `File`, `BytesIO`…), read from its start
    and left at its start for the caller to save. `name` is the name the client gave (never trusted).
    """
    max_bytes = _limit(max_bytes, "DOSSIER_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    max_pixels = _limit(max_pixels, "DOSSIER_UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    max_pages = _limit(max_pages, "DOSSIER_UPLOAD_MAX_PAGES", DEFAULT_MAX_PAGES)

    stream = _as_stream(f)
    declared_size = getattr(f, "size", None) if isinstance(f, File) else None
    if isinstance(declared_size, int) and declared_size > max_bytes:
        raise _too_large(max_bytes, f"declared size {declared_size}")
    size, sha256, head = _measure(stream, max_bytes)
    if size == 0:
        raise UploadRejected(
            "empty",
            _(
                "Tệp rỗng (0 byte). Hãy chọn lại đúng tệp rồi tải lên lần nữa. "
                "/ The file is empty (0 bytes). Choose the right file and upload it again."
            ),
        )

    content_type = _sniff(head)
    if content_type not in ACCEPTED_TYPES:
        raise _not_accepted(content_type, name, getattr(f, "content_type", None))

    width = height = None
    try:
        if content_type == PDF:
            pages = _check_pdf(stream, max_pages)
        else:
            pages = 1
            width, height = _check_image(stream, content_type, max_pixels)
    finally:
        stream.seek(0)
    return CheckedFile(
        content_type=content_type,
        extension=EXTENSIONS[content_type][0],
        size=size,
        sha256=sha256,
        pages=pages,
        width=width,
        height=height,
        original_name=safe_name(name, content_type),
    )


def pdf_rendition(f: UploadInput, checked: CheckedFile) -> bytes:
    """The PDF rendition of an upload `check_upload()` accepted as `checked`.

    A PDF is returned unchanged. An image becomes one A4 page, portrait or landscape like the image, with its
    EXIF orientation applied, flattened onto white, in RGB, centred inside a 10 mm margin: at its physical
    size when a scanner's resolution (100–1200 dpi) says one (a 300 dpi scan of an ID card prints at the
    card's size), shrunk to fit when that is larger than the page, and filling the page otherwise (phone
    photos and screenshots, whose 72 or 96 dpi say nothing). At most 300 dpi is kept. Photos (JPEG, HEIC)
    are embedded JPEG-compressed (quality 85), PNG (screenshots, scans of text) losslessly. The output is
    reproducible: the same upload gives the same bytes. Raises `ValueError` when `f` is not the file that
    was checked, `UploadRejected` ("corrupt_image") if the decoder fails where the check did not.
    """
    stream = _as_stream(f)
    data = stream.read(checked.size + 1)
    stream.seek(0)
    if len(data) != checked.size or hashlib.sha256(data).hexdigest() != checked.sha256:
        raise ValueError("pdf_rendition() was given another file than the one check_upload() accepted")
    if checked.content_type == PDF:
        return data
    try:
        return _image_to_pdf(data, checked)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # The check decoded this very file; only a decoder disagreeing with itself gets here.
        raise _corrupt_image(f"rendition: {type(exc).__name__}: {exc}") from exc


def safe_name(name: str, content_type: str) -> str:
    """The name to keep and show for an upload: no directories, NFC, no control or format characters (a
    right-to-left override U+202E makes `anh<RLO>gpj.exe` display as `anhexe.jpg`), spaces collapsed, no
    leading or trailing dots, at most `NAME_MAX_CHARS` characters, ending in an extension of `content_type`
    (kept as written when it is one, replaced when it is another accepted type's, added otherwise)."""
    kept = []
    for ch in unicodedata.normalize("NFC", name or ""):
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            kept.append(ch)
    text = re.split(r"[\\/]", "".join(kept))[-1]
    text = re.sub(r" +", " ", text).strip(" .")
    stem, dot, ext = text.rpartition(".")
    good = EXTENSIONS[content_type]
    if not (dot and stem and ext.lower() in good):
        if dot and stem and any(ext.lower() in spellings for spellings in EXTENSIONS.values()):
            text = stem  # another accepted type's extension: replace it rather than add one
        stem, ext = text, good[0]
    stem = unicodedata.normalize("NFC", stem[: NAME_MAX_CHARS - len(ext) - 1]).rstrip(" .") or FALLBACK_STEM
    return f"{stem}.{ext}"


# --- Reading -----------------------------------------------------------------------------------------------


def _limit(value: int | None, setting: str, default: int) -> int:
    if value is None:
        value = getattr(settings, setting, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ImproperlyConfigured(f"{setting} must be a positive whole number, not {value!r}")
    return value


def _as_stream(f: UploadInput) -> IO[bytes]:
    if isinstance(f, bytes | bytearray | memoryview):
        return io.BytesIO(f)
    if not hasattr(f, "read") or not hasattr(f, "seek"):
        raise TypeError(f"expected bytes or a binary file, not {type(f).__name__}")
    if hasattr(f, "seekable") and not f.seekable():
        raise TypeError("the upload must be seekable (it is read twice: to check it, then to save it)")
    return f


def _measure(stream: IO[bytes], max_bytes: int) -> tuple[int, str, bytes]:
    """Size, SHA-256 and first bytes, reading in chunks and stopping just past `max_bytes`."""
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := stream.read(_CHUNK):
        if not isinstance(chunk, bytes):
            raise TypeError("the upload must be opened in binary mode")
        size += len(chunk)
        if size > max_bytes:
            stream.seek(0)
            raise _too_large(max_bytes, f"more than {max_bytes} bytes")
        if len(head) < _HEAD:
            head += chunk[: _HEAD - len(head)]
        digest.update(chunk)
    stream.seek(0)
    return size, digest.hexdigest(), head


_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
# Other formats people upload by mistake, named for the logs (`UploadRejected.detail`).
_OTHER_MAGIC = (
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
    (b"PK\x03\x04", "zip (docx, xlsx, odt…)"),
    (b"PK\x05\x06", "zip (empty)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2 (doc, xls)"),
    (b"MZ", "exe"),
    (b"\x7fELF", "elf"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"{\\rtf", "rtf"),
)


def _sniff(head: bytes) -> str:
    """The accepted content type the first bytes announce, or a short name of what else they are."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    # Strictly at offset 0 (readers tolerate junk in the first 1 KiB; a polyglot has no business here).
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        # ISO base media: the major brand, then compatible brands up to the end of the `ftyp` box.
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        major = head[8:12]
        brands = {head[i : i + 4] for i in range(16, box_end - 3, 4)}
        if major in _HEIC_BRANDS or (major in (b"mif1", b"msf1") and brands & _HEIC_BRANDS):
            return HEIC
        return "avif" if {major, *brands} & {b"avif", b"avis"} else "iso media (mp4, mov…)"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    for magic, label in _OTHER_MAGIC:
        if head.startswith(magic):
            return label
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"<?xml")):
        return "markup (html, svg, xml)"
    return "unknown"


# --- Refusals ----------------------------------------------------------------------------------------------


def _numbers(value: float) -> dict[str, str]:
    """A number as Vietnamese (decimal comma) and English (decimal point) write it, at most one decimal."""
    en = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return {"vi": en.replace(".", ","), "en": en}


def _too_large(max_bytes: int, detail: str) -> UploadRejected:
    return UploadRejected(
        "too_large",
        _(
            "Tệp quá lớn: tối đa %(vi)s MB. Hãy chụp lại với độ phân giải thấp hơn hoặc chia thành nhiều "
            "tệp. / The file is too large: at most %(en)s MB. Take the photo again at a lower resolution "
            "or split it into several files."
        )
        % _numbers(max_bytes / (1024 * 1024)),
        detail=detail,
    )


def _declared_type(name: str, content_type: Any) -> str | None:
    """The accepted type the client's name, else its content type, claims (only to explain a refusal)."""
    base = re.split(r"[\\/]", name or "")[-1]
    if "." in base:
        ext = base.rpartition(".")[2].strip().lower()
        for accepted, spellings in EXTENSIONS.items():
            if ext in spellings:
                return accepted
    if isinstance(content_type, str):
        return _DECLARED_TYPES.get(content_type.split(";")[0].strip().lower())
    return None


def _not_accepted(found: str, name: str, declared_content_type: Any) -> UploadRejected:
    declared = _declared_type(name, declared_content_type)
    if declared is not None:
        return UploadRejected(
            "type_mismatch",
            _(
                "Tệp “%(name)s” được gửi như một tệp %(declared)s, nhưng nội dung của nó không phải ảnh "
                "JPEG, PNG, HEIC hay tệp PDF (có thể tệp đã bị đổi tên hoặc bị hỏng). Hãy mở tệp trên máy để "
                "kiểm tra, lưu lại thành PDF hoặc ảnh JPEG rồi tải lên lần nữa. / “%(name)s” was sent as a "
                "%(declared)s file, but its content is not a JPEG, PNG or HEIC image or a PDF (it may have "
                "been renamed or damaged). Open it on your device, save it as a PDF or a JPEG image, and "
                "upload it again."
            )
            % {"name": safe_name(name, declared), "declared": _LABELS[declared]},
            detail=f"content: {found}",
        )
    return UploadRejected(
        "unsupported_type",
        _(
            "Không nhận loại tệp này. Chỉ nhận ảnh JPEG, PNG, HEIC hoặc tệp PDF. Tài liệu Word, Excel hay "
            "tệp nén (ZIP): hãy mở ra và lưu (xuất) thành PDF; ảnh loại khác: hãy lưu lại thành JPEG hoặc "
            "PNG. / This type of file is not accepted: only JPEG, PNG or HEIC images and PDF files are. "
            "Word or Excel documents and archives (ZIP): open them and save (export) them as PDF; other "
            "images: save them as JPEG or PNG."
        ),
        detail=f"content: {found}",
    )


def _image_too_large(max_pixels: int, detail: str) -> UploadRejected:
    return UploadRejected(
        "image_too_large",
        _(
            "Ảnh quá lớn: tối đa %(vi)s triệu điểm ảnh. Hãy chụp lại với độ phân giải thấp hơn (ví dụ "
            "12 MP) hoặc thu nhỏ ảnh rồi tải lên lần nữa. / The image is too large: at most %(en)s "
            "megapixels. Take it again at a lower resolution (12 MP, say) or shrink it, and upload it again."
        )
        % _numbers(max_pixels / 1_000_000),
        detail=detail,
    )


def _corrupt_image(detail: str) -> UploadRejected:
    return UploadRejected(
        "corrupt_image",
        _(
            "Không đọc được ảnh: tệp bị hỏng hoặc chưa tải lên hết. Hãy chụp hoặc lưu lại ảnh rồi tải lên "
            "lần nữa. / The image cannot be read: the file is damaged or was not uploaded completely. Take "
            "or save the picture again and upload it again."
        ),
        detail=detail,
    )


def _corrupt_pdf(detail: str) -> UploadRejected:
    return UploadRejected(
        "corrupt_pdf",
        _(
            "Không đọc được tệp PDF: tệp bị hỏng hoặc chưa tải lên hết. Hãy mở thử tệp trên máy, lưu (hoặc "
            "in) lại thành PDF mới rồi tải lên lần nữa. / The PDF cannot be read: the file is damaged or was "
            "not uploaded completely. Open it on your device, save (or print) it again as a new PDF, and "
            "upload that."
        ),
        detail=detail,
    )


def _too_many_pages(pages: int, max_pages: int) -> UploadRejected:
    return UploadRejected(
        "too_many_pages",
        _(
            "Tệp PDF có %(pages)s trang, tối đa %(max)s trang. Hãy chia thành nhiều tệp rồi tải lên từng "
            "tệp. / The PDF has %(pages)s pages; at most %(max)s are accepted. Split it into several files "
            "and upload each of them."
        )
        % {"pages": pages, "max": max_pages},
    )


# --- Images ------------------------------------------------------------------------------------------------


@functools.cache
def _register_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def _open_image(stream: IO[bytes], content_type: str) -> Image.Image:
    if content_type == HEIC:
        _register_heif()
    stream.seek(0)
    return Image.open(stream, formats=_PILLOW_FORMATS[content_type])


def _shown_size(im: Image.Image) -> tuple[int, int]:
    """The size as shown: orientations 5–8 turn the image a quarter."""
    if im.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8):
        return im.height, im.width
    return im.width, im.height


def _check_image(stream: IO[bytes], content_type: str, max_pixels: int) -> tuple[int, int]:
    try:
        with _open_image(stream, content_type) as im:
            # Only the header has been read: refuse a bomb before a single pixel is decoded.
            if im.width * im.height > max_pixels:
                raise _image_too_large(max_pixels, f"{im.width} × {im.height} pixels")
            im.verify()
        with _open_image(stream, content_type) as im:
            shown = _shown_size(im)
            if content_type == JPEG:
                # Decode at 1/8 scale: every byte of the entropy-coded data is still read (a truncated file
                # still fails) in a 64th of the memory.
                im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise _image_too_large(max_pixels, str(exc)) from exc
    except Exception as exc:
        # Decoders raise OSError, SyntaxError, ValueError, struct.error, EOFError… on damaged data.
        raise _corrupt_image(f"{type(exc).__name__}: {exc}") from exc
    return shown


def _plausible_dpi(im: Image.Image) -> float | None:
    dpi = im.info.get("dpi")
    try:
        x, y = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    low, high = _PLAUSIBLE_DPI
    return x if low <= x <= high and math.isclose(x, y, rel_tol=0.01) else None


def _layout(
    width: int, height: int, dpi: float | None
) -> tuple[tuple[float, float], tuple[float, float], tuple[int, int]]:
    """The page size, the drawn size (points) and the pixel size to embed, for an image shown `width` ×
    `height`."""
    page = A4 if height >= width else landscape(A4)
    fit = min((page[0] - 2 * RENDITION_MARGIN) / width, (page[1] - 2 * RENDITION_MARGIN) / height)
    points_per_pixel = min(fit, 72.0 / dpi) if dpi else fit
    drawn = (width * points_per_pixel, height * points_per_pixel)
    max_width = math.ceil(drawn[0] / 72.0 * RENDITION_DPI)
    if width <= max_width:
        return page, drawn, (width, height)
    return page, drawn, (max_width, max(1, round(height * max_width / width)))


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale (some scanners): convert("L") would clip at 255, not scale.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


def _image_to_pdf(data: bytes, checked: CheckedFile) -> bytes:
    with _open_image(io.BytesIO(data), checked.content_type) as im:
        shown = _shown_size(im)
        page, drawn, pixels = _layout(*shown, _plausible_dpi(im))
        if checked.content_type == JPEG:
            turned = shown != im.size
            im.draft("RGB", (pixels[1], pixels[0]) if turned else pixels)
        upright = ImageOps.exif_transpose(im)
    image = _to_rgb(upright)
    if image.size != pixels:
        image = image.resize(pixels, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if checked.content_type in (JPEG, HEIC):
        encoded = io.BytesIO()
        image.save(encoded, "JPEG", quality=RENDITION_JPEG_QUALITY)
        encoded.seek(0)
        source = ImageReader(encoded)  # passed through as DCTDecode, not re-compressed
    else:
        source = ImageReader(image)

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=page, invariant=1)
    canvas.setTitle(checked.original_name)
    canvas.setCreator("Tỉnh Số")
    canvas.drawImage(
        source, (page[0] - drawn[0]) / 2, (page[1] - drawn[1]) / 2, width=drawn[0], height=drawn[1]
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- PDFs --------------------------------------------------------------------------------------------------


@contextmanager
def _pdf_limits(max_pages: int) -> Iterator[None]:
    """pypdf's resource limits, tightened for a check that reads structure only (a context variable: this
    thread and this call only)."""
    with pypdf.apply_configuration(
        # Entries are pages plus the intermediate /Pages nodes; a balanced tree has fewer of those than pages.
        page_tree_maximum_entries=2 * max_pages + 100,
        # Structure lives in object and cross-reference streams, small even in big files (content streams
        # and images, which are big, are never decoded here); pypdf's own default is 75 MB.
        zlib_maximum_output_length=_PDF_MAX_DECODED,
        lzw_maximum_output_length=_PDF_MAX_DECODED,
        run_length_maximum_output_length=_PDF_MAX_DECODED,
        brotli_maximum_output_length=_PDF_MAX_DECODED,
        array_based_stream_maximum_output_length=_PDF_MAX_DECODED,
    ):
        yield


def _check_pdf(stream: IO[bytes], max_pages: int) -> int:
    deadline = time.monotonic() + PDF_CHECK_SECONDS
    try:
        with _pdf_limits(max_pages):
            reader = pypdf.PdfReader(stream, strict=False)
            if reader.is_encrypted:
                raise UploadRejected(
                    "encrypted_pdf",
                    _(
                        "Tệp PDF có mật khẩu hoặc bị khoá. Hãy mở tệp, lưu (hoặc in) lại thành PDF không có "
                        "mật khẩu rồi tải lên lần nữa. / The PDF is password-protected or locked. Open it, "
                        "save (or print) it as a PDF without a password, and upload that."
                    ),
                )
            # The declared count first, so a tree claiming a million pages is refused without walking it.
            tree = reader.root_object["/Pages"].get_object()
            count = tree.get("/Count") if isinstance(tree, DictionaryObject) else None
            if isinstance(count, int) and count > max_pages:
                raise _too_many_pages(count, max_pages)
            pages = len(reader.pages)
            if pages > max_pages:
                raise _too_many_pages(pages, max_pages)
            if pages == 0:
                raise _corrupt_pdf("no pages")
            for number, page in enumerate(reader.pages, start=1):
                if time.monotonic() > deadline:
                    raise _corrupt_pdf(f"check took over {PDF_CHECK_SECONDS} s, at page {number}")
                box = page.mediabox
                width, height = float(box.width), float(box.height)
                if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
                    raise _corrupt_pdf(f"page {number}: MediaBox {list(box)}")
    except UploadRejected:
        raise
    except Exception as exc:
        # pypdf raises PdfReadError, LimitReachedError, KeyError, ValueError, RecursionError… on bad input.
        raise _corrupt_pdf(f"{type(exc).__name__}: {exc}") from exc
    return pages
