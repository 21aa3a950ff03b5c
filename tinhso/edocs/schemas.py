import datetime as dt

from ninja import Field, Schema


class ShareLinkIn(Schema):
    # None: EDOC_SHARE_DAYS_DEFAULT. The upper bound is the service's (EDOC_SHARE_DAYS_MAX).
    days: int | None = Field(None, ge=1, le=3650)


class ShareLinkOut(Schema):
    id: int
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool
    access_count: int
    last_accessed_at: dt.datetime | None


class ShareLinkCreatedOut(ShareLinkOut):
    # Shown once: only its hash is stored.
    token: str
    url: str


class EDocOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    issuer_name: str
    issuer_code: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    expired: bool
    revoked_at: dt.datetime | None
    revoked_reason: str
    sha256: str
    original_name: str
    content_type: str
    size: int
    pages: int
    source_dossier_code: str
    created_at: dt.datetime
    download_url: str


class EDocDetailOut(EDocOut):
    share_links: list[ShareLinkOut]


class EDocListOut(Schema):
    items: list[EDocOut]
    count: int
    page: int
    page_size: int
