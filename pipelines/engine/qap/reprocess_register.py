"""What a reprocess does to the open error register beyond posting, and what its summary says
of it: each posted record closes the entry it stands for, each header sent as context closes
at once, each record rejected again replaces its entry; a record of a corrections deck that
`qap corrections` recorded stands only for entries of the decks it was written from; the
records that close or replace nothing, that are as like entries of two decks, or that passed
over like entries of another deck of their week are named (review 14, F9, F12, F13)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.machinery import written_from
from pipelines.engine.machinery.deck import CORRECTIONS_CAMPUS, Deck
from pipelines.engine.machinery.register import (
    Sources,
    close_context,
    close_corrected,
    source_key,
    supersede_resubmitted,
)
from pipelines.engine.machinery.result import RunResult


def close(register: pl.DataFrame, posted: pl.DataFrame, decks: list[Deck], run_id: str,
          run_date: dt.date, result: RunResult,
          written: dict[str, written_from.Written] | None = None) -> pl.DataFrame:
    """The register after reprocess run `run_id`: `posted` (run, text, deck_no, line_no and
    the deck's week) are its posted records; counts and notes go into `result`. `written` is
    the record of which original decks each corrections deck was written from
    (`written_from.read`, as intake read it); without it, or for a deck it does not name, a
    record may stand for an entry of any deck of its week."""
    sources = sources_of(decks, written)
    posted = posted.with_columns(
        pl.Series("deck_hash", [d.content_hash for d in decks], pl.String).gather(
            posted["deck_no"]),
        pl.Series("deck", [d.name for d in decks], pl.String).gather(posted["deck_no"]))
    unmatched: list[int] = []
    tied: dict[int, list[str]] = {}  # posted row -> the entries of two decks it is as like
    apart: dict[int, tuple[str | None, list[str]]] = {}
    register, result.corrected = close_corrected(register, posted, run_id, run_date,
                                                 unmatched, tied, sources, apart)
    alone = [i for i in unmatched if i not in tied]
    result.notes += _closed_nothing(_labels(_not_headers(posted[alone], register, run_id),
                                            decks))
    unrecorded = [d.name for d in decks if d.campus == CORRECTIONS_CAMPUS
                  and source_key(d.content_hash, d.name) not in sources]
    result.notes += _tied_notes(dict(zip(_labels(posted[list(tied)], decks), tied.values(),
                                         strict=True)), "posted", "closed", unrecorded)
    result.notes += _kept_apart_notes(dict(zip(_labels(posted[list(apart)], decks),
                                               apart.values(), strict=True)), "closed")
    register, result.context = close_context(register, run_id, run_date, sources)
    tied_again: dict[str, list[str]] = {}
    new_entries: list[str] = []
    apart_again: dict[str, tuple[str | None, list[str]]] = {}
    register, result.resubmitted = supersede_resubmitted(register, run_id, run_date,
                                                         tied_again, new_entries, sources,
                                                         apart_again)
    result.notes += _tied_notes(tied_again, "rejected again", "replaced", unrecorded)
    result.notes += _kept_apart_notes(apart_again, "replaced")
    result.notes += _opened_anew(new_entries)
    return register


def sources_of(decks: list[Deck], known: dict[str, written_from.Written] | None) -> Sources:
    """The original decks (by deck hash) each of `decks` was written from, by `source_key`:
    the corrections decks `qap corrections` recorded (`known`, keyed by their HDR)."""
    if not known or not any(d.campus == CORRECTIONS_CAMPUS for d in decks):
        return {}
    found: dict[str, list[str]] = {}
    clash: set[str] = set()
    for d in decks:
        if (hdr := written_from.key_of(d)) in known:
            key, sources = source_key(d.content_hash, d.name), list(known[hdr].sources)
            if found.setdefault(key, sources) != sources:
                clash.add(key)  # two recorded decks of one name and records: not told apart
    return {k: v for k, v in found.items() if k not in clash}


def _not_headers(records: pl.DataFrame, register: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Of `records` (run, text), those that are no entry's header: a corrections deck sends a
    rejected line's header as its context (`header_text`), and the header posts again with
    the line, closing nothing; any other record that closes nothing is worth a word."""
    earlier = register.filter(pl.col("run_id") != run_id)
    headers = earlier["header_text"].drop_nulls().str.strip_chars_end(" ").implode()
    return records.filter(~pl.col("text").str.strip_chars_end(" ").is_in(headers))


def _labels(records: pl.DataFrame, decks: list[Deck]) -> list[str]:
    """"deck line N" of each record of the run (deck_no, line_no), as the register's notes
    name entries."""
    return [f"{decks[d].name} line {n}" for d, n in
            records.select("deck_no", "line_no").iter_rows()]


def listed(names: list[str], separator: str = ", ", named: int = 5) -> str:
    """The first `named` of `names`, and how many more."""
    more = f" and {len(names) - named} more" if len(names) > named else ""
    return separator.join(names[:named]) + more


def _tied_notes(tied: dict[str, list[str]], did: str, would: str, unrecorded: list[str]
                ) -> list[str]:
    """The summary's note of a reprocess's records as like entries of two original decks
    (`register._stands_for`): which entry each stands for cannot be told, so none was
    closed; the operator withdraws the one it stands for (review 14, F13 within a week).
    `unrecorded`: the run's corrections decks that no record names (written by hand, or by
    `qap corrections` before it kept one), which is why it cannot be told."""
    if not tied:
        return []
    said = [f"{record} (as like {' and '.join(entries)})" for record, entries in tied.items()]
    why = (f" ({listed(unrecorded)}: no record of the decks `qap corrections` wrote "
           f"{'it' if len(unrecorded) == 1 else 'them'} from, as for a deck written by hand "
           "or before it kept one)" if unrecorded else "")
    return [f"{len(tied)} record(s) {did} but {would} no entry, being as like entries of two "
            f"decks of their week (the same key, week and text){why}: {listed(said, '; ')}; "
            "withdraw the entry each stands for (`qap corrections` named the deck whose "
            "entries each corrections deck holds): qap withdraw DECK LINE --reason \"...\""]


def _kept_apart_notes(kept: dict[str, tuple[str | None, list[str]]], did: str) -> list[str]:
    """The summary's note of a reprocess's records ("deck line N") whose corrections deck was
    written from other decks than entries as like them at their key and week: each stood for
    an entry of its own decks (or none), never for those (review 14, F13 within one week)."""
    if not kept:
        return []
    said = [f"{record} {did} {took or 'none'}, not {' or '.join(others)}"
            for record, (took, others) in kept.items()]
    return [f"{len(kept)} record(s) of corrections decks {did} only entries of the decks "
            "`qap corrections` wrote them from, not the like entries of another deck of their "
            f"week: {listed(said, '; ')}"]


def _opened_anew(entries: list[str], named: int = 5) -> list[str]:
    """The summary's note of a reprocess's records rejected again with no open entry to
    replace: their new entries add to the open count (review 14, F9)."""
    if not entries:
        return []
    return [f"{len(entries)} record(s) rejected again replaced no open register entry (none is "
            f"open at their key in their week), so each opens a new one: {listed(entries)}; "
            "was the corrections deck written before a rollback of its run or a withdrawal of "
            "the entry?"]


def _closed_nothing(records: list[str]) -> list[str]:
    """The summary's note of a reprocess's records ("deck line N") that posted but closed no
    open entry (none was left for them at their key and week: corrected from a deck written
    before a rollback or a withdrawal, not a correction at all, or a record sent twice whose
    copy rejected again took the entry, or a key changed on purpose, whose old entry is
    withdrawn); review 14, F9; check of session 16, P3; check of session 17, Q5."""
    if not records:
        return []
    return [f"{len(records)} record(s) posted but closed no open register entry (none was left "
            f"for them at their key in their week): {listed(records)}; was the corrections "
            "deck written before a rollback of its run or a withdrawal of the entry, or run "
            "already, or was the record re-input in a later week's deck since, or does it "
            "hold a record twice (its entry goes to the copy rejected "
            "again)? They are posted as new records (`qap rollback` undoes this run). A record "
            "whose key field was changed on purpose closes no entry either: withdraw its old "
            "entry (qap withdraw DECK LINE --reason \"...\")"]
