"""User-facing error types: each carries a message that says what went wrong and what to do."""


class PkiError(Exception):
    """A known, user-facing failure. Its message is shown as it is; it never holds secrets."""


class ValidationError(PkiError):
    """An input (subject, algorithm, validity, file) is not acceptable."""


class PassphraseError(PkiError):
    """A passphrase is wrong, too weak, or the two entries differ."""


class WorkspaceError(PkiError):
    """The workspace folder or its database cannot be used."""


class SchemaTooNewError(WorkspaceError):
    """The database was written by a newer pkiadmin."""


class StorageError(PkiError):
    """Writing a file failed (full disk, read-only folder, a file that already exists)."""


class NotFoundError(PkiError):
    """The requested certificate, CA or entry does not exist."""


class CheckFailedError(PkiError):
    """A pre-sign or post-sign check failed; nothing was signed or stored."""
