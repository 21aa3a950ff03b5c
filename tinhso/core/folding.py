"""Diacritics-insensitive name search shared by every app's models (the folded copy lives beside the name)."""

from __future__ import annotations

from django.db import models

from tinhso.core.text import fold


def words_start_words(field: str, words: list[str]) -> models.Q:
    """Every one of these folded words starts a word of the folded `field` (its words one space apart)."""
    condition = models.Q()
    for word in words:
        condition &= models.Q(**{f"{field}__startswith": word}) | models.Q(
            **{f"{field}__contains": f" {word}"}
        )
    return condition


class FoldedNameQuerySet(models.QuerySet):
    def search(self, query: str):
        """Every folded word of the query must start a word of the folded name (diacritics-insensitive):
        "ha giang" finds "Hà Giang" but not "Xuân Giang" through the "ha" inside "nhân"."""
        return self.filter(words_start_words("name_folded", fold(query).split()))


class FoldedNameMixin(models.Model):
    """Keeps `name_folded` (the search copy of `name`) in step with `name` on every save.

    This is derived data, not domain logic; bulk loaders set it themselves.
    """

    name: str
    name_folded: str

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_folded"}
        super().save(*args, **kwargs)
