"""The public verification page in a real browser (Debian's Chromium through Playwright): a visitor with a
360 px phone and no JavaScript opens a paper's address, uploads the PDF they hold and reads the verdict;
axe-core finds no serious or critical violation. Skipped where Chromium is not installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tinhso.accounts.models import Agency
from tinhso.core.tests.signing_support import one_byte_changed, sample_pdf
from tinhso.edocs import register
from tinhso.edocs.models import SignedDocument
from tinhso.edocs.tests.factories import DOSSIER_CODE, WARD_CODE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "accounts" / "tests" / "vendor" / "axe.min.js"
# Evaluated in the page (the CSP admits no inline script tag); serious and critical findings only.
AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""


def axe_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(page.evaluate(AXE_RUN))


def test_a_visitor_checks_a_paper_on_a_phone_without_javascript(
    site: str, new_page: Any, screenshot: Any, signing_dir: Path, tmp_path: Path
) -> None:
    issued = register.signed_document_issue(
        issuer=Agency.objects.get(code=WARD_CODE),
        render=sample_pdf,
        kind=SignedDocument.Kind.RESULT,
        title="Trích lục khai sinh",
        source_dossier_code=DOSSIER_CODE,
        source_ref="result:1",
    )
    assert issued.document is not None
    good, forged = tmp_path / "ban-giu.pdf", tmp_path / "ban-sua.pdf"
    good.write_bytes(issued.content)
    forged.write_bytes(one_byte_changed(issued.content))

    page = new_page(width=360, height=740, js=False)
    response = page.goto(f"{site}/xac-thuc/{issued.document.token}/")
    assert response and response.status == 200
    assert "Văn bản có trong sổ đăng ký, chưa bị thu hồi" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "edocs-verify-360", full_page=True)

    for path, verdict in ((good, "Văn bản nguyên vẹn, chữ ký hợp lệ"), (forged, "Văn bản đã bị sửa đổi")):
        page.set_input_files("#id_file", str(path))
        page.locator("[data-testid=verify-submit]").click()
        page.wait_for_load_state()
        assert verdict in page.inner_text("[data-testid=verdict]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "edocs-verify-modified-360", full_page=True)

    wide = new_page(width=1280, height=800, js=True)
    wide.goto(f"{site}/xac-thuc/{issued.document.token}/")
    assert axe_violations(wide) == []
