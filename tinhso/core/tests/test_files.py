"""Uploaded papers: what is accepted, what is refused and why, and the PDF rendition of each.

Every input is made here at run time (photos with Pillow, HEIC with pillow_heif, PDFs with ReportLab or by
hand, bombs with zlib), so the suite needs no fixture files and stays fast. No database.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import struct
import subprocess
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pillow_heif
import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image, features
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from tinhso.core import files
from tinhso.core.files import CheckedFile, UploadRejected, check_upload, pdf_rendition, safe_name

MIB = 1024 * 1024
RED = (255, 0, 0)
BLUE = (0, 0, 255)

# --- Making inputs -----------------------------------------------------------------------------------------


def two_colour_image(size: tuple[int, int] = (400, 200)) -> Image.Image:
    """Left half red, right half blue: which way up it is shows in its colours."""
    im = Image.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0] // 2, size[1]))
    return im


def jpeg(im: Image.Image | None = None, *, orientation: int | None = None, dpi: int | None = None) -> bytes:
    im = im or two_colour_image()
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    extra = {"dpi": (dpi, dpi)} if dpi else {}
    im.save(out, "JPEG", quality=90, exif=exif.tobytes(), **extra)
    return out.getvalue()


def png(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def heic(im: Image.Image) -> bytes:
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    im.save(out, "HEIF", quality=80)
    return out.getvalue()


def reportlab_pdf(pages: int = 2) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for number in range(1, pages + 1):
        canvas.drawString(72, 720, f"Trang {number}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(reportlab_pdf(1)))
    writer.encrypt(user_password=user_password, owner_password="chu-so-huu")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` RGB pixels, with a few bytes of data: a decompression
    bomb as far as anything reading the header is concerned, 70-odd bytes on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def hand_made_pdf(objects: dict[int, bytes]) -> bytes:
    """A PDF with a classic cross-reference table, object 1 the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def pdf_with_exploding_object_stream(decoded_bytes: int) -> bytes:
    """One page kept in a compressed object stream that inflates to `decoded_bytes` (mostly spaces), with a
    cross-reference stream as PDF 1.5+ writers make them: some 100 KB on disk for 40 MB inflated."""
    header = b"3 0 "
    body = header + PAGE + b" " * (decoded_bytes - len(header) - len(PAGE))
    packed = zlib.compress(body, 9)
    objects = {
        1: CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        4: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(header), len(packed), packed),
    }
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body_bytes in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body_bytes)
    offsets[5] = len(out)
    rows = [
        struct.pack(">BIH", 0, 0, 0xFFFF),
        struct.pack(">BIH", 1, offsets[1], 0),
        struct.pack(">BIH", 1, offsets[2], 0),
        struct.pack(">BIH", 2, 4, 0),  # object 3: in object stream 4, at index 0
        struct.pack(">BIH", 1, offsets[4], 0),
        struct.pack(">BIH", 1, offsets[5], 0),
    ]
    table = b"".join(rows)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\n"
        b"endobj\nstartxref\n%d\n%%%%EOF\n" % (len(table), table, offsets[5])
    )
    return bytes(out)


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return out.getvalue()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("cccd.jpg", jpeg())
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    two_colour_image().save(out, "GIF")
    return out.getvalue()


# --- Reading renditions ------------------------------------------------------------------------------------


def only_page(pdf: bytes) -> pypdf.PageObject:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0]


def page_size(page: pypdf.PageObject) -> tuple[float, float]:
    return round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)


def embedded_image(page: pypdf.PageObject) -> Image.Image:
    images = list(page.images)
    assert len(images) == 1
    image = images[0].image
    assert image is not None
    return image.convert("RGB")


def image_filters(page: pypdf.PageObject) -> list[str]:
    xobjects = page["/Resources"]["/XObject"]  # type: ignore[index]
    (xobject,) = (ref.get_object() for ref in xobjects.values())
    found = xobject["/Filter"]
    return [str(f) for f in found] if isinstance(found, list) else [str(found)]


def drawn_size(page: pypdf.PageObject) -> tuple[float, float]:
    """The size (points) the page's one image is drawn at, from its `cm` operator."""
    content = page.get_contents()
    assert content is not None
    match = re.search(rb"([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm\s*/\S+ Do", content.get_data())
    assert match
    return float(match[1]), float(match[2])


def is_near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


A4_PORTRAIT = (595.3, 841.9)
A4_LANDSCAPE = (841.9, 595.3)


def assert_refused(exc: pytest.ExceptionInfo[UploadRejected], code: str) -> None:
    assert exc.value.code == code
    message = exc.value.message
    vietnamese, _, english = message.partition(" / ")
    assert english, message  # Vietnamese first, then English
    assert "Hãy" in vietnamese or "hãy" in vietnamese, message  # tells the person what to do
    assert 400 <= exc.value.status_code < 500


# --- Accepted ----------------------------------------------------------------------------------------------


def test_a_phone_photo_is_accepted_as_jpeg_with_its_size_as_shown_and_its_hash() -> None:
    data = jpeg(orientation=6)  # stored 400 × 200, shown turned a quarter

    checked = check_upload(data, name="IMG_0042.JPG")

    assert checked == CheckedFile(
        content_type="image/jpeg",
        extension="jpg",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        pages=1,
        width=200,
        height=400,
        original_name="IMG_0042.JPG",
    )


def test_the_rendition_of_a_photo_taken_sideways_is_an_upright_a4_portrait_page() -> None:
    data = jpeg(orientation=6)

    page = only_page(pdf_rendition(data, check_upload(data, name="cccd.jpg")))

    assert page_size(page) == A4_PORTRAIT
    image = embedded_image(page)
    assert image.size == (200, 400)
    # Orientation 6 means "turn a quarter clockwise to view": the left (red) half ends on top.
    assert is_near(image.getpixel((100, 50)), RED)  # type: ignore[arg-type]
    assert is_near(image.getpixel((100, 350)), BLUE)  # type: ignore[arg-type]
    assert "/DCTDecode" in image_filters(page)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_a_photo_taken_sideways_prints_upright_with_a_pdf_renderer() -> None:
    data = jpeg(orientation=6)
    rendition = pdf_rendition(data, check_upload(data, name="cccd.jpg"))

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "r.pdf")
        source.write_bytes(rendition)
        subprocess.run(
            ["pdftoppm", "-r", "20", "-png", "-singlefile", str(source), str(Path(tmp, "page"))],
            check=True,
            timeout=30,
        )
        with Image.open(Path(tmp, "page.png")) as rendered:
            page = rendered.convert("RGB")

    width, height = page.size
    assert height > width
    assert is_near(page.getpixel((width // 2, height // 4)), RED)  # type: ignore[arg-type]
    assert is_near(page.getpixel((width // 2, height * 3 // 4)), BLUE)  # type: ignore[arg-type]
    assert page.getpixel((1, 1)) == (255, 255, 255)  # the margin


def test_a_png_with_transparency_is_accepted_and_rendered_on_white_without_loss() -> None:
    im = Image.new("RGBA", (300, 200), (0, 0, 0, 0))  # transparent left half
    im.paste((0, 0, 0, 255), (150, 0, 300, 200))  # opaque black right half
    data = png(im)

    checked = check_upload(data, name="ảnh chụp màn hình.png")
    page = only_page(pdf_rendition(data, checked))

    assert (checked.content_type, checked.width, checked.height, checked.pages) == ("image/png", 300, 200, 1)
    assert page_size(page) == A4_LANDSCAPE
    image = embedded_image(page)
    assert image.getpixel((50, 100)) == (255, 255, 255)
    assert image.getpixel((250, 100)) == (0, 0, 0)
    assert "/DCTDecode" not in image_filters(page)


def test_a_heic_photo_from_a_phone_is_accepted_and_rendered_as_a_landscape_page() -> None:
    data = heic(two_colour_image((640, 480)))

    checked = check_upload(data, name="IMG_1234.HEIC")
    page = only_page(pdf_rendition(data, checked))

    assert (checked.content_type, checked.extension) == ("image/heic", "heic")
    assert (checked.width, checked.height) == (640, 480)
    assert checked.original_name == "IMG_1234.HEIC"
    assert page_size(page) == A4_LANDSCAPE
    image = embedded_image(page)
    assert is_near(image.getpixel((100, 240)), RED)  # type: ignore[arg-type]
    assert is_near(image.getpixel((540, 240)), BLUE)  # type: ignore[arg-type]
    assert "/DCTDecode" in image_filters(page)


def test_a_two_page_pdf_is_accepted_and_is_its_own_rendition() -> None:
    data = reportlab_pdf(2)

    checked = check_upload(data, name="giay-xac-nhan.pdf")

    assert (checked.content_type, checked.extension, checked.pages) == ("application/pdf", "pdf", 2)
    assert (checked.width, checked.height) == (None, None)
    rendition = pdf_rendition(data, checked)
    assert rendition == data
    assert len(pypdf.PdfReader(io.BytesIO(rendition)).pages) == 2


def test_a_pdf_named_jpg_is_accepted_as_the_pdf_it_is_under_a_pdf_name() -> None:
    checked = check_upload(reportlab_pdf(1), name="scan.jpg")

    assert checked.content_type == "application/pdf"
    assert checked.original_name == "scan.pdf"


def test_a_multi_picture_jpeg_from_a_camera_is_accepted_as_jpeg() -> None:
    out = io.BytesIO()
    two_colour_image().save(out, "MPO", save_all=True, append_images=[two_colour_image((200, 100))])

    checked = check_upload(out.getvalue(), name="DSC_0001.JPG")

    assert (checked.content_type, checked.width, checked.height) == ("image/jpeg", 400, 200)


def test_a_scan_that_states_its_resolution_is_rendered_at_its_paper_size() -> None:
    # An ID card (85.6 × 54 mm) scanned at 300 dpi prints at the card's own size.
    data = jpeg(two_colour_image((1011, 638)), dpi=300)

    page = only_page(pdf_rendition(data, check_upload(data, name="cccd.jpg")))

    width, height = drawn_size(page)
    assert width / mm == pytest.approx(85.6, abs=0.2)
    assert height / mm == pytest.approx(54.0, abs=0.2)


def test_a_photo_without_a_stated_resolution_fills_the_page_inside_its_margins() -> None:
    data = jpeg(two_colour_image((300, 400)))

    page = only_page(pdf_rendition(data, check_upload(data, name="anh.jpg")))

    assert page_size(page) == A4_PORTRAIT
    assert drawn_size(page)[0] / mm == pytest.approx(210 - 20, abs=0.2)


def test_a_big_photo_is_embedded_at_no_more_than_300_dpi() -> None:
    data = jpeg(two_colour_image((3600, 2400)))

    page = only_page(pdf_rendition(data, check_upload(data, name="anh.jpg")))

    image = embedded_image(page)
    printed_inches = drawn_size(page)[0] / 72
    assert image.width / printed_inches == pytest.approx(300, abs=1)
    assert image.width / image.height == pytest.approx(1.5, abs=0.01)


def test_a_16_bit_greyscale_scan_keeps_its_greys_in_the_rendition() -> None:
    data = png(Image.new("I;16", (100, 100), 32768))  # mid grey on a 16-bit scale

    page = only_page(pdf_rendition(data, check_upload(data, name="scan.png")))

    assert is_near(embedded_image(page).getpixel((50, 50)), (128, 128, 128), tolerance=2)  # type: ignore[arg-type]


def test_the_rendition_of_the_same_upload_is_the_same_bytes_every_time() -> None:
    data = jpeg()
    checked = check_upload(data, name="anh.jpg")

    assert pdf_rendition(data, checked) == pdf_rendition(data, checked)


def test_django_uploads_are_checked_and_left_at_their_start_for_saving() -> None:
    data = jpeg()
    small = SimpleUploadedFile("anh.jpg", data, content_type="image/jpeg")
    spooled = TemporaryUploadedFile("ho-so.pdf", "application/pdf", 0, None)
    spooled.write(reportlab_pdf(2))
    spooled.size = spooled.tell()

    with spooled:
        for upload, content_type in ((small, "image/jpeg"), (spooled, "application/pdf")):
            assert check_upload(upload, name=upload.name or "").content_type == content_type
            assert upload.tell() == 0
        assert pdf_rendition(small, check_upload(small, name="anh.jpg")).startswith(b"%PDF-")
        assert small.read() == data


def test_a_rendition_asked_for_another_file_than_the_checked_one_is_a_programming_error() -> None:
    checked = check_upload(jpeg(), name="anh.jpg")

    with pytest.raises(ValueError, match="another file"):
        pdf_rendition(jpeg(two_colour_image((401, 200))), checked)


# --- Refused -----------------------------------------------------------------------------------------------

REFUSED: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "a text file renamed .pdf": ("don.pdf", lambda: "Đơn đề nghị cấp giấy phép\n".encode(), "type_mismatch"),
    "an html page renamed .jpg": (
        "anh.jpg",
        lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "type_mismatch",
    ),
    "a gif renamed .png": ("anh.png", gif, "type_mismatch"),
    "a truncated jpeg": ("anh.jpg", lambda: jpeg()[:-200], "corrupt_image"),
    "a jpeg cut in half": ("anh.jpg", lambda: jpeg()[: len(jpeg()) // 2], "corrupt_image"),
    "a png with a broken checksum": (
        "anh.png",
        lambda: png(two_colour_image())[:-20] + b"\0" * 8 + png(two_colour_image())[-12:],
        "corrupt_image",
    ),
    "a truncated heic": ("anh.heic", lambda: heic(two_colour_image())[:-200], "corrupt_image"),
    "a truncated pdf": ("ho-so.pdf", lambda: reportlab_pdf(2)[:-300], "corrupt_pdf"),
    "a pdf header and garbage": ("ho-so.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, "corrupt_pdf"),
    "a pdf with a password": ("ho-so.pdf", lambda: encrypted_pdf("mat-khau"), "encrypted_pdf"),
    "a pdf locked by its owner only": ("ho-so.pdf", lambda: encrypted_pdf(""), "encrypted_pdf"),
    "an empty file": ("anh.jpg", lambda: b"", "empty"),
    "a zip archive": ("giay-to.zip", zip_archive, "unsupported_type"),
    "a word document": ("don.docx", docx, "unsupported_type"),
    "an svg picture": (
        "logo.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "unsupported_type",
    ),
    "a windows program": ("setup.exe", lambda: b"MZ\x90\x00" + b"\0" * 200, "unsupported_type"),
    "a gif": ("dong.gif", gif, "unsupported_type"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_upload_is_refused_with_its_code_and_a_message_saying_what_to_do(case: str) -> None:
    name, make, code = REFUSED[case]

    with pytest.raises(UploadRejected) as exc:
        check_upload(make(), name=name)

    assert_refused(exc, code)


def test_the_unsupported_type_message_lists_what_is_accepted() -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload(docx(), name="don.docx")

    assert "JPEG, PNG, HEIC" in exc.value.message
    assert "PDF" in exc.value.message
    assert exc.value.status_code == 415
    assert "zip" in exc.value.detail


def test_a_mismatch_is_also_told_from_the_declared_content_type_when_the_name_says_nothing() -> None:
    upload = SimpleUploadedFile("anh", b"<html></html>", content_type="image/jpeg")

    with pytest.raises(UploadRejected) as exc:
        check_upload(upload, name="anh")

    assert exc.value.code == "type_mismatch"
    assert "“anh.jpg” được gửi như một tệp JPEG" in exc.value.message


def test_a_file_one_byte_over_10_mb_is_refused_as_too_large() -> None:
    data = jpeg() + b"\0" * (10 * MIB + 1 - len(jpeg()))

    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="anh.jpg")

    assert_refused(exc, "too_large")
    assert exc.value.message.startswith("Tệp quá lớn: tối đa 10 MB. Hãy chụp lại")
    assert exc.value.status_code == 413


def test_a_file_of_exactly_the_limit_is_not_refused_for_its_size() -> None:
    data = reportlab_pdf(1)
    padded = data + b"\n" * 1000  # bytes after %%EOF are allowed

    assert check_upload(padded, name="a.pdf", max_bytes=len(padded)).size == len(padded)


class CountingStream(io.RawIOBase):
    """A 50 MB file of zeros that counts what is read of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = offset if whence == io.SEEK_SET else self.position + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        count = max(0, min(len(buffer), self.size - self.position))
        buffer[:count] = b"\0" * count
        self.position += count
        self.bytes_read += count
        return count


def test_an_oversize_file_is_refused_after_reading_just_past_the_limit() -> None:
    stream = CountingStream(50 * MIB)

    with pytest.raises(UploadRejected) as exc:
        check_upload(stream, name="anh.jpg")  # type: ignore[arg-type]

    assert exc.value.code == "too_large"
    assert stream.bytes_read <= 10 * MIB + 64 * 1024


def test_an_upload_whose_size_is_over_the_limit_is_refused_before_it_is_read() -> None:
    upload = SimpleUploadedFile("anh.jpg", jpeg())
    upload.size = 11 * MIB  # what Django's upload handler counted

    with pytest.raises(UploadRejected) as exc:
        check_upload(upload, name="anh.jpg")

    assert exc.value.code == "too_large"
    assert upload.tell() == 0


def test_a_png_claiming_20000_by_20000_pixels_is_refused_before_it_is_decoded() -> None:
    data = png_header(20_000, 20_000)  # 400 megapixels: 1.2 GB once decoded
    assert len(data) < 100

    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="bom.png")

    assert_refused(exc, "image_too_large")
    assert "tối đa 40 triệu điểm ảnh" in exc.value.message


def test_an_image_over_40_megapixels_is_refused_from_its_header() -> None:
    # 64 megapixels: under Pillow's own bomb threshold, over ours.
    with pytest.raises(UploadRejected) as exc:
        check_upload(png_header(8000, 8000), name="anh.png")

    assert exc.value.code == "image_too_large"
    assert exc.value.detail == "8000 × 8000 pixels"


def test_the_pixel_limit_can_be_lowered_for_one_call() -> None:
    data = jpeg(two_colour_image((400, 300)))

    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="anh.jpg", max_pixels=100_000)

    assert exc.value.code == "image_too_large"
    assert "tối đa 0,1 triệu điểm ảnh" in exc.value.message
    assert "at most 0.1 megapixels" in exc.value.message


def test_the_limits_come_from_the_settings(settings: object) -> None:
    settings.DOSSIER_UPLOAD_MAX_BYTES = 1000  # type: ignore[attr-defined]
    settings.DOSSIER_UPLOAD_MAX_PAGES = 1  # type: ignore[attr-defined]

    with pytest.raises(UploadRejected) as too_big:
        check_upload(b"%PDF-" + b"\0" * 1000, name="a.pdf")
    with pytest.raises(UploadRejected) as too_long:
        check_upload(reportlab_pdf(2), name="a.pdf", max_bytes=MIB)

    assert too_big.value.code == "too_large"
    assert too_long.value.code == "too_many_pages"


def test_a_pdf_with_more_pages_than_allowed_is_refused_with_its_page_count() -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload(reportlab_pdf(3), name="a.pdf", max_pages=2)

    assert_refused(exc, "too_many_pages")
    assert exc.value.message.startswith("Tệp PDF có 3 trang, tối đa 2 trang.")


def test_a_pdf_claiming_a_million_pages_is_refused_without_walking_them() -> None:
    data = hand_made_pdf(
        {1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>", 3: PAGE},
    )

    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="a.pdf")

    assert exc.value.code == "too_many_pages"


def test_a_hand_made_one_page_pdf_is_accepted() -> None:
    # The builder the PDF-bomb tests below use makes valid PDFs: their refusal is the bomb's doing.
    data = hand_made_pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", 3: PAGE})

    assert check_upload(data, name="a.pdf").pages == 1


def test_a_pdf_whose_page_tree_loops_back_on_itself_is_refused_as_corrupt() -> None:
    data = hand_made_pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", 3: PAGE})

    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="a.pdf")

    assert_refused(exc, "corrupt_pdf")


def test_a_pdf_whose_page_tree_is_nested_thousands_deep_is_refused_as_corrupt() -> None:
    depth = 5000
    objects = {1: CATALOG}
    for number in range(2, depth + 2):
        parent = b"" if number == 2 else b"/Parent %d 0 R " % (number - 1)
        objects[number] = b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, number + 1)
    objects[depth + 2] = b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>" % (depth + 1)

    with pytest.raises(UploadRejected) as exc:
        check_upload(hand_made_pdf(objects), name="a.pdf")

    assert exc.value.code == "corrupt_pdf"
    assert "depth" in exc.value.detail


def test_a_pdf_whose_object_stream_inflates_to_40_mb_is_refused_as_corrupt() -> None:
    data = pdf_with_exploding_object_stream(40 * MIB)
    assert len(data) < 200 * 1024
    small = pdf_with_exploding_object_stream(64 * 1024)  # the same file, not exploding, is fine

    assert check_upload(small, name="a.pdf").pages == 1
    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="a.pdf")

    assert exc.value.code == "corrupt_pdf"
    assert "Limit" in exc.value.detail


def test_a_pdf_page_without_a_size_is_refused_as_corrupt() -> None:
    data = hand_made_pdf(
        {
            1: CATALOG,
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 0 0] >>",
        }
    )

    with pytest.raises(UploadRejected) as exc:
        check_upload(data, name="a.pdf")

    assert exc.value.code == "corrupt_pdf"


def test_a_file_that_cannot_be_read_again_is_a_programming_error() -> None:
    class OneWay(io.RawIOBase):
        def readable(self) -> bool:
            return True

    with pytest.raises(TypeError, match="seekable"):
        check_upload(OneWay(), name="a.pdf")  # type: ignore[arg-type]


# --- Names -------------------------------------------------------------------------------------------------

NFD_NAME = unicodedata.normalize("NFD", "ảnh CCCD mặt trước.HEIC")


@pytest.mark.parametrize(
    ("given", "content_type", "kept"),
    [
        ("../../etc/passwd.jpg", files.JPEG, "passwd.jpg"),
        ("C:\\Users\\Lan\\Desktop\\so ho khau.pdf", files.PDF, "so ho khau.pdf"),
        (NFD_NAME, files.HEIC, "ảnh CCCD mặt trước.HEIC"),
        ("giấy\x00 khai\x1b[31m sinh\r\n.pdf", files.PDF, "giấy khai[31m sinh.pdf"),
        ("anh\u202egpj.exe", files.JPEG, "anhgpj.exe.jpg"),
        ("scan.jpg", files.PDF, "scan.pdf"),
        ("scan.JPEG", files.JPEG, "scan.JPEG"),
        ("bien-ban.v2", files.PDF, "bien-ban.v2.pdf"),
        ("  ..hidden.png. ", files.PNG, "hidden.png"),
        ("", files.PNG, "tep.png"),
        ("../..", files.PDF, "tep.pdf"),
    ],
)
def test_the_kept_name_has_no_path_no_control_characters_nfc_text_and_the_right_extension(
    given: str, content_type: str, kept: str
) -> None:
    assert safe_name(given, content_type) == kept


def test_the_nfd_name_of_a_phone_photo_is_kept_in_nfc() -> None:
    assert unicodedata.normalize("NFC", NFD_NAME) != NFD_NAME

    checked = check_upload(heic(two_colour_image((64, 48))), name=NFD_NAME)

    assert checked.original_name == unicodedata.normalize("NFC", "ảnh CCCD mặt trước.HEIC")
    assert unicodedata.is_normalized("NFC", checked.original_name)


def test_a_300_character_name_is_cut_to_150_keeping_its_extension() -> None:
    long_name = "Giấy chứng nhận quyền sử dụng đất " * 9  # 306 characters
    kept = safe_name(long_name.strip() + ".pdf", files.PDF)

    assert len(kept) == 150
    assert kept.endswith(".pdf")
    assert kept.startswith("Giấy chứng nhận quyền sử dụng đất Giấy")
    assert not kept[:-4].endswith(" ")


def test_webp_is_refused_as_unsupported() -> None:
    if not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    out = io.BytesIO()
    two_colour_image().save(out, "WEBP")

    with pytest.raises(UploadRejected) as exc:
        check_upload(out.getvalue(), name="anh.webp")

    assert exc.value.code == "unsupported_type"
    assert exc.value.detail == "content: webp"
