"""Writes the catalog administration needs beyond `services.py`: switching a binding on or off.

A binding is never deleted (dossiers and audit entries refer to its local code); the province stops
applying it instead, and may apply it again later.
"""

from __future__ import annotations

from django.db import transaction

from tinhso.accounts.models import User
from tinhso.core.audit import audit_record
from tinhso.procedures.models import ProcedureBinding


@transaction.atomic
def binding_set_active(*, binding: ProcedureBinding, is_active: bool, actor: User | None) -> bool:
    """Apply (`is_active=True`) or stop applying a binding; returns whether anything changed."""
    binding = ProcedureBinding.objects.select_for_update().select_related("agency").get(pk=binding.pk)
    if binding.is_active == is_active:
        return False
    binding.is_active = is_active
    binding.save(update_fields=["is_active"])
    audit_record(
        event="procedure.binding_activated" if is_active else "procedure.binding_deactivated",
        target_type="procedures.binding",
        target_id=binding.local_code,
        agency_code=binding.agency.code,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        old={"is_active": not is_active},
        new={"is_active": is_active},
    )
    return True
