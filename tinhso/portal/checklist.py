"""The e-form's checklist of papers (*thành phần hồ sơ*), built from the required papers of the procedure
version in force, and the fees and time of its online channel.

The national catalog does not say which papers are mandatory: its "papers" mix the papers themselves, papers
needed only in some cases ("Trường hợp …", "… trong trường hợp ủy quyền"), alternatives for different cases
(Đăng ký thường trú lists one set per kind of residence), and notes ("Lưu ý", quantity 0). So the portal:

- gives a file input to every paper with a quantity (a note, quantity 0, is shown as guidance only);
- marks as **required** only a paper of the catalog's "Giấy tờ phải nộp" group whose first sentence names no
  condition ("trường hợp", "nếu", "đối với", "ví dụ"): Giấy chứng sinh for a birth, Giấy báo tử for a death
  **[derived]**; every other paper is optional;
- asks for at least one file in all when the procedure lists any paper to hand in.

A catalog administrator's "mandatory" flag on `RequiredPaper` should replace this rule when the catalog has
one (tinhso/portal/README.md, "Needs from other apps").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tinhso.core.text import fold
from tinhso.procedures.models import ChannelRule, ProcedureVersion, RequiredPaper

# Folded words that make a paper conditional when they appear in its first sentence.
_CONDITIONS = ("truong hop", "neu ", "doi voi", "vi du")
_MANDATORY_GROUP = "giay to phai nop"
_NOTE_GROUP = "luu y"
_FIRST_SENTENCE = re.compile(r"[.;:]")


@dataclass(frozen=True)
class ChecklistItem:
    paper: RequiredPaper
    uploadable: bool  # the applicant hands it in (quantity ≥ 1); otherwise a note of the catalog
    required: bool

    @property
    def field_name(self) -> str:
        return f"paper-{self.paper.pk}"

    @property
    def short_name(self) -> str:
        """The paper's first sentence ("Giấy chứng sinh"), for summaries."""
        return _FIRST_SENTENCE.split(self.paper.name, maxsplit=1)[0].strip()


@dataclass
class ChecklistGroup:
    name: str
    is_note: bool  # the catalog's "Lưu ý": guidance, shown folded away
    items: list[ChecklistItem] = field(default_factory=list)


def _required(paper: RequiredPaper) -> bool:
    if not fold(paper.group).startswith(_MANDATORY_GROUP):
        return False
    first = fold(_FIRST_SENTENCE.split(paper.name, maxsplit=1)[0]) + " "
    return not any(word in first for word in _CONDITIONS)


def checklist_for(version: ProcedureVersion) -> list[ChecklistGroup]:
    """The version's papers in the catalog's order and groups."""
    groups: list[ChecklistGroup] = []
    for paper in version.papers.all():
        is_note_group = fold(paper.group).startswith(_NOTE_GROUP)
        if not groups or groups[-1].name != paper.group:
            groups.append(ChecklistGroup(name=paper.group, is_note=is_note_group))
        uploadable = not is_note_group and (paper.quantity is None or paper.quantity > 0)
        groups[-1].items.append(
            ChecklistItem(paper=paper, uploadable=uploadable, required=uploadable and _required(paper))
        )
    return groups


def uploadable_items(groups: list[ChecklistGroup]) -> list[ChecklistItem]:
    return [item for g in groups for item in g.items if item.uploadable]


def online_channel_rules(version: ProcedureVersion) -> tuple[list[ChannelRule], bool]:
    """The version's online channel rows (time and fees), with their fees; else its other rows, and False
    (the catalog states no online time or fee: the page says which channel the figures are for)."""
    rules = list(version.channels.prefetch_related("fees").order_by("order"))
    online = [r for r in rules if r.channel == ChannelRule.Channel.ONLINE]
    return (online, True) if online else (rules, False)


def has_online_channel(version: ProcedureVersion) -> bool:
    """Whether the catalog lets this procedure be submitted online: an online level of toàn trình / một
    phần, or an online channel row where the page leaves the level unsaid; never a procedure whose online
    service only provides information (the rule of `procedures.selectors.ProcedureDetail.submits_online`)."""
    if version.online_level in ("full", "partial"):
        return True
    return (
        version.online_level == "unknown"
        and version.channels.filter(channel=ChannelRule.Channel.ONLINE).exists()
    )
