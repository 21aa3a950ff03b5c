"""The dossier API: creation with Idempotency-Key, transitions with 409 on a lost race, scoping, forms."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from tinhso.accounts.api_auth import api_token_create, token_auth
from tinhso.accounts.models import Role, User
from tinhso.accounts.tests import factories as people
from tinhso.core.audit import audit_verify
from tinhso.core.models import AuditEntry
from tinhso.dossiers import services
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, DossierCodeCounter, IdempotencyRecord, Status
from tinhso.dossiers.tests.factories import World, at

pytestmark = pytest.mark.django_db


def bearer(user: User) -> dict[str, str]:
    _token, raw = api_token_create(user=user, name="kiosk", actor=None)
    return {"Authorization": f"Bearer {raw}"}


def body(w: World, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "procedure": w.residence.local_code,
        "channel": "counter",
        "applicant": {"name": "Nguyễn Thị Hằng", "id_number": "008190012345", "phone": "0912345678"},
        "papers": [{"name": "Tờ khai thay đổi thông tin cư trú (CT01)", "kind": "original", "quantity": 1}],
        "receive": True,
    }
    data.update(over)
    return data


def post(client: Client, url: str, data: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json", headers=headers)


def test_a_counter_officers_client_receives_a_dossier_and_a_retry_returns_the_first(
    client: Client, w: World
) -> None:
    auth = bearer(w.counter)
    first = post(client, "/api/dossiers", body(w), headers={**auth, "Idempotency-Key": "quay-1-0001"})
    assert first.status_code == 201, first.content
    created = first.json()
    assert created["status"] == "received" and created["national_status"] == 2
    assert created["form_data"] == {}
    assert (
        created["code"].startswith("000.00.30.H60-")
        and first["Location"] == f"/api/dossiers/{created['code']}"
    )
    assert created["forms"] == ["01", "06"] and "hand_over" in created["actions"]
    # The answer is built from what the reception wrote, not read back: it must be what a read gives.
    assert created == client.get(f"/api/dossiers/{created['code']}", headers=auth).json()
    assert [e["action"] for e in created["events"]] == ["submit", "receive"] and len(created["steps"]) > 1
    again = post(client, "/api/dossiers", body(w), headers={**auth, "Idempotency-Key": "quay-1-0001"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == created["code"]
    assert Dossier.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    # The same key with another request is a client error, not a second dossier.
    other = post(
        client,
        "/api/dossiers",
        body(w, applicant={"name": "Người khác"}),
        headers={**auth, "Idempotency-Key": "quay-1-0001"},
    )
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["detail"]
    assert Dossier.objects.count() == 1
    # The retries above were creations undone (the API does not look the key up first): their numbers
    # were given back.
    assert DossierCodeCounter.objects.get().last == 1
    # A retry gets the first dossier even when a creation would be refused now (the refusal is what sends
    # it to the record).
    assert DossierCodeCounter.objects.update(last=9999) == 1
    late = post(client, "/api/dossiers", body(w), headers={**auth, "Idempotency-Key": "quay-1-0001"})
    assert late.status_code == 200 and late["Idempotent-Replayed"] == "true"
    assert late.json()["code"] == created["code"]
    refused = post(client, "/api/dossiers", body(w), headers={**auth, "Idempotency-Key": "quay-1-0002"})
    assert refused.status_code == 400 and "9.999" in refused.json()["detail"]
    assert Dossier.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_a_fee_request_refused_during_reception_is_a_clear_client_error_and_nothing_is_kept(
    client: Client, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinhso.payments.services import PaymentError

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PaymentError("Số tiền vượt quá giới hạn của VietQR. / The amount is too large.")

    monkeypatch.setattr(tr.fees, "fee_request", refused)
    answer = post(client, "/api/dossiers", body(w), headers={**bearer(w.counter), "Idempotency-Key": "q-9"})
    assert answer.status_code == 400 and "VietQR" in answer.json()["detail"]
    assert not Dossier.objects.exists() and not IdempotencyRecord.objects.exists()
    assert not DossierCodeCounter.objects.filter(last__gt=0).exists()


def test_without_credentials_the_api_refuses_and_a_session_needs_its_csrf_token(w: World) -> None:
    assert post(Client(), "/api/dossiers", body(w)).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(w.counter)
    assert post(strict, "/api/dossiers", body(w)).status_code in (401, 403)
    assert Dossier.objects.count() == 0


def test_the_national_portal_adapters_submission_answers_what_a_read_gives_and_reads_its_binding_once(
    client: Client, w: World
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    auth = bearer(w.counter)
    data = body(w, channel="national_portal", receive=False)
    with CaptureQueriesContext(connection) as queries:
        first = post(client, "/api/dossiers", data, headers={**auth, "Idempotency-Key": "dvcqg-0001"})
    assert first.status_code == 201, first.content
    # Read now: the next request empties the connection's log.
    bindings = [q for q in queries.captured_queries if "procedurebinding" in q["sql"].split("WHERE")[0]]
    assert len(bindings) == 1  # the API's read, used by the submission as it is
    created = first.json()
    assert (created["status"], created["national_status"], created["channel"]) == (
        "submitted",
        1,
        "national_portal",
    )
    assert [e["action"] for e in created["events"]] == ["submit"] and created["steps"] == []
    assert [p["name"] for p in created["papers"]] == ["Tờ khai thay đổi thông tin cư trú (CT01)"]
    # The answer is built from what the submission wrote, not read back: it must be what a read gives.
    assert created == client.get(f"/api/dossiers/{created['code']}", headers=auth).json()
    again = post(client, "/api/dossiers", data, headers={**auth, "Idempotency-Key": "dvcqg-0001"})
    assert again.status_code == 200 and again.json()["code"] == created["code"]
    assert Dossier.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_bad_input_gets_a_clear_error_and_creates_nothing(client: Client, w: World) -> None:
    auth = bearer(w.counter)
    bad_json = client.post("/api/dossiers", data="{not json", content_type="application/json", headers=auth)
    assert bad_json.status_code == 400
    assert bad_json.json()["detail"] == (
        "Nội dung yêu cầu không đọc được (JSON không hợp lệ). / Cannot parse request body."
    )
    missing = post(client, "/api/dossiers", {"procedure": w.residence.local_code}, headers=auth)
    assert missing.status_code == 422
    # Each error says what is wrong in both languages, where it is, and of what type (for clients).
    errors = {tuple(e["loc"]): e for e in missing.json()["detail"]}
    assert errors[("body", "body", "applicant")]["msg"] == "Thiếu trường bắt buộc. / Field required."
    assert errors[("body", "body", "applicant")]["type"] == "missing"
    long_name = post(client, "/api/dossiers", body(w, applicant={"name": "A" * 201}), headers=auth)
    (error,) = long_name.json()["detail"]
    assert error["msg"] == "Tối đa 200 ký tự. / At most 200 characters are allowed."
    assert error["ctx"] == {"max_length": 200} and error["loc"][-1] == "name"
    # An e-form beyond 64 KB or 6 levels deep is refused, saying so, before anything is written.
    for form in ({"x": "y" * 70_000}, {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}):
        big = post(client, "/api/dossiers", body(w, form_data=form), headers=auth)
        assert big.status_code == 422 and "Tờ khai điện tử tối đa 64 KB" in big.json()["detail"][0]["msg"]
    assert (
        post(client, "/api/dossiers", body(w, form_data={"a": [{"b": {"c": 1}}]}), headers=auth).status_code
        == 201
    )
    Dossier.objects.all().delete()
    # Without a valid token a machine client's write is refused by the session's CSRF check (ninja tries
    # the session after the token): in both languages, as a GET without one is refused as unauthorised.
    for token in ({}, {"Authorization": "Bearer nope"}):
        no_token = post(Client(enforce_csrf_checks=True), "/api/dossiers", body(w), headers=token)
        assert no_token.status_code == 403
        assert no_token.json()["detail"].startswith("Chưa xác thực: thiếu hoặc sai mã truy cập")
    unread = Client(enforce_csrf_checks=True).get("/api/dossiers")
    assert unread.status_code == 401
    assert unread.json()["detail"] == "Chưa xác thực: thiếu hoặc sai mã truy cập. / Unauthorized."
    unknown = post(client, "/api/dossiers", body(w, procedure="9.999999.000.00.30.H60"), headers=auth)
    assert unknown.status_code == 404
    bad_id = post(
        client, "/api/dossiers", body(w, applicant={"name": "A", "id_number": "12345"}), headers=auth
    )
    assert bad_id.status_code == 400 and "định danh" in bad_id.json()["detail"]
    assert Dossier.objects.count() == 0


def test_a_transition_on_a_stale_revision_is_409_and_a_wrong_role_403(client: Client, w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    counter, specialist = bearer(w.counter), bearer(w.specialist)
    url = f"/api/dossiers/{d.code}/actions"
    ok = post(
        client, f"{url}/hand_over", {"to": w.head.username, "expected_revision": d.revision}, headers=counter
    )
    assert ok.status_code == 200 and ok.json()["holder"] == w.head.full_name
    stale = post(
        client,
        f"{url}/request_supplement",
        {"items": [{"paper": "CT01", "reason": "Thiếu chữ ký"}], "expected_revision": d.revision},
        headers=counter,
    )
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.json()["detail"]
    forbidden = post(client, f"{url}/approve", {}, headers=specialist)
    assert forbidden.status_code == 403 and "Lãnh đạo cơ quan" in forbidden.json()["detail"]
    wrong_state = post(client, f"{url}/return_result", {}, headers=counter)
    assert wrong_state.status_code == 409 and "Đang xử lý" in wrong_state.json()["detail"]
    wrong_role = post(client, f"{url}/assign", {"assignee": w.specialist.username}, headers=specialist)
    assert wrong_role.status_code == 403
    assert post(client, f"{url}/fly", {}, headers=counter).status_code == 404


def test_officials_of_another_unit_and_other_citizens_see_no_such_dossier(client: Client, w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    assert client.get(f"/api/dossiers/{d.code}", headers=bearer(w.other_counter)).status_code == 404
    assert client.get(f"/api/dossiers/{d.code}", headers=bearer(w.citizen)).status_code == 404
    assert client.get("/api/dossiers/000.00.30.H60-260302-9999", headers=bearer(w.counter)).status_code == 404
    assert client.get(f"/api/dossiers/{d.code}", headers=bearer(w.counter)).status_code == 200


def test_a_citizen_submits_online_and_follows_only_their_own(client: Client, w: World) -> None:
    client.force_login(w.citizen)
    created = post(
        client,
        "/api/dossiers",
        body(w, channel="online", receive=False, applicant={"name": w.citizen.full_name}),
    )
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert created.json()["status"] == "submitted" and created.json()["actions"] == ["withdraw"]
    mine = client.get("/api/dossiers").json()
    assert [i["code"] for i in mine["items"]] == [code]
    counter_only = post(client, f"/api/dossiers/{code}/actions/receive", {})
    assert counter_only.status_code == 403


def test_the_applicant_gets_the_forms_handed_to_them_but_not_the_control_sheet(
    client: Client, w: World
) -> None:
    mine = tr.Applicant(name=w.citizen.full_name, user=w.citizen)
    d = tr.submit(
        binding=w.residence, channel="online", applicant=mine, actor=w.citizen, at=at("2026-03-02 08:00")
    )
    d = tr.receive(d, actor=w.counter, at=at("2026-03-02 09:00"))
    client.force_login(w.citizen)
    assert client.get(f"/api/dossiers/{d.code}").json()["forms"] == ["01"]
    assert client.get(f"/api/dossiers/{d.code}/forms/01.pdf").status_code == 200
    assert client.get(f"/api/dossiers/{d.code}/forms/06.pdf").status_code == 404
    official = client.get(f"/api/dossiers/{d.code}", headers=bearer(w.counter)).json()
    assert official["forms"] == ["01", "06"]
    assert client.get(f"/api/dossiers/{d.code}/forms/06.pdf", headers=bearer(w.counter)).status_code == 200


def test_worklists_count_what_each_role_has_to_do(client: Client, w: World) -> None:
    w.submit(when="2026-03-02 09:00")
    d = w.received(when="2026-03-02 09:00")
    counter = bearer(w.counter)
    new = client.get("/api/dossiers", {"list": "new"}, headers=counter).json()
    assert new["counts"]["new"] == 1 and len(new["items"]) == 1 and new["items"][0]["status"] == "submitted"
    mine = client.get("/api/dossiers", {"list": "mine"}, headers=counter).json()
    assert [i["code"] for i in mine["items"]] == [d.code]
    # Received in March 2026, due 11 March: overdue now.
    assert mine["counts"]["overdue"] == 1
    assert client.get("/api/dossiers", {"list": "nonsense"}, headers=counter).status_code == 422


def test_the_receipt_pdf_has_the_code_and_the_due_date(client: Client, w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    response = client.get(f"/api/dossiers/{d.code}/forms/01.pdf", headers=bearer(w.counter))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squashed = " ".join(text.split())
    assert d.code in squashed
    assert "trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 11 tháng 3 năm 2026" in squashed, squashed
    assert "Nguyễn Thị Hằng" in squashed
    assert client.get(f"/api/dossiers/{d.code}/forms/03.pdf", headers=bearer(w.counter)).status_code == 404


def test_the_whole_path_through_the_api(client: Client, w: World) -> None:
    counter, head, specialist, leader = (bearer(u) for u in (w.counter, w.head, w.specialist, w.leader))
    code = post(client, "/api/dossiers", body(w), headers=counter).json()["code"]
    url = f"/api/dossiers/{code}/actions"
    assert post(client, f"{url}/hand_over", {"to": w.head.username}, headers=counter).status_code == 200
    assert post(client, f"{url}/assign", {"assignee": w.specialist.username}, headers=head).status_code == 200
    assert post(client, f"{url}/hand_over", {"to": w.leader.username}, headers=specialist).status_code == 200
    approved = post(client, f"{url}/approve", {"note": "Đã đăng ký"}, headers=leader)
    assert approved.status_code == 200 and approved.json()["national_status"] == 9
    returned = post(client, f"{url}/return_result", {"method": "counter"}, headers=counter)
    assert returned.status_code == 200 and returned.json()["status"] == Status.RETURNED
    sheet = client.get(f"/api/dossiers/{code}/forms/06.pdf", headers=counter)
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.content)).pages).split())
    assert "Đúng hạn" in text or "Trước hạn" in text


def test_an_official_account_with_no_role_sees_no_dossier(client: Client, w: World, settings: Any) -> None:
    # The counter's rating kiosk runs on such an account: its screen faces the public.
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False
    d = w.received(when="2026-03-02 09:00")
    kiosk = people.official(roles=())
    answer = client.get("/api/dossiers", {"list": "overdue"}, headers=bearer(kiosk)).json()
    assert answer["items"] == [] and set(answer["counts"].values()) == {0}
    assert client.get(f"/api/dossiers/{d.code}", headers=bearer(kiosk)).status_code == 404
    client.force_login(kiosk)
    assert client.get("/backoffice/").status_code == 403
    assert client.get(f"/api/dossiers/{d.code}", headers=bearer(w.counter)).status_code == 200


def test_a_reception_chains_its_audit_entries_as_the_last_write_under_one_lock_of_the_chain_head(
    client: Client, w: World
) -> None:
    # Every audited transaction of the province queues on the chain head until it commits: the reception
    # takes it once, after everything else it writes (its idempotency record included).
    auth = bearer(w.counter)
    with CaptureQueriesContext(connection) as queries:
        answer = post(client, "/api/dossiers", body(w), headers={**auth, "Idempotency-Key": "quay-1-0002"})
    assert answer.status_code == 201, answer.content
    statements = [q["sql"] for q in queries.captured_queries]
    at_head = [i for i, sql in enumerate(statements) if "core_auditchainhead" in sql]
    assert len(at_head) == 2  # read (locked) once, updated once
    after = [sql for sql in statements[at_head[0] :] if not sql.startswith(("RELEASE", "COMMIT"))]
    assert all("core_audit" in sql for sql in after), after
    code = answer.json()["code"]
    entries = list(AuditEntry.objects.order_by("-seq").values_list("event", "target_id")[:3])
    assert [event for event, _ in reversed(entries)] == [
        "payment_request.created",  # the reception fee's request (20.000 đồng at the counter)
        "dossier.submit",
        "dossier.receive",
    ]
    assert entries[0][1] == code and audit_verify().ok


def test_a_bearer_token_brings_its_users_roles_in_the_same_query(reference_data: Any) -> None:
    officer = people.official(roles=(Role.COUNTER_OFFICER, Role.SPECIALIST))
    kiosk = people.official(roles=())
    for user, roles in [(officer, {Role.COUNTER_OFFICER, Role.SPECIALIST}), (kiosk, set())]:
        _token, raw = api_token_create(user=user, name="kiosk", actor=None)
        token_auth.authenticate(RequestFactory().get("/"), raw)  # the first use records the time
        with CaptureQueriesContext(connection) as queries:
            found = token_auth.authenticate(RequestFactory().get("/"), raw)
            assert found is not None and found == user and found.roles == roles
        assert len(queries.captured_queries) == 1


def test_the_token_user_is_the_user_the_orm_reads_field_by_field(reference_data: Any) -> None:
    """The token's statement is written out (`accounts.user_reader`): every field of the user and of their
    agency must come back as the ORM gives it, converted (dates, booleans, JSON) on either database."""
    officer = people.official(roles=(Role.COUNTER_OFFICER,))
    _token, raw = api_token_create(user=officer, name="kiosk", actor=None)
    found = token_auth.authenticate(RequestFactory().get("/"), raw)
    expected = User.objects.select_related("agency").get(pk=officer.pk)
    assert found is not None and expected.agency is not None
    for field in User._meta.concrete_fields:
        got, want = getattr(found, field.attname), getattr(expected, field.attname)
        assert got == want and type(got) is type(want), field.name
    assert found.agency is not None
    for field in expected.agency._meta.concrete_fields:
        got, want = getattr(found.agency, field.attname), getattr(expected.agency, field.attname)
        assert got == want and type(got) is type(want), field.name
    assert found._state.adding is False and found._state.db == expected._state.db
    # An unknown token, a revoked one and an inactive user are refused.
    assert token_auth.authenticate(RequestFactory().get("/"), raw + "x") is None
    revoked, revoked_raw = api_token_create(user=officer, name="old kiosk", actor=None)
    assert token_auth.authenticate(RequestFactory().get("/"), revoked_raw) is not None
    revoked.revoked_at = timezone.now()
    revoked.save()
    assert token_auth.authenticate(RequestFactory().get("/"), revoked_raw) is None
    officer.is_active = False
    officer.save()
    assert token_auth.authenticate(RequestFactory().get("/"), raw) is None


def test_the_consulted_agency_lists_and_answers_its_consultations_over_the_api(
    client: Client, w: World
) -> None:
    from tinhso.dossiers.tests.test_transitions import in_appraisal

    d = in_appraisal(w)
    d.form_data = {"Nơi ở cũ": "Tổ 5, phường Hà Giang 1"}
    d.save(update_fields=["form_data"])
    c = tr.consult(
        d,
        actor=w.specialist,
        agency=w.other_ward,
        question="Xác minh nơi ở cũ",
        days=2,
        at=at("2026-03-03 09:00"),
    )
    theirs = bearer(w.other_counter)
    listed = client.get("/api/consultations", headers=theirs).json()
    assert (listed["count"], listed["state"]) == (1, "open")
    (item,) = listed["items"]
    assert (item["id"], item["dossier_code"], item["asking_agency"]["code"]) == (c.pk, d.code, w.ward.code)
    assert item["punctuality"] == "overdue"  # due 5/3/2026, long past
    assert client.get("/api/consultations", headers=bearer(w.specialist)).json()["count"] == 0
    assert client.get("/api/consultations?state=nope", headers=theirs).status_code == 400
    # The consultation with the dossier's papers while it is open: each file opened is audited.
    detail = client.get(f"/api/consultations/{c.pk}", headers=theirs).json()
    assert (detail["papers_shared"], detail["applicant_name"]) == (True, "Nguyễn Thị Hằng")
    assert detail["form_data"] == {"Nơi ở cũ": "Tổ 5, phường Hà Giang 1"}
    assert [p["name"] for p in detail["papers"]] == [p.name for p in d.papers.all()]
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (230, 230, 220)).save(photo, "JPEG")
    f = services.paper_file_add(
        paper=d.papers.get(), upload=photo.getvalue(), name="cccd.jpg", actor=w.specialist
    )
    (listed_file,) = client.get(f"/api/consultations/{c.pk}", headers=theirs).json()["papers"][0]["files"]
    assert listed_file["url"] == f"/api/consultations/{c.pk}/files/{f.pk}/rendition"
    pdf = client.get(listed_file["url"], headers=theirs)
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    viewed = AuditEntry.objects.get(event="dossier.consultation_paper_viewed")
    assert (viewed.target_id, viewed.new["file"], viewed.new["kind"]) == (d.code, f.pk, "rendition")  # type: ignore[index]
    for outsider in (bearer(w.specialist), bearer(w.counter)):  # the asking agency's: its own dossier API
        assert client.get(f"/api/consultations/{c.pk}", headers=outsider).status_code == 404
        assert client.get(listed_file["url"], headers=outsider).status_code == 404
    url = f"/api/consultations/{c.pk}/answer"
    assert (
        client.post(
            url, {"answer": "x"}, content_type="application/json", headers=bearer(w.specialist)
        ).status_code
        == 404
    )
    res = client.post(url, {"answer": "Đúng nơi ở cũ"}, content_type="application/json", headers=theirs)
    assert res.status_code == 200 and res.json()["answer"] == "Đúng nơi ở cũ"
    assert res.json()["punctuality"] == "late"
    again = client.post(url, {"answer": "Lần hai"}, content_type="application/json", headers=theirs)
    assert again.status_code == 409
    answered = client.get("/api/consultations?state=answered", headers=theirs).json()
    assert [i["id"] for i in answered["items"]] == [c.pk]
    closed = client.get(f"/api/consultations/{c.pk}", headers=theirs).json()
    assert (closed["papers_shared"], closed["applicant_name"], closed["papers"]) == (False, "", [])
    assert closed["form_data"] == {}
    assert closed["answer"] == "Đúng nơi ở cũ"
    assert client.get(listed_file["url"], headers=theirs).status_code == 404
    assert AuditEntry.objects.filter(event="dossier.consultation_paper_viewed").count() == 1


def test_a_search_finds_by_code_id_number_or_name_among_what_the_user_may_see(
    client: Client, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinhso.dossiers import selectors

    d = w.received(when="2026-03-02 09:00")
    done = tr.withdraw(w.submit(when="2026-03-03 10:00"), actor=w.counter, reason="Người dân xin rút")
    counter = bearer(w.counter)

    def codes(query: str, auth: dict[str, str], **more: str) -> list[str]:
        answer = client.get("/api/dossiers", {"q": query, **more}, headers=auth)
        assert answer.status_code == 200, answer.content
        assert answer.json()["list"] == "search"
        return [i["code"] for i in answer.json()["items"]]

    # Newest first, in any state (a withdrawn dossier is in no worklist, but is found).
    assert codes("008190012345", counter) == [done.code, d.code]
    assert codes(d.code[:-2].lower(), counter) == [d.code]  # the start of a code, case aside
    assert codes("nguyen thi HANG", counter) == [done.code, d.code]
    assert codes("ang", counter) == [] and codes("Hă", counter) == []  # no word start; too short for a name
    short = client.get("/api/dossiers", {"q": "Hă"}, headers=counter).json()
    assert (short["refused"], short["more"]) == (True, False)
    assert client.get("/api/dossiers", {"q": "ang"}, headers=counter).json()["refused"] is False
    # Another ward's officer and a citizen who did not apply find nothing, not even by the code.
    assert codes(d.code, bearer(w.other_counter)) == []
    assert codes("008190012345", bearer(w.citizen)) == []
    # More matches than a search lists: the newest, and "more" says so.
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 1)
    capped = client.get("/api/dossiers", {"q": "hang"}, headers=counter).json()
    assert [i["code"] for i in capped["items"]] == [done.code] and capped["count"] == 1 and capped["more"]
    monkeypatch.undo()
    assert client.get("/api/dossiers", {"q": "hang"}, headers=counter).json()["more"] is False
    # Digits: an ID number with spaces typed in it; a code's start only from the unit's identifier on (a "0"
    # would list every dossier of the units).
    assert codes("008 190 012 345", counter) == [done.code, d.code]
    assert codes("000.00.30.H6", counter) == [] and codes("000.00.30.H60", counter) == [done.code, d.code]
    # A query longer than a search takes is refused with a clear status, not cut silently.
    assert client.get("/api/dossiers", {"q": "x" * 101}, headers=counter).status_code == 422
    assert client.get("/api/dossiers", {"q": "a\x00b"}, headers=counter).json()["items"] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's words index")
def test_the_words_index_condition_loses_no_name_the_like_conditions_find(w: World) -> None:
    from tinhso.core.text import fold_name
    from tinhso.dossiers.models import applicant_named

    names = [
        "H.Mông A Páo",
        "nguyen_van Tèo",
        "Công ty ABC123 Xanh",
        "Hợp tác xã ab.cd_1.2 Lũng Cú",
        "Lò Thị ½ Hoa",
        "1.2.3ab Vừ Mí",
        "Ma Seo Chứ",
    ]
    for name in names:
        d = w.submit(when="2026-03-02 09:00")
        Dossier.objects.filter(pk=d.pk).update(applicant_name=name, applicant_name_folded=fold_name(name))
    queries = [
        "mong",
        "h.mong",
        "pao",
        "nguyen",
        "van",
        "teo",
        "abc",
        "abc123",
        "xanh",
        "ab",
        "cd",
        "lung cu",
    ]
    queries += ["hoa", "thi hoa", "lo", "mi", "vu", "ma seo", "chu", "cong ty", "xa", "ab.cd"]
    found: dict[str, int] = {}
    for query in queries:
        plain, indexed = (applicant_named(query, by_words_index=flag) for flag in (False, True))
        assert plain is not None and indexed is not None
        like = set(Dossier.objects.filter(plain).values_list("pk", flat=True))
        assert like == set(Dossier.objects.filter(indexed).values_list("pk", flat=True)), query
        found[query] = len(like)
    # The LIKE rule itself: a word is a run of word characters (the underscore one) and dots, so "mong"
    # starts no word of "h.mong", "van" none of "nguyen_van" and "cd" none of "ab.cd_1.2".
    assert [q for q in queries if not found[q]] == ["mong", "van", "cd"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_the_search_indexes_are_built_and_valid_on_postgresql() -> None:
    # Which one a search reads depends on a million rows' statistics: `bench/search.py` prints the plans
    # on them and checks that none reads the dossiers' table whole.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('dossier_applicant_id', "
            "'dossier_agency_name', 'dossier_newest_name', 'dossier_name_words') ORDER BY 1"
        )
        built = {
            name: (valid, definition.split(" USING ")[1]) for name, valid, definition in cursor.fetchall()
        }
    assert built == {
        "dossier_agency_name": (True, "btree (agency_id, applicant_name_folded) INCLUDE (submitted_at, id)"),
        "dossier_applicant_id": (True, "btree (applicant_id_number)"),
        "dossier_name_words": (True, "gin (to_tsvector('simple'::regconfig, (applicant_name_folded)::text))"),
        "dossier_newest_name": (True, "btree (submitted_at, id) INCLUDE (agency_id, applicant_name_folded)"),
    }


def test_a_search_reads_the_token_the_keys_and_the_rows(
    client: Client, w: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        w.received(when="2026-03-02 09:00")
    auth = bearer(w.counter)
    client.get("/api/dossiers", {"q": "hang"}, headers=auth)  # warm: the token's user kept per process
    with django_assert_max_num_queries(4):  # the token (and its user), the keys, the rows
        found = client.get("/api/dossiers", {"q": "nguyen thi hang"}, headers=auth)
    assert len(found.json()["items"]) == 3


def test_a_counters_client_looks_an_applicant_up_by_id_number(
    client: Client, w: World, settings: Any
) -> None:
    from tinhso.core.models import AuditEntry

    counter = bearer(w.counter)

    def lookup(id_number: str, auth: dict[str, str]) -> Any:
        return post(client, "/api/applicants/lookup", {"id_number": id_number}, headers=auth)

    assert lookup("008190012345", counter).status_code == 404  # nobody yet
    bad = lookup("12", counter)
    assert bad.status_code == 422 and bad.json()["detail"].endswith(
        "/ Not a valid personal ID number (12 digits)."
    )
    w.received(when="2026-03-02 09:00")
    found = lookup(" 008190012345 ", counter)  # spaces around it aside
    assert found.status_code == 200, found.content
    assert found.json() == {
        "id_number": "008190012345",
        "name": "Nguyễn Thị Hằng",
        "phone": "0912345678",
        "email": "hang@example.vn",
        "address": "",
        "source": "dossier",
        "dossier_code": Dossier.objects.get().code,
    }
    # Another unit's counter does not read this unit's dossier; a specialist does not look up at all.
    assert lookup("008190012345", bearer(w.other_counter)).status_code == 404
    refused = lookup("008190012345", bearer(w.specialist))
    assert refused.status_code == 403 and "Chỉ cán bộ một cửa" in refused.json()["detail"]
    looked = AuditEntry.objects.filter(event="dossier.applicant_looked_up").order_by("seq")
    assert [(e.actor_id, e.target_id, (e.new or {}).get("found")) for e in looked] == [
        (w.counter.pk, "008190012345", ""),
        (w.counter.pk, "008190012345", "dossier"),
        (w.other_counter.pk, "008190012345", ""),
    ]
    # Counted per official, valid numbers or not: beyond the hour's limit, 429 with when to come back.
    settings.APPLICANT_LOOKUPS_PER_USER = (4, 3600)  # the counter has used 3
    assert lookup("008190012345", counter).status_code == 200
    used_up = lookup("008190012345", counter)
    assert used_up.status_code == 429 and int(used_up["Retry-After"]) > 0
    assert used_up.json()["detail"].startswith("Đã tra quá nhiều người nộp")
    assert (
        AuditEntry.objects.filter(event="dossier.applicant_looked_up").count() == 4
    )  # the refused one read nothing
