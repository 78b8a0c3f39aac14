# SPDX-License-Identifier: MIT
"""Runs one SQL statement on the database of a kuvert data directory, for the shell suites:
SQLite DIR/kuvert.db, or in the PostgreSQL pass the directory's schema (kuvert_harness).

    /usr/bin/python3 tests/it/dbq.py DIR "SQL with ? placeholders" [ARG ...]

Prints the first column of every row, one per line."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from kuvert_harness import db_connect  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    con = db_connect(sys.argv[1])
    try:
        for row in con.execute(sys.argv[2], tuple(sys.argv[3:])).fetchall():
            print(row[0])
        con.commit()
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
