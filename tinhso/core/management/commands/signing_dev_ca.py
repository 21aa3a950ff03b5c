"""`manage.py signing_dev_ca`: a development CA and a signing certificate for every agency.

Writes `SIGNING_DIR/dev-ca/{key,cert}.pem` and `SIGNING_DIR/agencies/<code>/{key,cert}.pem` (keys mode 0600).
Idempotent: what exists is kept, never overwritten — in particular an agency directory holding real
credentials (a `signer.p12`, or a certificate from another CA) is left alone and reported. Refused when
`SIGNING_DEV_CA` is off (production loads the national PKI's certificates, see settings.py "Signing").
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import signing

CA_NAME = "Tỉnh Số - CA phát triển (không dùng thật)"


class Command(BaseCommand):
    help = "Create a development CA and a signing certificate per agency (idempotent; never in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--agency", action="append", default=[], help="Only this agency code (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "SIGNING_DEV_CA", False):
            raise CommandError(
                "SIGNING_DEV_CA is off: a development CA has no place here. Production loads the agencies' "
                "certificates from the files named in settings (SIGNING_DIR, SIGNING_AGENCY_CREDENTIALS)."
            )
        key_path, cert_path = signing.dev_ca_paths()
        if key_path.exists() != cert_path.exists():
            raise CommandError(
                f"{key_path.parent} holds only half a CA (key or certificate): fix it by hand."
            )
        if not key_path.exists():
            signing.write_key_pair(signing.create_ca(CA_NAME), key_path, cert_path)
            self.stdout.write(f"Created the development CA in {key_path.parent}")
        ca = signing.dev_ca()
        if ca is None:  # pragma: no cover - just written
            raise CommandError("the development CA cannot be read back")

        # core imports no app (DESIGN.md): the agencies are looked up by label, not imported.
        agency_model = apps.get_model("accounts", "Agency")
        agencies = agency_model.objects.filter(is_active=True).order_by("code")
        if options["agency"]:
            agencies = agencies.filter(code__in=options["agency"])
        created = kept = foreign = 0
        for agency in agencies.only("code", "name"):
            base = signing.agency_dir(agency.code)
            key, cert = base / "key.pem", base / "cert.pem"
            if (base / "signer.p12").exists() or key.exists() or cert.exists():
                if cert.exists() and _issued_by(cert.read_bytes(), ca.cert):
                    kept += 1
                else:
                    foreign += 1
                    self.stdout.write(
                        f"  {agency.code}: credentials not from the development CA, kept as they are"
                    )
                continue
            issued = signing.issue_certificate(
                ca, common_name=agency.name, organization=agency.name, unit=agency.code
            )
            signing.write_key_pair(issued, key, cert)
            created += 1
        self.stdout.write(
            f"Signing certificates: {created} created, {kept} already there, {foreign} from elsewhere kept "
            f"({signing.signing_dir()})."
        )


def _issued_by(cert_pem: bytes, ca: x509.Certificate) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception):
        return False
    return True
