"""Convert ../shared/data/admin-units into the project's own reference data (tinhso/accounts/data/).

Run from the project root: `uv run python scripts/convert_admin_units.py [SHARED_DIR]`. The output is
committed; a fresh clone has no ../shared. The output is deterministic: running it twice gives the same
bytes, and a test checks that the committed files match the shared source.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tinhso" / "accounts" / "data"
PROVINCE_CODE = "08"  # Tuyên Quang, for whose agencies the seed tree is generated

# Departments of the Tuyên Quang People's Committee after the 2025 reorganisation (level 2 under H60).
# Level-2 numbers are [derived] for the demo: confirm them with the LGSP identifier catalogue (OS-ID3).
DEPARTMENTS = [
    ("000.00.01", "service_centre", "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"),
    ("000.00.02", "department", "Văn phòng Ủy ban nhân dân tỉnh Tuyên Quang"),
    ("000.00.03", "department", "Sở Nội vụ tỉnh Tuyên Quang"),
    ("000.00.04", "department", "Sở Tư pháp tỉnh Tuyên Quang"),
    ("000.00.05", "department", "Sở Tài chính tỉnh Tuyên Quang"),
    ("000.00.06", "department", "Sở Công Thương tỉnh Tuyên Quang"),
    ("000.00.07", "department", "Sở Nông nghiệp và Môi trường tỉnh Tuyên Quang"),
    ("000.00.08", "department", "Sở Xây dựng tỉnh Tuyên Quang"),
    ("000.00.09", "department", "Sở Khoa học và Công nghệ tỉnh Tuyên Quang"),
    ("000.00.10", "department", "Sở Giáo dục và Đào tạo tỉnh Tuyên Quang"),
    ("000.00.11", "department", "Sở Y tế tỉnh Tuyên Quang"),
    ("000.00.12", "department", "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"),
    ("000.00.13", "department", "Sở Dân tộc và Tôn giáo tỉnh Tuyên Quang"),
    ("000.00.14", "department", "Thanh tra tỉnh Tuyên Quang"),
]
FIRST_COMMUNE_LEVEL2 = 30
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def level2_code(n: int) -> str:
    """30..99 as digits, then A0, A1, … Z9: 124 communes do not fit in two decimal digits. [derived]"""
    if n <= 99:
        return f"{n:02d}"
    n -= 100
    return _ALNUM[10 + n // 10] + _ALNUM[n % 10]


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def merge_kind(note: str) -> str:
    folded = clean(note).lower().replace("nhâp", "nhập")
    if folded.startswith("nhập toàn bộ"):
        return "whole"
    if folded.startswith("nhập một phần"):
        return "part"
    if folded.startswith("giữ nguyên"):
        return "unchanged"
    return "other"


def committee_name(commune: str) -> str:
    """ "Xã Phú Lương" -> "Ủy ban nhân dân xã Phú Lương" (the unit type is lower-case inside a name)."""
    return f"Ủy ban nhân dân {commune[0].lower()}{commune[1:]}"


def province_code_of(label: str) -> str:
    match = re.search(r"\((\d{2})\)\s*$", clean(label))
    if not match:
        raise ValueError(f"no province code in {label!r}")
    return match.group(1)


def main(shared: Path) -> None:
    src = shared / "data" / "admin-units"
    nested = json.loads((src / "nested-divisions.json").read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)

    with (OUT / "provinces.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "division_type", "codename", "phone_code"])
        for p in sorted(nested, key=lambda p: p["code"]):
            w.writerow(
                [f"{p['code']:02d}", clean(p["name"]), p["division_type"], p["codename"], p["phone_code"]]
            )

    commune_codes: set[str] = set()
    with (OUT / "communes.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "division_type", "codename", "province_code"])
        for p in sorted(nested, key=lambda p: p["code"]):
            for c in sorted(p["wards"], key=lambda c: c["code"]):
                code = f"{c['code']:05d}"
                commune_codes.add(code)
                w.writerow([code, clean(c["name"]), c["division_type"], c["codename"], f"{p['code']:02d}"])

    skipped = 0
    seen: set[tuple[str, str]] = set()
    out_rows = []
    with (src / "BangChuyendoi_DVHC_moi_cu_2025-07.csv").open(encoding="utf-8", newline="") as fh:
        for row in list(csv.reader(fh))[2:]:
            new_code, old_code = row[2].strip(), row[4].strip()
            if not new_code.isdigit():
                continue  # a province heading row
            if not old_code.isdigit():
                # A whole former district made a special zone (đặc khu) with no commune-level unit of its own,
                # or an unnamed coastal area: no old commune code to resolve.
                skipped += 1
                continue
            if new_code not in commune_codes:
                raise ValueError(f"new commune {new_code} of the conversion table is not in the divisions")
            key = (old_code, new_code)
            if key in seen:
                continue
            seen.add(key)
            out_rows.append(
                [
                    old_code,
                    clean(row[3]),
                    clean(row[6]),
                    clean(row[7]),
                    province_code_of(row[7]),
                    new_code,
                    merge_kind(row[5]),
                    clean(row[5]),
                ]
            )
    with (OUT / "former_communes.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "old_code",
                "old_name",
                "old_district",
                "old_province",
                "old_province_code",
                "new_code",
                "merge",
                "note",
            ]
        )
        w.writerows(sorted(out_rows, key=lambda r: (r[0], r[5])))

    tq = next(p for p in nested if f"{p['code']:02d}" == PROVINCE_CODE)
    with (OUT / "agencies.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        # code_prefix: levels 4-3-2 of the identifier; the level-1 code (H60) is appended from settings.
        w.writerow(["code_prefix", "kind", "name", "parent_prefix", "commune_code"])
        w.writerow(["000.00.00", "provincial_committee", "Ủy ban nhân dân tỉnh Tuyên Quang", "", ""])
        for prefix, kind, name in DEPARTMENTS:
            w.writerow([prefix, kind, name, "000.00.00", ""])
        for i, c in enumerate(sorted(tq["wards"], key=lambda c: c["code"])):
            prefix = f"000.00.{level2_code(FIRST_COMMUNE_LEVEL2 + i)}"
            w.writerow(
                [
                    prefix,
                    "commune_committee",
                    committee_name(clean(c["name"])),
                    "000.00.00",
                    f"{c['code']:05d}",
                ]
            )
    print(
        f"provinces={len(nested)} communes={len(commune_codes)} former_rows={len(out_rows)} "
        f"skipped_without_old_code={skipped} tuyen_quang_communes={len(tq['wards'])}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared")
