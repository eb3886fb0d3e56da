"""What a MySQL connection failure most likely means, and what to do next (no Beam here).

PyMySQL raises the server's error number (or the client's, 2003 for no answer); the message a
person needs depends on it: a refused password is not a stopped server.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

ACCESS_DENIED = 1045
DATABASE_ACCESS_DENIED = 1044
UNKNOWN_DATABASE = 1049
TABLE_ACCESS_DENIED = 1142
NEEDS_PRIVILEGE = 1227
CANNOT_CONNECT = 2003
UNKNOWN_HOST = 2005
LOST_CONNECTION = 2013

_NEXT_STEP = {
    ACCESS_DENIED: "the server refused this user and password: check the user in MYSQL_URL / --mysql-url and the "
                   "password (in the URL, MYSQL_PASSWORD, MYSQL_PASSWORD_FILE or --mysql-password-secret)",
    DATABASE_ACCESS_DENIED: "the user may not use this database: GRANT SELECT ON the database to it (the grants "
                            "each command needs are in deploy/mysql-grants.sql)",
    TABLE_ACCESS_DENIED: "the user may not read or change that table: give it the command's grants "
                         "(deploy/mysql-grants.sql)",
    NEEDS_PRIVILEGE: "the user lacks a server privilege the command needs: give it the command's grants "
                     "(deploy/mysql-grants.sql)",
    UNKNOWN_DATABASE: "the database does not exist on that server: fix the database name in MYSQL_URL, or create "
                      "it (`algoitny-etl seed` creates sample data)",
    CANNOT_CONNECT: "no MySQL server answers at that host and port: start it, or fix the host and port in "
                    "MYSQL_URL / --mysql-url (`make local-up` starts the rehearsal's MariaDB on 127.0.0.1:3307)",
    UNKNOWN_HOST: "the host name in MYSQL_URL / --mysql-url does not resolve: fix it",
    LOST_CONNECTION: "the server closed the connection while it opened: is it the right port, and is it up?",
}


def error_number(error: BaseException) -> int | None:
    original = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    args = getattr(original, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def explain(error: BaseException) -> str:
    """`error`'s own words, then the likely cause and the next step where the number says it."""
    original = error.orig if isinstance(error, sa.exc.DBAPIError) and error.orig is not None else error
    step = _NEXT_STEP.get(error_number(error))
    denied = re.search(r"(\w+) command denied", str(original))
    if error_number(error) == TABLE_ACCESS_DENIED and denied:
        step = (f"the user lacks {denied.group(1).upper()} on that table: GRANT {denied.group(1).upper()} ON the "
                "database to it (the grants each command needs are in deploy/mysql-grants.sql)")
    return f"{original}" + (f". Likely: {step}" if step else "")
