"""What sample selection reads: its decks (sample requests SRQ and completed-work batches CWB,
in HDR/TRL decks, text or EBCDIC, through the one decoder) and its two optional reference
files, the High Quality Work OFP/grades (`hqw.txt`) and the site sampling key
(`sampling_key.txt`), both in the reference folder beside the OFP Consistency File."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import DeckFault, decode, decode_file
from pipelines.engine.machinery import reference as ref
from pipelines.engine.machinery.deck import Deck
from pipelines.engine.machinery.weeks import saturday_of
from validators.sampling import BATCH, REQUEST

REQUEST_LAYOUT = layout.load("sample_request")
BATCH_LAYOUT = layout.load("work_batch")
HQW_FILE, KEY_FILE = "hqw.txt", "sampling_key.txt"
DECK_WEEK = "deck_week_ending"

HQW_REFERENCE = ref.ReferenceFile(
    HQW_FILE, "hqw_reference", "High Quality Work file",
    ("org_code", "function_code", "program_code", "grade"), "OFP/grade",
    "one line per OFP/grade", (
        ref.digits("org_code", "organization code"),
        ref.digits("function_code", "function code"),
        ref.digits("program_code", "program code"),
        ref.digits("grade", "grade"),
        ref.digits("high_quality_standard", "High Quality Standard (NNnn)"),
    ))


@dataclass(frozen=True)
class SamplingReference:
    """The run's reference data: the shared files plus the sampling family's own."""

    ofp: pl.DataFrame
    employees: pl.DataFrame
    hqw: pl.DataFrame  # org_code, function_code, program_code, grade, high_quality_standard
    key: str  # "" when the site has no sampling key (said in the run's notes)
    notes: tuple[str, ...] = ()  # for the operator: what to put right


def load_reference(reference_dir: Path) -> SamplingReference:
    """Every reference file sample selection reads; a bad one is ReferenceMissing (code 12)."""
    shared = ref.load(reference_dir, need_employees=True)
    hqw_path = reference_dir / HQW_FILE
    hqw = (ref.read(reference_dir, HQW_REFERENCE) if ref.there(hqw_path)
           else decode(pl.DataFrame(schema={"line_no": pl.UInt32, "text": pl.String}),
                       HQW_REFERENCE.layout))
    if ref.there(hqw_path):
        unknown_ofps(hqw, shared.ofp, hqw_path)
    key_path = reference_dir / KEY_FILE
    notes = ()
    if ref.there(key_path) and key_path.stat().st_mode & 0o077:
        notes = (f"{key_path} can be read by others (mode {key_path.stat().st_mode & 0o777:o}): "
                 "the starts it draws can be foreseen; make it owner-only (chmod 600)",)
    return SamplingReference(shared.ofp, shared.employees, hqw, read_key(reference_dir), notes)


def unknown_ofps(hqw: pl.DataFrame, ofp: pl.DataFrame, path: Path) -> None:
    """A High Quality Work line whose OFP is not on the OFP Consistency File is a fault of the
    file (code 12), as a bad value is: a mistyped OFP would leave the real one's batches to
    individual review without a word."""
    key = ["org_code", "function_code", "program_code"]
    known = ofp.select(pl.concat_str(*key)).to_series().implode()
    bad = hqw.filter(~pl.concat_str(*key).is_in(known)).sort("line_no")
    if bad.height == 0:
        return
    faults = [ref.Fault(row["line_no"], 1, "+".join(key), "OFP",
                        f'OFP (columns 1-13) is "{row["org_code"]}{row["function_code"]}'
                        f'{row["program_code"]}", which is not on the OFP Consistency File '
                        f"({ref.OFP_FILE}); expected an OFP of that file")
              for row in bad.head(ref.LISTED + 1).iter_rows(named=True)]
    raise ref.ReferenceFault(ref.message(path, HQW_REFERENCE, faults, bad.height), path,
                             faults[0].line, 1, faults[0].field, bad.height - 1)


def read_key(reference_dir: Path) -> str:
    """The sampling key: the first line of `sampling_key.txt`, trailing blanks dropped."""
    path = reference_dir / KEY_FILE
    if not ref.there(path):
        return ""
    try:
        frame = decode_file(path, layout.load("sampling_key"))
    except DeckFault as fault:
        raise ref.ReferenceFault(str(fault), path, fault.line, fault.column) from None
    key = frame["sampling_key"][0].rstrip()
    if not key:
        raise ref.ReferenceFault(f"{path}, line 1, column 1: the sampling key is blank; "
                                 "expected a secret of 1-64 characters", path, 1, 1)
    return key


def records(decks: list[Deck]) -> pl.DataFrame:
    """The records of every deck: seq, deck_no, line_no, text, record_id, deck, deck week
    (the Saturday of the HDR's week ending: an HDR dated another day opens no week of its
    own, docs/decisions.md "Decks")."""
    frames = [d.records.with_columns(pl.lit(i, pl.UInt16).alias("deck_no"),
                                     pl.lit(d.name).alias("deck"),
                                     pl.lit(d.content_hash).alias("deck_hash"),
                                     pl.lit(saturday_of(d.week_ending), pl.Date)
                                     .alias(DECK_WEEK))
              for i, d in enumerate(decks)]
    empty = pl.DataFrame(schema={"line_no": pl.UInt32, "text": pl.String,
                                 "deck_no": pl.UInt16, "deck": pl.String,
                                 "deck_hash": pl.String, DECK_WEEK: pl.Date})
    combined = pl.concat([empty, *frames], how="vertical_relaxed").with_row_index("seq")
    return combined.with_columns(pl.col("text").str.slice(0, 3).str.pad_end(3)
                                 .alias("record_id"))


def split(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(requests, batches, other records), each decoded with its own layout."""
    kind = pl.col("record_id")
    return (decode(rows.filter(kind == REQUEST), *_without_id(REQUEST_LAYOUT)),
            decode(rows.filter(kind == BATCH), *_without_id(BATCH_LAYOUT)),
            rows.filter(~kind.is_in([REQUEST, BATCH])))


def _without_id(lay: layout.Layout) -> list[layout.Layout]:
    """The layout less its record id (the records already carry `record_id`)."""
    return [layout.Layout(lay.record, lay.title, tuple(f for f in lay.fields
                                                       if f.name != "record_id"))]
