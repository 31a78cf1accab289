"""Participants and their answers in one SQLite file, ``OUT/turing.sqlite``.

Every request opens its own connection and every write is one transaction, so a server that is
killed loses nothing that was acknowledged, and a restarted server on the same folder carries on
where it stopped. An answer is checked and stored inside one ``BEGIN IMMEDIATE`` transaction (the
write lock is taken before the check), so two concurrent posts of the same trial cannot both pass;
the primary key (participant, trial) is the last line of defence.

Schema (version 1)::

    meta(key PRIMARY KEY, value)                      schema version, session token
    participants(id PRIMARY KEY, created, seed, trials)
        trials: JSON list of [image, method, real_side], in the order shown
    answers(participant, trial, image, method, real_side, choice, fooled, created,
            PRIMARY KEY (participant, trial))
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import time
from pathlib import Path

from chroma_lab.errors import ChromaLabError

DATABASE_FILE = "turing.sqlite"
SCHEMA_VERSION = "1"
SIDES = ("left", "right")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
    id TEXT PRIMARY KEY, created REAL NOT NULL, seed INTEGER NOT NULL, trials TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    participant TEXT NOT NULL REFERENCES participants(id), trial INTEGER NOT NULL,
    image TEXT NOT NULL, method TEXT NOT NULL,
    real_side TEXT NOT NULL CHECK (real_side IN ('left', 'right')),
    choice TEXT NOT NULL CHECK (choice IN ('left', 'right')),
    fooled INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (participant, trial));
"""


class UnknownParticipant(LookupError):
    """No participant has this id (never issued, or issued by another test folder)."""


class AnswerRefused(ValueError):
    """An answer that is not the participant's next unanswered trial: replayed or out of order."""


class Store:
    """The SQLite store of one test folder; creates the file and tables on first use.

    Parameters
    ----------
    folder : str or os.PathLike
        The ``--out`` folder; the database is ``folder/turing.sqlite``.
    """

    def __init__(self, folder):
        self.path = Path(folder) / DATABASE_FILE
        with self._connect() as db:
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row[0] != SCHEMA_VERSION:
                raise ChromaLabError(f"'{self.path}' has schema version {row[0]}, this chroma_lab "
                                     f"reads version {SCHEMA_VERSION}; use a new --out folder")  # fmt: skip

    # --- participants ---------------------------------------------------------------------------
    def create_participant(self, trials, seed: int) -> str:
        """Store a new participant with their trial list; returns their random id."""
        participant = secrets.token_urlsafe(16)
        with self._connect() as db:
            db.execute("INSERT INTO participants VALUES (?, ?, ?, ?)",
                       (participant, time.time(), int(seed), json.dumps([list(t) for t in trials])))  # fmt: skip
        return participant

    def participant(self, participant) -> dict:
        """``{"id", "seed", "trials", "answers"}`` where answers is the list of stored choices.

        Raises :class:`UnknownParticipant` for an id that was never issued.
        """
        with self._connect() as db:
            return self._participant(db, participant)

    def count_participants(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM participants").fetchone()[0]

    # --- answers --------------------------------------------------------------------------------
    def record_answer(self, participant, trial: int, choice: str) -> dict:
        """Store ``choice`` for the participant's next unanswered trial, which must be ``trial``.

        Returns the stored answer as a dict. Raises :class:`UnknownParticipant`, or
        :class:`AnswerRefused` when ``trial`` was already answered, is not the next one or lies
        beyond the participant's trials; nothing is stored then.
        """
        if choice not in SIDES:
            raise ChromaLabError(f"choice must be one of {', '.join(SIDES)}, got {choice!r}")
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            state = self._participant(db, participant)
            done, total = len(state["answers"]), len(state["trials"])
            if trial < done:
                raise AnswerRefused(f"trial {trial} is already answered; each trial is answered once")
            if done == total:
                raise AnswerRefused(f"this participant has already answered all {total} trials")
            if trial != done:
                raise AnswerRefused(f"trial {trial} is out of order: the next trial is {done}")
            image, method, real_side = state["trials"][trial]
            answer = {"participant": participant, "trial": trial, "image": image, "method": method,
                      "real_side": real_side, "choice": choice, "fooled": choice != real_side}  # fmt: skip
            db.execute("INSERT INTO answers VALUES (:participant, :trial, :image, :method, "
                       ":real_side, :choice, :fooled, :created)", {**answer, "created": time.time()})  # fmt: skip
        return answer

    def answers(self, participant=None) -> list[dict]:
        """Stored answers (of one participant, or of all), in order of participant then trial."""
        query = "SELECT participant, trial, image, method, real_side, choice, fooled FROM answers"
        args: tuple = ()
        if participant is not None:
            query, args = query + " WHERE participant = ?", (participant,)
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(query + " ORDER BY participant, trial", args).fetchall()
        return [{**dict(row), "fooled": bool(row["fooled"])} for row in rows]

    def judgements(self) -> list[tuple[str, bool]]:
        """``(method, fooled)`` for every stored answer: the input of the fooling rates."""
        with self._connect() as db:
            return [(m, bool(f)) for m, f in db.execute("SELECT method, fooled FROM answers")]

    # --- settings -------------------------------------------------------------------------------
    def token(self, create: bool = False) -> str | None:
        """The session token of this folder (kept across restarts); ``create`` makes one if none."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM meta WHERE key = 'token'").fetchone()
            if row is None and create:
                row = (secrets.token_urlsafe(16),)
                db.execute("INSERT INTO meta VALUES ('token', ?)", row)
        return None if row is None else row[0]

    # --- private --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self):
        # isolation_level=None: transactions are explicit; the "with" commits or rolls back
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            yield db
            if db.in_transaction:
                db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    @staticmethod
    def _participant(db, participant) -> dict:
        row = None
        if isinstance(participant, str):
            row = db.execute("SELECT seed, trials FROM participants WHERE id = ?", (participant,)).fetchone()
        if row is None:
            raise UnknownParticipant(f"no participant {participant!r} in this test; start again from the first page")
        answers = [c for (c,) in db.execute("SELECT choice FROM answers WHERE participant = ? ORDER BY trial",
                                            (participant,))]  # fmt: skip
        return {"id": participant, "seed": row[0], "trials": [tuple(t) for t in json.loads(row[1])],
                "answers": answers}  # fmt: skip
