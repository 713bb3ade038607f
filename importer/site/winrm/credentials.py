"""Where the WinRM password comes from: never a command-line flag.

Order: CMASSOC_USERNAME / CMASSOC_PASSWORD, then the OS keyring (if the optional
`keyring` package is installed; service "cmassoc", the user name as key), then a
prompt when a person is at the terminal.
"""

from __future__ import annotations

import getpass

from importer import messages as M
from importer.environment import PASSWORD, USERNAME, Environment
from importer.errors import InputError

SERVICE = "cmassoc"


def _from_keyring(username: str) -> str | None:
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        value = keyring.get_password(SERVICE, username)
    except Exception:  # a locked or absent backend is not our error
        return None
    return value if isinstance(value, str) else None


def resolve_credentials(
    auth: str, username: str | None, env: Environment, interactive: bool | None = None
) -> tuple[str | None, str | None]:
    """(username, password) for the chosen auth. Kerberos never takes a password: pywinrm asks
    GSSAPI for a ticket of the principal (or of the logon session when no user is given)."""
    username = username or env.username
    if auth == "kerberos":
        return username, None
    password = env.password
    if username is None:
        raise InputError(
            f"--auth {auth} needs a user name.",
            f"Give --username DOMAIN\\user or set {USERNAME}.",
            code=M.USERNAME_NEEDED,
        )
    if password is None:
        password = _from_keyring(username)
    if password is None:
        if interactive is None:
            interactive = env.stdin_isatty
        if not interactive:
            raise InputError(
                f"no password for {username}.",
                f"Set {PASSWORD}, store it with `keyring set {SERVICE} {username}`, "
                "or run in a terminal to be asked.",
                code=M.NO_PASSWORD,
            )
        password = getpass.getpass(f"Password for {username}: ")
    return username, password
