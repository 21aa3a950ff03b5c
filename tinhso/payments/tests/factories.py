"""Test data for payments: a real Tuyên Quang ward with a collection account, officials, a citizen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.tests import factories as people
from tinhso.payments import services
from tinhso.payments.models import BankFeed, CollectionAccount, PaymentRequest

WARD = "000.00.30"  # Ủy ban nhân dân phường Hà Giang 2
OTHER_WARD = "000.00.31"
TZ = dt.timezone(dt.timedelta(hours=7))
BIN = "970415"  # VietinBank
ACCOUNT = "113366668888"
SECRET = "bi-mat-cua-ngan-hang-thu-nghiem"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class Money:
    ward: Agency
    account: CollectionAccount
    feed: BankFeed
    counter: User
    leader: User
    specialist: User  # no fee role
    other_counter: User  # another ward's counter officer
    citizen: User

    def request(self, amount: int = 20_000, *, subject: str = "000.00.30.H60-260302-0001") -> PaymentRequest:
        return services.payment_request_create(
            agency=self.ward,
            subject_key=subject,
            amount_vnd=amount,
            purpose="Lệ phí đăng ký thường trú",
            payer_name="Nguyễn Thị Hằng",
            payer_user=self.citizen,
            actor=self.counter,
            at=at("2026-03-02 09:00"),
        )


def money() -> Money:
    ward = people.agency(WARD)
    account = CollectionAccount.objects.create(
        agency=ward,
        bank_bin=BIN,
        bank_name="VietinBank",
        account_number=ACCOUNT,
        account_name="UBND PHUONG HA GIANG 2",
    )
    feed = BankFeed.objects.create(code="vietinbank", name="VietinBank", bank_bin=BIN, secret=SECRET)
    return Money(
        ward=ward,
        account=account,
        feed=feed,
        counter=people.official(roles=(Role.COUNTER_OFFICER,), full_name="Trần Thị Bình"),
        leader=people.official(roles=(Role.AGENCY_LEADER,), full_name="Hoàng Văn Em"),
        specialist=people.official(roles=(Role.SPECIALIST,)),
        other_counter=people.official(agency_prefix=OTHER_WARD, roles=(Role.COUNTER_OFFICER,)),
        citizen=people.citizen(full_name="Nguyễn Thị Hằng"),
    )


def csv_statement(rows: list[tuple[str, str, str, str]], *, bom: bool = False, sep: str = ";") -> bytes:
    """A statement in the documented layout: (date, transaction id, credit, description) per row, with a
    bank's title line above the header."""
    lines = [
        "SAO KÊ TÀI KHOẢN 113366668888",
        sep.join(
            ["Ngày giao dịch", "Mã giao dịch", "Số tiền ghi có", "Số tiền ghi nợ", "Nội dung giao dịch"]
        ),
    ]
    for date, tx_id, credit, text in rows:
        lines.append(sep.join([date, tx_id, credit, "", text]))
    data = "\r\n".join(lines).encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


def camt053(
    entries: list[tuple[str, str, str, str]], *, account: str = ACCOUNT, version: str = "02"
) -> bytes:
    """A camt.053 statement: (booking date, AcctSvcrRef, amount, remittance) per credit entry, plus one
    debit entry that must be ignored."""
    ntry = []
    for booked, ref, amount, text in entries:
        ntry.append(
            f"""<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>{booked}</Dt></BookgDt><AcctSvcrRef>E-{ref}</AcctSvcrRef>
      <NtryDtls><TxDtls><Refs><AcctSvcrRef>{ref}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
      <RltdPties><Dbtr><Nm>NGUYEN THI HANG</Nm></Dbtr>
        <DbtrAcct><Id><Othr><Id>0011001932418</Id></Othr></Id></DbtrAcct></RltdPties>
      <RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    ntry.append(
        """<Ntry><Amt Ccy="VND">5000</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>FEE-1</AcctSvcrRef></Ntry>"""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-03-03T06:00:00</CreDtTm></GrpHdr>
    <Stmt><Id>1</Id><Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>VND</Ccy></Acct>
    {"".join(ntry)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()
