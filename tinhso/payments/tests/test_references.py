from __future__ import annotations

import pytest

from tinhso.payments import references as refs


def test_a_new_reference_is_15_ascii_characters_that_check() -> None:
    seen = {refs.new_reference() for _ in range(500)}
    assert len(seen) == 500
    for r in seen:
        assert len(r) == 15 and r.isascii() and r.isalnum() and r.startswith("TS")
        assert refs.is_valid(r)
        assert not set(r[2:]) & set("ILOU")


def test_every_single_wrong_character_is_caught() -> None:
    r = refs.new_reference()
    for i in range(2, len(r)):
        for c in refs.ALPHABET:
            if c != r[i]:
                assert not refs.is_valid(r[:i] + c + r[i + 1 :]), (r, i, c)


def test_swapping_two_neighbours_is_caught() -> None:
    caught = total = 0
    for _ in range(200):
        r = refs.new_reference()
        for i in range(2, len(r) - 1):
            if r[i] != r[i + 1]:
                total += 1
                caught += not refs.is_valid(r[:i] + r[i + 1] + r[i] + r[i + 2 :])
    assert caught / total > 0.96


@pytest.mark.parametrize(
    "template",
    [
        "{r}",
        "{lower}",
        "MBVCB.3364521.{spaced}.CT tu 0011001932418 NGUYEN THI HANG toi 113366668888",
        "Le phi ho so - {r} - cam on",
        "thanh toan {grouped}",
        "IBFT {dashed}",
        "{r}{r}",  # repeated by the bank: found once
    ],
)
def test_references_are_found_in_mangled_bank_descriptions(template: str) -> None:
    r = refs.new_reference()
    text = template.format(
        r=r,
        lower=r.lower(),
        spaced=" ".join(r),
        grouped=refs.grouped(r),
        dashed="-".join([r[:5], r[5:10], r[10:]]),
    )
    assert refs.find_references(text) == [r]


def test_a_mistyped_reference_is_not_found() -> None:
    r = refs.new_reference()
    wrong = r[:5] + ("0" if r[5] != "0" else "1") + r[6:]
    assert refs.find_references(f"chuyen tien {wrong}") == []
    assert refs.find_references("chuyen tien le phi") == []
