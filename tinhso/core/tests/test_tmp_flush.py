import pytest
from tinhso.core.models import AuditEntry

@pytest.mark.django_db(transaction=True)
def test_plain_transactional():
    assert AuditEntry.objects.count() >= 0

from tinhso.core.audit import audit_record, audit_verify, audit_guard_installed

@pytest.mark.django_db(transaction=True)
def test_plain_transactional_2():
    assert audit_guard_installed()
    audit_record(event="x.y", target_type="t", target_id=1)
    assert audit_verify().ok

def test_with_fixture(transactional_db):
    assert audit_guard_installed()
    audit_record(event="x.y", target_type="t", target_id=1)
    assert audit_verify().ok

@pytest.mark.django_db
def test_plain_db():
    assert audit_guard_installed()
