"""`signing`: signed results per second (`tinhso.core.signing.sign_pdf` on the result notice) beside rendering
the same results without signing, in the same run.

Inputs: N result notices (*thông báo kết quả giải quyết hồ sơ*, `paper_forms.render_result_notice`), each
for its own dossier code and applicant, built in memory: no database. The signing side renders each notice
and signs it as the product does when a result is returned (PAdES B-B, SHA-256, RSA 2048, a visible block
with a QR code of its verification address, the chain embedded); the baseline renders the same notices and
stops there. The keys are a CA and an agency certificate made in memory at the start (production settings
have no development CA). Each side is timed over all N, REPETITIONS times, interleaved in mirrored order;
the figure is the median. The register's database row and the file write are not included (they are the
same for any PDF and measured by the HTTP benchmarks).

Checks: every signed result of the last repetition validates with pyHanko's validator against the in-memory
CA (intact, whole file, trusted), and one is checked by Poppler's `pdfsig` when it is installed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.spec import Check, CpuReport, Figure

N = 20
REPETITIONS = 5
AGENCY = "Ủy ban nhân dân phường Hà Giang 2"


def _notices(n: int) -> list[Any]:
    from tinhso.dossiers import paper_forms as pf

    at = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
    agency = pf.Agency(name=AGENCY, parent_name="", locality="Hà Giang 2")
    return [
        pf.ResultNoticeData(
            agency=agency,
            dossier_code=f"000.00.30.H60-261127-{i:04d}",
            applicant=pf.Person(
                name=f"Nguyễn Thị Ánh {i}", address="Tổ 5, phường Hà Giang 2, tỉnh Tuyên Quang"
            ),
            procedure_name="Cấp bản sao Trích lục khai sinh",
            received_at=at - dt.timedelta(days=3),
            decided_at=at,
            approved=True,
            note="Đã cấp bản sao Trích lục khai sinh số 123/2026",
            signer_name="Hoàng Văn Đức",
            issued_on=at.date(),
            signer_title="Chủ tịch",
        )
        for i in range(1, n + 1)
    ]


def run(n: int = N, repetitions: int = REPETITIONS) -> CpuReport:
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )

    from tinhso.core import signing
    from tinhso.dossiers import paper_forms as pf

    ca = signing.create_ca("CA đo hiệu năng")
    issued = signing.issue_certificate(ca, common_name=AGENCY, organization=AGENCY)
    creds = signing.Credentials(
        key=translate_pyca_cryptography_key_to_asn1(issued.key),
        cert=translate_pyca_cryptography_cert_to_asn1(issued.cert),
        chain=(translate_pyca_cryptography_cert_to_asn1(ca.cert),),
        source="bench",
        loaded_key=issued.key,
    )
    notices = _notices(n)
    signed_at = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)

    def rendered() -> list[bytes]:
        return [pf.render_result_notice(data) for data in notices]

    def signed() -> list[bytes]:
        return [
            signing.sign_pdf(
                pf.render_result_notice(data),
                credentials=creds,
                block=signing.BlockText(
                    agency=AGENCY,
                    signer=data.signer_name,
                    signed_at=signed_at,
                    verify_url=f"https://dichvucong.tuyenquang.gov.vn/xac-thuc/{data.dossier_code}/",
                ),
            )
            for data in notices
        ]

    # One of each first: fonts registered, modules imported, caches warm on both sides alike.
    rendered()
    signed()
    sides: dict[str, Callable[[], list[bytes]]] = {"signed": signed, "rendered": rendered}
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    results: dict[str, list[bytes]] = {}
    names = list(sides)
    for repetition in range(repetitions):
        for side in names if repetition % 2 == 0 else reversed(names):
            began = time.perf_counter()
            results[side] = sides[side]()
            seconds[side].append(time.perf_counter() - began)

    began = time.perf_counter()
    verdicts = [signing.verify_pdf(data, roots=[ca.cert]) for data in results["signed"]]
    verify_rate = n / (time.perf_counter() - began)
    valid = sum(v.valid for v in verdicts)

    signed_rate = n / statistics.median(seconds["signed"])
    rendered_rate = n / statistics.median(seconds["rendered"])
    size_signed = statistics.mean(len(b) for b in results["signed"])
    size_rendered = statistics.mean(len(b) for b in results["rendered"])
    figures = [
        Figure("results per second", signed_rate, "per s", rendered_rate),
        Figure("ms per result", 1e3 / signed_rate, "ms", 1e3 / rendered_rate),
        Figure("signing ÷ rendering time", rendered_rate / signed_rate, "×"),
        Figure("kB per result", size_signed / 1024, "kB", size_rendered / 1024),
        Figure("validations per second (pyHanko)", verify_rate, "per s"),
    ]
    checks = [Check("signed results valid (pyHanko)", valid, f"= {n}", valid == n)]
    pdfsig_note = "pdfsig: not installed, not checked"
    if shutil.which("pdfsig"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "signed.pdf"
            path.write_bytes(results["signed"][0])
            out = subprocess.run(
                ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, timeout=60, check=False
            ).stdout
        ok = "Signature Validation: Signature is Valid." in out
        checks.append(Check("pdfsig: signature is valid", int(ok), "= 1", ok))
        pdfsig_note = "pdfsig checked the first signed result"
    notes = [
        f"{n} results; median of {repetitions} repetitions each, interleaved (signed "
        f"{', '.join(f'{s:.2f}' for s in seconds['signed'])} s; rendered "
        f"{', '.join(f'{s:.2f}' for s in seconds['rendered'])} s)",
        f"profile {signing.PROFILE}, SHA-256, RSA {signing.RSA_BITS}; no time-stamping authority in the loop",
        pdfsig_note,
    ]
    return CpuReport(
        target="tinhso.core.signing.sign_pdf (render + sign)",
        baseline="paper_forms.render_result_notice (render only)",
        figures=figures,
        checks=checks,
        settings={
            "n": n,
            "repetitions": repetitions,
            "seconds": {side: [round(s, 4) for s in values] for side, values in seconds.items()},
        },
        notes=notes,
    )
