"""Where the WinRM password comes from: never a command-line flag.

Order: CMASSOC_USERNAME / CMASSOC_PASSWORD, then the OS keyring (if the optional
`keyring` package is installed; service "cmassoc", the user name as key), then a
prompt when a person is at the terminal.
"""

from __future__ import annotations

import getpass
import os
import sys

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
    auth: str, username: str | None, interactive: bool | None = None
) -> tuple[str | None, str | None]:
    """(username, password) for the chosen auth; certificate auth needs neither."""
    if auth == "certificate":
        return None, None
    username = username or os.environ.get("CMASSOC_USERNAME") or None
    password = os.environ.get("CMASSOC_PASSWORD") or None
    if username is None:
        if auth == "kerberos":
            return None, None  # the logged-on user's ticket
        raise InputError(
            f"--auth {auth} needs a user name.",
            "Give --username DOMAIN\\user or set CMASSOC_USERNAME.",
        )
    if password is None:
        password = _from_keyring(username)
    if password is None:
        if interactive is None:
            interactive = sys.stdin.isatty()
        if not interactive:
            if auth == "kerberos":
                return username, None
            raise InputError(
                f"no password for {username}.",
                f"Set CMASSOC_PASSWORD, store it with `keyring set {SERVICE} {username}`, "
                "or run in a terminal to be asked.",
            )
        password = getpass.getpass(f"Password for {username}: ")
    return username, password
