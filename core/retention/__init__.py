"""Retention: how long each kind of record is kept, the job that removes what is past it,
and the signed monthly archives of the audit log (docs/operations.md, "Retention")."""
