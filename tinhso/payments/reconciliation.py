"""Reconciliation (*đối soát*): the bank says what arrived; we match it to payment requests.

VietQR has no callback (PAY-2): a fee is paid when the receiving bank's statement or feed shows the credit,
never when a QR code is shown. Three ways in, one way through:

- `statement_import()` — a statement file of one collection account, as CSV (layout below) or ISO 20022
  camt.053 XML. The same file twice is recognised by its SHA-256 and changes nothing; a transaction already
  known (same bank BIN and bank transaction id, from another file or the webhook) is skipped, so overlapping
  statements are safe too — unless it states another account or amount than the one recorded: that row is
  an error. A file with any unreadable row is refused whole, with every row's error.
- `webhook_receive()` — a bank that pushes each credit as JSON, signed with HMAC-SHA256 over the raw body
  under the bank's secret (`BankFeed`); idempotent by transaction id (409 when the id is known with another
  account or amount).
- `_apply()` — each new credit: the references found anywhere in its description (`references.py`; banks
  re-space and re-case it) and its amount decide. Exact → paid; less → partly paid, and the shortfall goes
  to the officials' queue; more → paid, and the surplus goes to the queue; a request already paid or exempt
  → a duplicate in the queue; no known reference (or a cancelled request) → unmatched in the queue. Only a
  credit to the account the request names is matched: one to another account is unmatched in the queue of
  the agency that holds the account, for an official with rights over both agencies to match by hand.

CSV layout (*mẫu sao kê CSV*), UTF-8 with or without a byte-order mark, separated by commas, semicolons or
tabs (guessed from the header line), one header row (title lines above it are skipped), headers matched
without regard to case or diacritics:

    Ngày giao dịch | Mã giao dịch | Số tiền ghi có | Số tiền ghi nợ* | Nội dung giao dịch |
    Số tài khoản đối ứng* | Tên tài khoản đối ứng*                                  (* optional)

- *Ngày giao dịch*: `dd/mm/yyyy`, optionally with `HH:MM[:SS]`, or ISO `yyyy-mm-dd[THH:MM:SS]`, Vietnam time.
- *Số tiền ghi có*: whole đồng, thousands separated by `.` or `,` or nothing (`20.000`, `20,000`, `20000`,
  `20000.00`), at most 13 digits (VietQR's limit). Rows with no credit (empty, `-`, `0`, `0,00`: debits) are
  skipped.
- Also accepted as headers: *Ngày hạch toán*, *Số tham chiếu*, *Số bút toán*, *Ghi có*, *Phát sinh có*,
  *Nội dung*, *Diễn giải*, *Mô tả*, *Tên đối ứng*.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from tinhso.accounts.models import User
from tinhso.core.audit import audit_record
from tinhso.core.errors import Refusal
from tinhso.core.pdf import dong
from tinhso.core.text import fold
from tinhso.core.working_time import VIETNAM_TZ
from tinhso.payments import references, vietqr
from tinhso.payments.models import (
    OUTSTANDING,
    BankFeed,
    BankTransaction,
    CollectionAccount,
    IssueKind,
    PaymentMatch,
    PaymentRequest,
    ReconciliationIssue,
    RequestStatus,
    StatementImport,
    TransactionKind,
)
from tinhso.payments.services import PaymentConflict, PaymentError, mark_settled, require_official

MAX_STATEMENT_BYTES = 10 * 1024 * 1024
MAX_ERRORS_SHOWN = 30
SIGNATURE_HEADER = "X-TinhSo-Signature"
# The largest amount a VietQR code can carry (tag 54: 13 digits); a larger credit is no fee of ours.
MAX_AMOUNT_VND = 10**vietqr.MAX_AMOUNT_DIGITS - 1


class StatementError(Refusal):
    """A statement refused, with every problem found (row-numbered)."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class WebhookError(Refusal):
    """Invalid fields, or an account that is not a collection account."""

    status_code = 422


class WebhookMalformed(WebhookError):
    status_code = 400


class WebhookUnauthorized(WebhookError):
    status_code = 401


class WebhookConflict(WebhookError):
    """A transaction id already recorded with another account or amount."""

    status_code = 409


class _KnownDiffers(Exception):
    """The bank's transaction id is already recorded, with another account or amount (the message says
    which)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Credit:
    """One credit as a statement or a feed states it."""

    transaction_id: str
    amount_vnd: int
    booked_at: dt.datetime
    description: str
    counterparty_name: str = ""
    counterparty_account: str = ""
    where: str = ""  # the row in its statement ("Dòng 12", "Stmt 1, Ntry 3, TxDtls 1"), for errors
    # A reversal (*thu hồi*): the bank takes back an earlier credit of the same amount. `reverses` is the
    # original's transaction id when the bank names it (the feed); `end_to_end_id` the payer's id both
    # entries carry (camt.053); `reason` the bank's return reason code (camt.053 `RtrInf/Rsn/Cd`).
    reversal: bool = False
    reverses: str = ""
    end_to_end_id: str = ""
    reason: str = ""


@dataclass
class ImportResult:
    statement: StatementImport
    rows: int
    added: int
    already_known: int
    same_file: bool = False  # this very file was imported before: nothing done
    issues: list[ReconciliationIssue] = field(default_factory=list)


# --- Amounts and dates ----------------------------------------------------------------------------------

_AMOUNT_GROUPED = re.compile(r"^\d{1,3}(?:([.,])\d{3})?(?:\1\d{3})*(?:[.,]00?)?$")
_AMOUNT_PLAIN = re.compile(r"^\d+(?:[.,]00?)?$")


def parse_amount(text: str) -> int:
    """Whole đồng from a bank's spelling ("20.000", "20,000", "20000", "20000.00"); ValueError otherwise,
    and for more than `MAX_AMOUNT_VND`. VND has no minor unit (§4.1: tag 54), so anything after a decimal
    mark must be zero."""
    raw = text.strip().replace(" ", "").replace("\u00a0", "")
    if len(raw) > 40:  # 13 digits with separators and decimals fit in far less
        raise ValueError(text)
    if _AMOUNT_PLAIN.match(raw):
        value = int(re.split(r"[.,]", raw)[0])
    elif _AMOUNT_GROUPED.match(raw):
        # "20.000,00" / "20,000.00": drop a trailing zero decimal part, then the group separators.
        body = re.sub(r"[.,]00?$", "", raw) if re.search(r"[.,]\d{3}[.,]00?$", raw) else raw
        value = int(re.sub(r"[.,]", "", body))
    else:
        raise ValueError(text)
    if value > MAX_AMOUNT_VND:
        raise ValueError(text)
    return value


_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)


def parse_when(text: str) -> dt.datetime:
    """An aware instant from a bank's date or date-time; naive ones are Vietnam time."""
    raw = text.strip()
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                value = dt.datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(text) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM_TZ)


# --- CSV ------------------------------------------------------------------------------------------------

_HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("ngay giao dich", "ngay hach toan", "ngay gd", "thoi gian giao dich", "ngay"),
    "id": ("ma giao dich", "so tham chieu", "so but toan", "ma gd", "so giao dich"),
    "credit": ("so tien ghi co", "ghi co", "phat sinh co", "so tien co"),
    "debit": ("so tien ghi no", "ghi no", "phat sinh no", "so tien no"),
    "description": ("noi dung giao dich", "noi dung", "dien giai", "mo ta", "noi dung chuyen khoan"),
    "cp_account": ("so tai khoan doi ung", "tai khoan doi ung", "tk doi ung"),
    "cp_name": ("ten tai khoan doi ung", "ten doi ung", "nguoi chuyen", "ten nguoi chuyen"),
}
_REQUIRED = ("date", "id", "credit", "description")


def _header_map(row: Sequence[str]) -> dict[str, int] | None:
    folded = [fold(c) for c in row]
    found: dict[str, int] = {}
    for key, names in _HEADERS.items():
        for i, cell in enumerate(folded):
            if cell in names and i not in found.values():
                found[key] = i
                break
    return found if all(k in found for k in _REQUIRED) else None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementError(
            _("Tệp sao kê phải mã hóa UTF-8 (byte %(pos)s không hợp lệ). / The statement must be UTF-8.")
            % {"pos": exc.start}
        ) from None


def parse_csv(data: bytes) -> list[Credit]:
    """The credits of a CSV statement (layout in the module's docstring); StatementError lists every bad
    row by its line number in the file."""
    text = _decode(data)
    lines = text.splitlines()
    header_at: int | None = None
    header: dict[str, int] | None = None
    delimiter = ","
    for i, line in enumerate(lines[:20]):
        delimiter = max((";", ",", "\t"), key=line.count)
        cells = next(csv.reader([line], delimiter=delimiter), [])
        header = _header_map(cells)
        if header is not None:
            header_at = i
            break
    if header is None or header_at is None:
        raise StatementError(
            _(
                "Không tìm thấy dòng tiêu đề với các cột “Ngày giao dịch”, “Mã giao dịch”, “Số tiền ghi có”, "
                "“Nội dung giao dịch”. / No header row with the required columns."
            )
        )
    columns: dict[str, int] = header
    reader = csv.reader(io.StringIO("\n".join(lines[header_at + 1 :])), delimiter=delimiter)
    credits: list[Credit] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(reader, start=header_at + 2):
        if not any(c.strip() for c in row):
            continue

        def cell(key: str, row: list[str] = row) -> str:
            i = columns.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        credit_text = cell("credit")
        if not credit_text or credit_text == "-":
            continue  # a debit or an empty line of the bank's layout
        problems = []
        try:
            amount = parse_amount(credit_text)
        except ValueError:
            problems.append(_("số tiền ghi có “%(v)s” không đọc được") % {"v": credit_text[:30]})
            amount = 0
        else:
            if amount == 0:
                continue  # "0", "0,00": no credit (a debit row)
        try:
            when = parse_when(cell("date"))
        except ValueError:
            problems.append(_("ngày giao dịch “%(v)s” không đọc được") % {"v": cell("date")[:30]})
            when = timezone.now()
        tx_id = cell("id")
        if not tx_id:
            problems.append(_("thiếu mã giao dịch"))
        elif len(tx_id) > 100:
            problems.append(_("mã giao dịch dài quá 100 ký tự"))
        elif tx_id in seen:
            problems.append(_("mã giao dịch trùng với dòng %(row)s") % {"row": seen[tx_id]})
        if problems:
            errors.append(
                _("Dòng %(row)s: %(problems)s. / Row %(row)s is unreadable.")
                % {"row": offset, "problems": "; ".join(problems)}
            )
            continue
        seen[tx_id] = offset
        credits.append(
            Credit(
                transaction_id=tx_id,
                amount_vnd=amount,
                booked_at=when,
                description=cell("description")[:2000],
                counterparty_name=cell("cp_name")[:200],
                counterparty_account=cell("cp_account")[:40],
                where=_("Dòng %(row)s") % {"row": offset},
            )
        )
    if errors:
        raise StatementError(
            _(
                "Sao kê có %(n)s dòng lỗi, chưa nhập giao dịch nào. "
                "/ The statement has errors; nothing imported."
            )
            % {"n": len(errors)},
            errors[:MAX_ERRORS_SHOWN],
        )
    return credits


# --- camt.053 -------------------------------------------------------------------------------------------

CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053."


def _safe_xml(data: bytes) -> Any:
    """Parse without a DTD, external entities or the network (XXE, billion laughs): a statement never needs
    a DOCTYPE, so one is refused outright."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise StatementError(
            _("Tệp XML không đọc được: %(err)s. / Malformed XML.") % {"err": str(exc)[:200]}
        ) from None
    if root.getroottree().docinfo.doctype:
        raise StatementError(_("Tệp sao kê không được chứa DOCTYPE. / A DOCTYPE is not allowed."))
    return root


def _text(el: Any, path: str) -> str:
    if el is None:
        return ""
    found = el.find(path)
    return (found.text or "").strip() if found is not None else ""


def _camt_amount(el: Any, where: str, errors: list[str]) -> int | None:
    if el is None:
        return None
    currency = el.get("Ccy", "")
    try:
        value = Decimal((el.text or "").strip())
        # Infinity, NaN and sNaN are Decimals too: only a finite amount compares and converts.
        whole = value.is_finite() and value == value.to_integral_value() and 0 < value <= MAX_AMOUNT_VND
    except InvalidOperation:
        errors.append(_("%(where)s: số tiền không đọc được. / Unreadable amount.") % {"where": where})
        return None
    if currency != "VND" or not whole:
        errors.append(
            _("%(where)s: chỉ nhận số tiền đồng nguyên dương (Ccy=VND). / Only whole VND amounts.")
            % {"where": where}
        )
        return None
    return int(value)


def parse_camt053(data: bytes, *, account_number: str = "") -> list[Credit]:
    """The booked credits of an ISO 20022 camt.053 statement (any version): per `Ntry` with `CdtDbtInd`
    CRDT, each `NtryDtls/TxDtls` is one credit — id from `Refs/AcctSvcrRef`, else `Refs/EndToEndId`, else
    the entry's `AcctSvcrRef`; remittance from `RmtInf/Ustrd`; booking date from `BookgDt`. A statement of
    another account than `account_number` is refused."""
    root = _safe_xml(data)
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith(CAMT053_NAMESPACE):
        raise StatementError(
            _("Tệp XML không phải sao kê camt.053 (namespace %(ns)s). / Not a camt.053 statement.")
            % {"ns": namespace or "—"}
        )
    errors: list[str] = []
    credits: list[Credit] = []
    seen: set[str] = set()
    for s_no, stmt in enumerate(root.iterfind("{*}BkToCstmrStmt/{*}Stmt"), start=1):
        acct = _text(stmt, "{*}Acct/{*}Id/{*}Othr/{*}Id") or _text(stmt, "{*}Acct/{*}Id/{*}IBAN")
        if account_number and acct and acct != account_number:
            raise StatementError(
                _("Sao kê của tài khoản %(got)s, không phải %(want)s. / The statement is of another account.")
                % {"got": acct, "want": account_number}
            )
        for e_no, entry in enumerate(stmt.iterfind("{*}Ntry"), start=1):
            where = f"Stmt {s_no}, Ntry {e_no}"
            # A debit is no payment to us, except the bank's reversal of a credit (DBIT with RvslInd: the
            # original was a credit, ISO 20022's usage rule), which takes that payment back.
            indicator = _text(entry, "{*}CdtDbtInd")
            reversed_entry = _text(entry, "{*}RvslInd").lower() in ("true", "1")
            reversal = indicator == "DBIT" and reversed_entry
            if indicator != "CRDT" and not reversal:
                continue
            if indicator == "CRDT" and reversed_entry:
                continue  # the reversal of a debit (a refund of ours sent back): money in, but no payment
            status = _text(entry, "{*}Sts/{*}Cd") or _text(entry, "{*}Sts")
            if status and status != "BOOK":
                continue  # pending or information only: not money yet
            booked_text = _text(entry, "{*}BookgDt/{*}DtTm") or _text(entry, "{*}BookgDt/{*}Dt")
            try:
                booked = parse_when(booked_text)
            except ValueError:
                errors.append(
                    _("%(where)s: thiếu ngày hạch toán BookgDt. / No booking date.") % {"where": where}
                )
                continue
            entry_ref = _text(entry, "{*}AcctSvcrRef")
            details = list(entry.iterfind("{*}NtryDtls/{*}TxDtls"))
            if not details:
                amount = _camt_amount(entry.find("{*}Amt"), where, errors)
                if amount is None:
                    continue
                if not entry_ref:
                    errors.append(_("%(where)s: thiếu mã giao dịch. / No transaction id.") % {"where": where})
                    continue
                _add(
                    credits,
                    seen,
                    errors,
                    where,
                    Credit(
                        entry_ref,
                        amount,
                        booked,
                        _text(entry, "{*}AddtlNtryInf"),
                        where=where,
                        reversal=reversal,
                    ),
                )
                continue
            for t_no, tx in enumerate(details, start=1):
                tx_where = f"{where}, TxDtls {t_no}"
                amount_el = tx.find("{*}Amt")
                if amount_el is None:
                    amount_el = tx.find("{*}AmtDtls/{*}TxAmt/{*}Amt")
                if amount_el is None and len(details) == 1:
                    amount_el = entry.find("{*}Amt")
                amount = _camt_amount(amount_el, tx_where, errors)
                if amount is None:
                    if amount_el is None:
                        errors.append(_("%(where)s: thiếu số tiền. / No amount.") % {"where": tx_where})
                    continue
                end_to_end = _text(tx, "{*}Refs/{*}EndToEndId")
                end_to_end = end_to_end if end_to_end != "NOTPROVIDED" else ""
                tx_id = (
                    _text(tx, "{*}Refs/{*}AcctSvcrRef")
                    # A reversal repeats the original's end-to-end id: never its own transaction id.
                    or (end_to_end if not reversal else "")
                    or (f"{entry_ref}/{t_no}" if entry_ref and len(details) > 1 else entry_ref)
                )
                if not tx_id:
                    errors.append(
                        _("%(where)s: thiếu mã giao dịch. / No transaction id.") % {"where": tx_where}
                    )
                    continue
                remittance = (
                    " ".join(
                        (u.text or "").strip()
                        for u in tx.iterfind("{*}RmtInf/{*}Ustrd")
                        if (u.text or "").strip()
                    )
                    or _text(tx, "{*}RmtInf/{*}Strd/{*}CdtrRefInf/{*}Ref")
                    or _text(tx, "{*}AddtlTxInf")
                )
                name = _text(tx, "{*}RltdPties/{*}Dbtr/{*}Nm") or _text(
                    tx, "{*}RltdPties/{*}Dbtr/{*}Pty/{*}Nm"
                )
                cp_account = _text(tx, "{*}RltdPties/{*}DbtrAcct/{*}Id/{*}Othr/{*}Id") or _text(
                    tx, "{*}RltdPties/{*}DbtrAcct/{*}Id/{*}IBAN"
                )
                _add(
                    credits,
                    seen,
                    errors,
                    tx_where,
                    Credit(
                        tx_id,
                        amount,
                        booked,
                        remittance[:2000],
                        name[:200],
                        cp_account[:40],
                        tx_where,
                        reversal=reversal,
                        end_to_end_id=end_to_end[:100],
                        reason=_text(tx, "{*}RtrInf/{*}Rsn/{*}Cd")[:35],
                    ),
                )
    if errors:
        raise StatementError(
            _("Sao kê có %(n)s lỗi, chưa nhập giao dịch nào. / The statement has errors; nothing imported.")
            % {"n": len(errors)},
            errors[:MAX_ERRORS_SHOWN],
        )
    return credits


def _add(credits: list[Credit], seen: set[str], errors: list[str], where: str, credit: Credit) -> None:
    if len(credit.transaction_id) > 100:
        errors.append(_("%(where)s: mã giao dịch dài quá 100 ký tự.") % {"where": where})
    elif credit.transaction_id in seen:
        errors.append(
            _("%(where)s: mã giao dịch %(id)s lặp lại.") % {"where": where, "id": credit.transaction_id}
        )
    else:
        seen.add(credit.transaction_id)
        credits.append(credit)


# --- Recording and matching -----------------------------------------------------------------------------


def _issue(
    kind: str, tx: BankTransaction, request: PaymentRequest | None, amount: int, detail: str, at: dt.datetime
) -> ReconciliationIssue:
    return ReconciliationIssue.objects.create(
        kind=kind,
        transaction=tx,
        request=request,
        agency_id=request.agency_id if request is not None else tx.account.agency_id,
        amount_vnd=amount,
        detail=detail[:300],
        created_at=at,
    )


def _apply(tx: BankTransaction, *, at: dt.datetime) -> list[ReconciliationIssue]:
    """Match one new credit to its request by the reference in its description and its amount."""
    refs = references.find_references(tx.description)
    by_ref = (
        {
            r.reference: r
            for r in PaymentRequest.objects.select_for_update()
            .select_related("agency")
            .filter(reference__in=refs)
        }
        if refs
        else {}
    )
    request = next((by_ref[r] for r in refs if r in by_ref), None)
    if request is None:
        detail = (
            _("Mã thanh toán %(refs)s không có trong hệ thống.") % {"refs": ", ".join(refs)}
            if refs
            else _("Nội dung chuyển khoản không có mã thanh toán.")
        )
        return [_issue(IssueKind.UNMATCHED, tx, None, tx.amount_vnd, detail, at)]
    if request.status == RequestStatus.CANCELLED:
        detail = _("Yêu cầu %(ref)s đã bị hủy.") % {"ref": request.reference}
        return [_issue(IssueKind.UNMATCHED, tx, request, tx.amount_vnd, detail, at)]
    if request.account_id != tx.account_id:
        # A reference is no proof on its own (anyone can type one): money that landed in another account
        # than the one the request's QR code names is for an official to look into. Unmatched, with no
        # request: the officials of the account's agency see it and may match it by hand
        # (`issue_match_by_hand`, with rights over both agencies).
        detail = _("Mã thanh toán %(ref)s: tiền vào tài khoản khác tài khoản của khoản thu.") % {
            "ref": request.reference
        }
        return [_issue(IssueKind.UNMATCHED, tx, None, tx.amount_vnd, detail, at)]
    return _apply_to(tx, request, at=at, actor=None)


def _apply_to(
    tx: BankTransaction, request: PaymentRequest, *, at: dt.datetime, actor: User | None
) -> list[ReconciliationIssue]:
    """Apply the credit to the (locked) request: paid, partly paid, or a duplicate."""
    old_status = request.status
    if request.status not in OUTSTANDING:
        PaymentMatch.objects.create(
            transaction=tx,
            request=request,
            amount_vnd=tx.amount_vnd,
            matched_at=at,
            matched_by=actor,
            duplicate=True,
        )
        _audit_request(request, "duplicate", tx, old_status, actor)
        detail = _("Yêu cầu %(ref)s trước đó đã ở trạng thái “%(status)s”.") % {
            "ref": request.reference,
            "status": RequestStatus(request.status).label,
        }
        return [_issue(IssueKind.DUPLICATE, tx, request, tx.amount_vnd, detail, at)]
    PaymentMatch.objects.create(
        transaction=tx, request=request, amount_vnd=tx.amount_vnd, matched_at=at, matched_by=actor
    )
    # Earlier shortfalls are superseded by this payment: the request's new state says what is left.
    ReconciliationIssue.objects.filter(
        request=request, kind=IssueKind.PARTIAL, resolved_at__isnull=True
    ).update(
        resolved_at=at,
        resolution=_("Đã nhận thêm %(amount)s đồng (giao dịch %(tx)s).")
        % {"amount": f"{tx.amount_vnd:,}".replace(",", "."), "tx": tx.transaction_id},
    )
    request.paid_vnd += tx.amount_vnd
    issues: list[ReconciliationIssue] = []
    if request.paid_vnd >= request.amount_vnd:
        request.status = RequestStatus.PAID
        mark_settled(request, at=at)
        if request.paid_vnd > request.amount_vnd:
            surplus = request.paid_vnd - request.amount_vnd
            issues.append(
                _issue(IssueKind.EXCESS, tx, request, surplus, _("Nộp thừa so với số phải nộp."), at)
            )
    else:
        request.status = RequestStatus.PARTLY_PAID
        shortfall = request.amount_vnd - request.paid_vnd
        issues.append(
            _issue(IssueKind.PARTIAL, tx, request, shortfall, _("Còn thiếu so với số phải nộp."), at)
        )
    request.save(update_fields=["paid_vnd", "status", "settled_at"])
    _audit_request(request, request.status, tx, old_status, actor)
    return issues


def _audit_request(
    request: PaymentRequest, event: str, tx: BankTransaction, old_status: str, actor: User | None = None
) -> None:
    audit_record(
        event=f"payment_request.{event}",
        target_type="payments.paymentrequest",
        target_id=request.reference,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        agency_code=request.agency.code,
        old={"status": old_status},
        new={
            "status": request.status,
            "paid_vnd": request.paid_vnd,
            "transaction": f"{tx.bank_bin}/{tx.transaction_id}",
            "amount_vnd": tx.amount_vnd,
        },
    )


def _record(
    account: CollectionAccount,
    credit: Credit,
    *,
    source: str,
    statement: StatementImport | None,
    at: dt.datetime,
) -> tuple[BankTransaction | None, list[ReconciliationIssue]]:
    """Insert the credit (or reversal) unless the bank's id is already known (then None): a savepoint turns
    the unique constraint's refusal into "already known", which also settles a race between two imports.
    Known with another account, amount or kind: `_KnownDiffers` (the bank contradicts itself, or someone
    replays an id). A reversal is recorded with the credit it takes back when that is found (locked first;
    a second reversal of one credit, even a concurrent one, is recorded without it, for the queue)."""
    original = _original_of(account, credit) if credit.reversal else None
    while True:
        try:
            with transaction.atomic():
                tx = BankTransaction.objects.create(
                    bank_bin=account.bank_bin,
                    transaction_id=credit.transaction_id,
                    account=account,
                    amount_vnd=credit.amount_vnd,
                    booked_at=credit.booked_at,
                    description=credit.description,
                    counterparty_name=credit.counterparty_name,
                    counterparty_account=credit.counterparty_account,
                    source=source,
                    statement=statement,
                    recorded_at=at,
                    kind=TransactionKind.REVERSAL if credit.reversal else TransactionKind.CREDIT,
                    end_to_end_id=credit.end_to_end_id,
                    reverses=original,
                    reverses_ref=credit.reverses,
                )
            break
        except IntegrityError:
            known = BankTransaction.objects.filter(
                bank_bin=account.bank_bin, transaction_id=credit.transaction_id
            ).first()
            if known is None and original is not None:
                original = None  # another reversal of that credit committed first: this one is not linked
                continue
            problem = _differs(known, account, credit) if known is not None else None
            if problem:
                raise _KnownDiffers(problem) from None
            return None, []
    tx.account = account
    if credit.reversal:
        return tx, _apply_reversal(tx, original, credit, at=at)
    waiting = _reversal_waiting_for(tx)
    if waiting is not None:
        return tx, _cancel_out(tx, waiting, at=at)
    return tx, _apply(tx, at=at)


# How far back a reversal that names no credit looks for one with its payment reference.
REVERSAL_LOOKBACK = dt.timedelta(days=400)


def _original_of(account: CollectionAccount, credit: Credit) -> BankTransaction | None:
    """The credit a reversal takes back, locked: on the same account, of the same amount, not reversed yet;
    named by the bank (`reverses`, else the end-to-end id both carry), else — when the bank names none —
    the one credit booked up to the reversal's day (within `REVERSAL_LOOKBACK`) whose description holds the
    same payment reference. None when not exactly one is found: an official then looks (the queue)."""
    candidates = BankTransaction.objects.select_for_update(of=("self",)).filter(
        account=account, kind=TransactionKind.CREDIT, amount_vnd=credit.amount_vnd, reversal__isnull=True
    )
    if credit.reverses:
        found = list(candidates.filter(transaction_id=credit.reverses)[:2])
    elif credit.end_to_end_id:
        named = Q(end_to_end_id=credit.end_to_end_id) | Q(transaction_id=credit.end_to_end_id)
        found = list(candidates.filter(named)[:2])
    else:
        refs = set(references.find_references(credit.description))
        # A statement may give the reversal's day only (midnight): its whole day counts.
        window = candidates.filter(
            booked_at__lt=credit.booked_at + dt.timedelta(days=1),
            booked_at__gte=credit.booked_at - REVERSAL_LOOKBACK,
        ).order_by("-booked_at", "-id")
        found = (
            [t for t in window.iterator() if refs & set(references.find_references(t.description))][:2]
            if refs
            else []
        )
    return found[0] if len(found) == 1 else None


def _reversal_waiting_for(tx: BankTransaction) -> BankTransaction | None:
    """A reversal recorded before the credit it names (statements imported out of order, a feed pushing the
    reversal first): on the same account, of the same amount, not linked yet, naming this credit by its id
    or its end-to-end id. Locked; None unless exactly one."""
    named = Q(reverses_ref=tx.transaction_id)
    if tx.end_to_end_id:
        named |= Q(end_to_end_id=tx.end_to_end_id)
    found = list(
        BankTransaction.objects.select_for_update()
        .filter(
            account_id=tx.account_id,
            kind=TransactionKind.REVERSAL,
            reverses__isnull=True,
            amount_vnd=tx.amount_vnd,
        )
        .filter(named)[:2]
    )
    return found[0] if len(found) == 1 else None


def _cancel_out(
    tx: BankTransaction, reversal: BankTransaction, *, at: dt.datetime
) -> list[ReconciliationIssue]:
    """The credit a reversal already took back arrives: the two cancel out, nothing is paid. The reversal
    is linked to it (the one change a recorded transaction gets) and its queue item closed."""
    reversal.reverses = tx
    reversal.save(update_fields=["reverses"])
    ReconciliationIssue.objects.filter(transaction=reversal, resolved_at__isnull=True).update(
        resolved_at=at,
        resolution=_(
            "Giao dịch ghi có %(tx)s được ghi nhận sau: hai giao dịch bù trừ nhau, không tính vào khoản "
            "thu nào."
        )
        % {"tx": tx.transaction_id},
    )
    return []


def _align_queue(request: PaymentRequest, *, at: dt.datetime, note: str) -> None:
    """The request's open shortfall and surplus items made to say what is now short or over (the request
    locked, its `paid_vnd` just changed): resized, or closed with `note` when there is none."""
    short = request.amount_vnd - request.paid_vnd if request.status == RequestStatus.PARTLY_PAID else 0
    over = max(0, request.paid_vnd - request.amount_vnd)
    for kind, amount in ((IssueKind.PARTIAL, short), (IssueKind.EXCESS, over)):
        items = list(
            ReconciliationIssue.objects.filter(request=request, kind=kind, resolved_at__isnull=True).order_by(
                "-created_at", "-id"
            )
        )
        keep = items[:1] if amount else []
        for item in keep:
            item.amount_vnd = amount
            item.save(update_fields=["amount_vnd"])
        ReconciliationIssue.objects.filter(pk__in=[i.pk for i in items[len(keep) :]]).update(
            resolved_at=at, resolution=note
        )


def _apply_reversal(
    tx: BankTransaction, original: BankTransaction | None, credit: Credit, *, at: dt.datetime
) -> list[ReconciliationIssue]:
    """The bank took a credit back (*thu hồi*). Applied to a request, the payment stops counting: the
    request's received amount goes down and its state with it (paid → partly paid or awaiting payment), the
    match is marked reversed (its receipt says so), the request's shortfall and surplus items in the queue
    are brought in line, and a reversal item tells the agency's officials — a dossier that moved on because
    the fee was paid is not moved back by this. A credit never applied (unmatched) or a duplicate owed back:
    its open queue item is closed, the money having gone back; one an official had already closed (refunded
    it?) gets a reversal item. No original found: a reversal item without a request."""
    why = _(" (lý do: %(code)s)") % {"code": credit.reason} if credit.reason else ""
    if original is None:
        detail = _(
            "Ngân hàng thu hồi %(amount)s%(why)s nhưng không xác định được giao dịch ghi có gốc: "
            "đối chiếu sao kê."
        ) % {"amount": dong(tx.amount_vnd), "why": why}
        return [_issue(IssueKind.REVERSAL, tx, None, tx.amount_vnd, detail, at)]
    gone_back = _("Ngân hàng đã thu hồi giao dịch này (%(tx)s).") % {"tx": tx.transaction_id}
    match = PaymentMatch.objects.filter(transaction=original).first()
    items = ReconciliationIssue.objects.filter(transaction=original)
    if match is None or match.duplicate:
        # Nothing counted: an unmatched credit, or a duplicate the agency owed back — the bank took it back.
        if match is not None:
            match.reversed_at = at
            match.save(update_fields=["reversed_at"])
        closed_by_hand = items.filter(resolved_at__isnull=False, resolved_by__isnull=False).exists()
        items.filter(resolved_at__isnull=True).update(resolved_at=at, resolution=gone_back)
        if not closed_by_hand:
            return []
        detail = _(
            "Ngân hàng thu hồi giao dịch %(orig)s%(why)s mà cán bộ đã xử lý trước đó (hoàn trả?): kiểm tra "
            "để không hoàn trả hai lần."
        ) % {"orig": original.transaction_id, "why": why}
        request = match.request if match is not None else None
        return [_issue(IssueKind.REVERSAL, tx, request, tx.amount_vnd, detail[:300], at)]
    request = PaymentRequest.objects.select_for_update().select_related("agency").get(pk=match.request_id)
    old_status = request.status
    match.reversed_at = at
    match.save(update_fields=["reversed_at"])
    items.filter(resolved_at__isnull=True).update(resolved_at=at, resolution=gone_back)
    request.paid_vnd = max(0, request.paid_vnd - match.amount_vnd)
    if request.paid_vnd == 0:
        request.status = RequestStatus.OPEN
    elif request.paid_vnd < request.amount_vnd:
        request.status = RequestStatus.PARTLY_PAID
    if request.status != RequestStatus.PAID:
        request.settled_at = None
    request.save(update_fields=["paid_vnd", "status", "settled_at"])
    _align_queue(request, at=at, note=gone_back)
    _audit_request(request, "reversed", tx, old_status)
    if request.status == RequestStatus.PAID:
        detail = _("Ngân hàng thu hồi giao dịch %(orig)s%(why)s; khoản thu vẫn đủ (đã nhận %(paid)s).") % {
            "orig": original.transaction_id,
            "why": why,
            "paid": dong(request.paid_vnd),
        }
    else:
        detail = _("Ngân hàng thu hồi giao dịch %(orig)s%(why)s: khoản thu còn phải nộp %(due)s.") % {
            "orig": original.transaction_id,
            "why": why,
            "due": dong(request.amount_vnd - request.paid_vnd),
        }
        if old_status == RequestStatus.PAID:
            detail += " " + _("Khoản thu đã được coi là nộp đủ: kiểm tra hồ sơ %(subject)s.") % {
                "subject": request.subject_key
            }
    return [_issue(IssueKind.REVERSAL, tx, request, match.amount_vnd, detail[:300], at)]


def _differs(known: BankTransaction, account: CollectionAccount, credit: Credit) -> str | None:
    """What the credit says otherwise than the transaction already recorded under its id, or None."""
    if known.account_id != account.pk:
        return _(
            "Giao dịch %(id)s đã được ghi nhận vào tài khoản khác. / Already recorded for another account."
        ) % {"id": credit.transaction_id}
    if (known.kind == TransactionKind.REVERSAL) != credit.reversal:
        return _("Giao dịch %(id)s đã được ghi nhận là %(kind)s. / Already recorded as another kind.") % {
            "id": credit.transaction_id,
            "kind": TransactionKind(known.kind).label.lower(),
        }
    if known.amount_vnd != credit.amount_vnd:
        return _(
            "Giao dịch %(id)s đã được ghi nhận với số tiền %(known)s đồng, khác %(amount)s đồng. "
            "/ Already recorded with another amount."
        ) % {
            "id": credit.transaction_id,
            "known": f"{known.amount_vnd:,}".replace(",", "."),
            "amount": f"{credit.amount_vnd:,}".replace(",", "."),
        }
    return None


def _check_known(account: CollectionAccount, credits: Sequence[Credit]) -> None:
    """Refuse the statement, row by row, when a transaction id already recorded says something else."""
    errors: list[str] = []
    for start in range(0, len(credits), 500):  # SQLite's limit on bound parameters
        chunk = credits[start : start + 500]
        known = {
            t.transaction_id: t
            for t in BankTransaction.objects.filter(
                bank_bin=account.bank_bin, transaction_id__in=[c.transaction_id for c in chunk]
            ).only("transaction_id", "account_id", "amount_vnd", "kind")
        }
        for credit in chunk:
            problem = (
                _differs(known[credit.transaction_id], account, credit)
                if credit.transaction_id in known
                else None
            )
            if problem:
                errors.append(f"{credit.where}: {problem}")
    if errors:
        raise StatementError(
            _(
                "Sao kê có %(n)s giao dịch khác với giao dịch cùng mã đã ghi nhận, chưa nhập giao dịch nào. "
                "/ Some transactions contradict those already recorded; nothing imported."
            )
            % {"n": len(errors)},
            errors[:MAX_ERRORS_SHOWN],
        )


def _looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


@transaction.atomic
def statement_import(
    *,
    account: CollectionAccount,
    data: bytes,
    filename: str = "",
    actor: User | None,
    at: dt.datetime | None = None,
) -> ImportResult:
    """Import one statement file of `account` (CSV or camt.053, told apart by content). `actor` None: a
    command or a scheduled fetch."""
    at = at or timezone.now()
    if actor is not None:
        require_official(actor, account.agency)
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementError(_("Tệp sao kê lớn quá 10 MB. / The statement is larger than 10 MB."))
    digest = hashlib.sha256(data).hexdigest()
    known = StatementImport.objects.filter(account=account, sha256=digest).first()
    if known is not None:
        return ImportResult(
            statement=known, rows=known.rows, added=0, already_known=known.rows, same_file=True
        )
    if _looks_like_xml(data):
        fmt = StatementImport.Format.CAMT053
        credits = parse_camt053(data, account_number=account.account_number)
    else:
        fmt = StatementImport.Format.CSV
        credits = parse_csv(data)
    _check_known(account, credits)
    # Credits first: a reversal listed before the credit it takes back (same statement) then finds it.
    credits = sorted(credits, key=lambda c: c.reversal)
    try:
        with transaction.atomic():  # a savepoint: the same file sent twice at once (a double click)
            statement = StatementImport.objects.create(
                account=account,
                format=fmt,
                filename=filename[:255],
                sha256=digest,
                uploaded_by=actor,
                uploaded_at=at,
                rows=len(credits),
            )
    except IntegrityError:
        # The other upload committed first (the unique index made this one wait for it): nothing to do.
        known = StatementImport.objects.get(account=account, sha256=digest)
        return ImportResult(
            statement=known, rows=known.rows, added=0, already_known=known.rows, same_file=True
        )
    added = 0
    issues: list[ReconciliationIssue] = []
    for credit in credits:
        try:
            tx, new_issues = _record(account, credit, source=fmt, statement=statement, at=at)
        except _KnownDiffers as exc:  # recorded meanwhile by another import or the webhook
            raise StatementError(
                _(
                    "Sao kê có giao dịch khác với giao dịch cùng mã đã ghi nhận, chưa nhập giao dịch nào. "
                    "/ A transaction contradicts one already recorded; nothing imported."
                ),
                [f"{credit.where}: {exc.message}"],
            ) from None
        if tx is not None:
            added += 1
            issues += new_issues
    statement.added, statement.already_known = added, len(credits) - added
    statement.save(update_fields=["added", "already_known"])
    audit_record(
        event="payment_statement.imported",
        target_type="payments.statementimport",
        target_id=statement.pk,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        agency_code=account.agency.code,
        new={
            "account": account.account_number,
            "format": fmt,
            "sha256": digest,
            "rows": len(credits),
            "added": added,
            "issues": len(issues),
        },
    )
    return ImportResult(
        statement=statement, rows=len(credits), added=added, already_known=len(credits) - added, issues=issues
    )


@transaction.atomic
def issue_match_by_hand(
    issue: ReconciliationIssue | int, *, reference: str, note: str, actor: User, at: dt.datetime | None = None
) -> list[ReconciliationIssue]:
    """*Đối soát thủ công*: an unmatched payment (the payer forgot or mistyped the reference) applied by an
    official to the request it was for, exactly as if the reference had been there (paid, partly paid,
    excess, duplicate); the queue item is resolved with the official's note. Audited. Returns the new
    queue items the payment gives rise to."""
    at = at or timezone.now()
    pk = issue.pk if isinstance(issue, ReconciliationIssue) else issue
    # The transaction first, as a reversal locks it (`_original_of`) before its queue items: one order,
    # no deadlock, and a reversal committed meanwhile is seen below.
    tx_id = ReconciliationIssue.objects.filter(pk=pk).values_list("transaction_id", flat=True).first()
    if tx_id is None:
        raise ReconciliationIssue.DoesNotExist
    BankTransaction.objects.select_for_update().filter(pk=tx_id).first()
    row = (
        ReconciliationIssue.objects.select_for_update()
        .select_related("agency", "transaction__account")
        .get(pk=pk)
    )
    require_official(actor, row.agency)
    note = note.strip()
    if not note:
        raise PaymentError(
            _("Ghi rõ căn cứ đối soát (người nộp, chứng từ). / Say why this payment is theirs.")
        )
    if row.kind != IssueKind.UNMATCHED or row.resolved_at is not None or _has_match(row.transaction):
        raise PaymentConflict(
            _("Chỉ đối soát thủ công được giao dịch chưa xác định còn mở. / Only an open unmatched payment.")
        )
    if BankTransaction.objects.filter(reverses=row.transaction).exists():
        raise PaymentConflict(
            _("Ngân hàng đã thu hồi giao dịch này: không đối soát. / The bank took this payment back.")
        )
    request = (
        PaymentRequest.objects.select_for_update()
        .select_related("agency")
        .filter(reference=reference.strip().upper().replace(" ", ""))
        .first()
    )
    if request is None or request.status == RequestStatus.CANCELLED:
        raise PaymentError(_("Không có khoản thu đang mở với mã này. / No such open request."))
    require_official(actor, request.agency)
    tx = row.transaction
    mismatch: dict[str, str] = {}
    if request.account_id != tx.account_id:
        # Money in another account than the request's: whoever applies it must answer for both.
        require_official(actor, tx.account.agency)
        mismatch = {
            "transaction_account": tx.account.account_number,
            "request_account": request.account.account_number if request.account else "",
        }
    issues = _apply_to(tx, request, at=at, actor=actor)
    row.resolved_at, row.resolved_by = at, actor
    row.resolution = _("Đối soát thủ công với %(ref)s: %(note)s") % {
        "ref": request.reference,
        "note": note[:1800],
    }
    row.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit_record(
        event="payment_issue.matched_by_hand",
        target_type="payments.reconciliationissue",
        target_id=row.pk,
        actor_id=actor.pk,
        actor_label=actor.get_username(),
        agency_code=row.agency.code,
        old={"kind": row.kind, "transaction": row.transaction.transaction_id},
        new={
            "request": request.reference,
            "resolution": row.resolution,
            **({"account_mismatch": mismatch} if mismatch else {}),
        },
    )
    return issues


def _has_match(tx: BankTransaction) -> bool:
    return PaymentMatch.objects.filter(transaction=tx).exists()


# --- Webhook --------------------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The signature a bank sends in `X-TinhSo-Signature`: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookResult:
    status: str  # "recorded", "already_known", "ignored"
    transaction: BankTransaction | None
    issues: tuple[ReconciliationIssue, ...] = ()


def webhook_receive(
    *, feed_code: str, body: bytes, signature: str, at: dt.datetime | None = None
) -> WebhookResult:
    """One credit (or the reversal of one) pushed by a bank. The signature is checked before the body is
    read; the same delivery twice (banks retry) records nothing the second time.

    Body (JSON object): `transaction_id` (str), `account_number` (str), `amount` (integer đồng),
    `booked_at` (ISO 8601), `description` (str), optional `counterparty_name`, `counterparty_account`,
    `direction` ("credit", the default; "reversal": the bank takes back the credit whose `transaction_id`
    is in `reverses` (str), with an optional `reason` code; "debit": ignored)."""
    at = at or timezone.now()
    feed = BankFeed.objects.filter(code=feed_code, is_active=True).first()
    # One answer for an unknown bank and a bad signature: nothing to learn by probing.
    # Compared as bytes: `compare_digest` refuses a str with non-ASCII characters (a TypeError, not a 401).
    given = signature.strip().encode("latin-1", "replace")
    if feed is None or not hmac.compare_digest(sign(feed.secret, body).encode(), given):
        raise WebhookUnauthorized(_("Chữ ký không hợp lệ. / Invalid signature."))
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, an integer of thousands of digits, too deep
        raise WebhookMalformed(_("Nội dung không phải JSON. / The body is not JSON.")) from None
    if not isinstance(payload, dict):
        raise WebhookMalformed(_("Nội dung phải là một đối tượng JSON. / The body must be a JSON object."))
    direction = payload.get("direction", "credit")
    if direction not in ("credit", "reversal"):
        return WebhookResult(status="ignored", transaction=None)
    problems = []
    reverses, reason = payload.get("reverses", ""), payload.get("reason", "")
    if direction == "reversal" and (not isinstance(reverses, str) or not 0 < len(reverses) <= 100):
        problems.append("reverses")
    if not isinstance(reason, str):
        problems.append("reason")
    tx_id, account_number = payload.get("transaction_id"), payload.get("account_number")
    amount, description = payload.get("amount"), payload.get("description", "")
    if not isinstance(tx_id, str) or not 0 < len(tx_id) <= 100:
        problems.append("transaction_id")
    if not isinstance(account_number, str):
        problems.append("account_number")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT_VND:
        problems.append("amount")
    if not isinstance(description, str):
        problems.append("description")
    try:
        booked = parse_when(str(payload.get("booked_at", "")))
    except ValueError:
        problems.append("booked_at")
    if problems:
        raise WebhookError(
            _("Trường không hợp lệ: %(fields)s. / Invalid fields.") % {"fields": ", ".join(problems)}
        )
    account = (
        CollectionAccount.objects.select_related("agency")
        .filter(bank_bin=feed.bank_bin, account_number=account_number, is_active=True)
        .first()
    )
    if account is None:
        raise WebhookError(_("Tài khoản nhận không phải tài khoản thu phí. / Unknown collection account."))
    credit = Credit(
        transaction_id=tx_id,  # type: ignore[arg-type]
        amount_vnd=amount,  # type: ignore[arg-type]
        booked_at=booked,
        description=description[:2000],
        counterparty_name=str(payload.get("counterparty_name", ""))[:200],
        counterparty_account=str(payload.get("counterparty_account", ""))[:40],
        reversal=direction == "reversal",
        reverses=reverses if direction == "reversal" else "",
        reason=reason[:35],
    )
    with transaction.atomic():
        try:
            tx, issues = _record(
                account, credit, source=StatementImport.Format.WEBHOOK, statement=None, at=at
            )
        except _KnownDiffers as exc:
            raise WebhookConflict(exc.message) from None
        if tx is None:
            return WebhookResult(status="already_known", transaction=None)
        audit_record(
            event="payment_transaction.pushed",
            target_type="payments.banktransaction",
            target_id=f"{tx.bank_bin}/{tx.transaction_id}",
            actor_label=f"bank:{feed.code}",
            agency_code=account.agency.code,
            new={"amount_vnd": tx.amount_vnd, "kind": tx.kind, "issues": len(issues)},
        )
    return WebhookResult(status="recorded", transaction=tx, issues=tuple(issues))
