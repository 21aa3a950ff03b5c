"""The one base of the refusals a person gets back: a rule, a permission, a bad file, a conflict.

`message` is for the person who tried (Vietnamese, often with its English after " / "); `status_code` is
the HTTP status a page or the API answers with. Each app refines it (`dossiers.transitions.DossierError`,
`edocs.services.EDocError`, `core.files.UploadRejected`), and a caller that shows them all the same way
catches `Refusal` once.
"""

from __future__ import annotations


class Refusal(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
