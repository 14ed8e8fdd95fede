"""Erasing a contact's personal data on request (GDPR art. 17), everywhere riskseg keeps it.

A contact's name and e-mail address live in ``contacts`` and, when a row of theirs was
rejected at import, in the quarantine's copy of the source row. Erasure clears both: the
contact row stays with its role and seniority (they feed the loyalty signals, and say nothing
about who the person is), and a quarantined row keeps its file, line, column and reason, so
the import's counts still reconcile, with the copied row itself removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskseg.errors import InputError
from riskseg.store.store import Store

#: quarantined tables whose rows can carry a contact's personal data
_PERSONAL_TABLES = ("contacts", "surveys")
ERASED_NOTE = " [row erased on request: personal data]"


@dataclass(frozen=True)
class Erasure:
    contact_id: str
    customer_id: str | None
    #: contact rows whose name and e-mail were cleared
    contacts: int
    #: quarantined source rows whose copy was removed
    quarantined: int


def erase_contact(store: Store, contact_id: str) -> Erasure:
    """Clear a contact's name and e-mail and every quarantined copy of their rows.

    Raises :class:`~riskseg.errors.InputError` when the id is found nowhere.

    Examples
    --------
    >>> import riskseg, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "customers.csv").write_text("customer_id,name\\nC1,Acme\\n")
    >>> _ = (d / "contacts.csv").write_text(  # K2's customer is unknown: quarantined
    ...     "contact_id,customer_id,name,email\\n"
    ...     "K1,C1,Ann Lee,ann@example.com\\nK2,C9,Bo Chen,bo@example.com\\n")
    >>> with riskseg.Store(":memory:") as store:
    ...     _ = riskseg.import_path(store, d)
    ...     erase_contact(store, "K1").contacts, erase_contact(store, "K2").quarantined
    ...     store.con.execute("SELECT name, email FROM contacts").fetchall()
    ...     [row["record"] for row in store.quarantine("contacts")]
    (1, 1)
    [(None, None)]
    [None]
    """
    found = store.con.execute(
        "SELECT customer_id FROM contacts WHERE contact_id = ?", [contact_id]
    ).fetchall()
    tables = ", ".join(f"'{t}'" for t in _PERSONAL_TABLES)
    matches = (
        f"table_name IN ({tables}) AND record IS NOT NULL "
        "AND list_contains(json_extract_string(record, '$.*'), ?)"
    )
    copies = int(
        store.con.execute(
            f"SELECT count(*) FROM quarantine WHERE {matches}", [contact_id]
        ).fetchall()[0][0]
    )
    if not found and not copies:
        raise InputError(f"no contact {contact_id!r} in contacts or in the quarantine")
    with store.transaction() as con:
        con.execute(
            "UPDATE contacts SET name = NULL, email = NULL WHERE contact_id = ?", [contact_id]
        )
        # the value is cleared too: a rejected e-mail address is itself the personal data
        con.execute(
            f"UPDATE quarantine SET record = NULL, value = NULL, reason = reason || ? "
            f"WHERE {matches}",
            [ERASED_NOTE, contact_id],
        )
    return Erasure(contact_id, str(found[0][0]) if found else None, len(found), copies)
