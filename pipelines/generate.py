"""Seeded synthetic inputs for tests and the benchmark: an OFP Consistency File, the national
Defect Code File deck (Forms 3927, action A) and a week of Forms 3926.

Every column position comes from the layout files (`layouts/records/*.toml`); nothing here
hard-codes one. Big decks are built column-wise: each field is a polars string column, padded to
its layout width and concatenated at its layout offset (`_compose`), so a million records take
about a second where `layouts.encode.record` per line would take far longer. The same seed gives
the same bytes (randomness comes only from `random.Random(seed)`).

What a week deck holds (`review_deck`), in deck order:

* Forms 3926 reviews (59702): documents of a header and up to 11 lines, each document a whole
  number of transactions of 1-3 lines. A transaction is one sample for an SSN, or a unit charge
  (`#`, no SSN); most find no defect, the rest carry one distinct national defect code a line.
  Documents are packed onto OFPs so that no OFP passes 200 defect-code lines in the deck.
* A seeded fraction `error_rate` of transactions carries one deliberately bad first line (code
  11, 14, 18, 21 or 36, some with a companion 16, 20 or 35); each rejects its own transaction
  only, so about that fraction of the review lines lands on PCE-03-41.
* A few adjustments (59706), one per OFP, with zone-punched increases (`layouts.zoned.encode`)
  for defect codes that OFP's clean reviews posted in this deck, and a few 3926-A (59707)
  quality standards for `NN000` organizations. Nothing else is meant to be rejected.

Example:
    uv run python -m pipelines.generate --lines 1000000 --seed 7 --out /tmp/week
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

from layouts import zoned
from layouts.encode import deck as wrap_deck
from layouts.layout import Layout, load
from validators import pce_01_43 as v01
from validators import pce_03_41 as v03

PREFIX = load("prefix")
HEADER_3926 = load("form3926_header")
LINE_3926 = load("form3926_line")
HEADER_3927 = load("form3927_header")
LINE_3927 = load("form3927_line")
OFP = load("ofp_consistency")

WEEK_ENDING = "11142026"  # a Saturday
OFP_FILE, NATIONAL_FILE, WEEK_FILE = "ofp_consistency.txt", "national.dat", "week.dat"

LINES_PER_3926 = len(v03.LINE_SECTIONS)  # 11: sections 02-12
LINES_PER_3927 = len(v01.LINE_SECTIONS)  # 30: sections 02-31
ADJUSTMENT_ROOM = 10  # defect-code lines per OFP kept free for its adjustment
REVIEW_CAP = v03.MAX_CODES_PER_OFP - ADJUSTMENT_ROOM
MIN_LINES = 200
SERIALS = 100  # documents per block: serial 00-99
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # block control characters

_WORDS = ("RETURN", "SCHEDULE", "CREDIT", "INCOME", "WAGE", "ENTITY", "PAYMENT", "REFUND",
          "NOTICE", "BALANCE", "DEPENDENT", "FILING", "STATUS", "ADDRESS", "AMOUNT", "PERIOD",
          "DOCUMENT", "SIGNATURE", "ATTACHMENT", "PENALTY", "INTEREST", "CORRESPONDENCE")
_FAULTS = ("MISSING", "WRONG", "NOT EDITED", "MISKEYED", "TRANSPOSED", "NOT VERIFIED",
           "INCOMPLETE", "NOT PERFECTED", "ROUTED WRONG", "LATE")
_OPERATIONS = ("CODE AND EDIT", "ERROR RESOLUTION", "DOCUMENT PERFECTION", "ACCOUNTS MANAGEMENT",
               "ENTITY CONTROL", "REJECTS", "DEPOSIT", "CORRESPONDENCE", "EXAMINATION")
_CAMPUSES = ("18", "29", "49", "64", "89")


# --- building blocks -------------------------------------------------------------------------

class _Draw:
    """Columns of seeded random integers: one `randbytes` call per column, read as little-endian
    u32 by polars (same bytes on every platform; no numpy)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def ints(self, n: int, lo: int, hi: int) -> pl.Series:
        """n integers in [lo, hi] (modulo bias below 1e-5 for the ranges used here)."""
        if n == 0:
            return pl.Series([], dtype=pl.Int64)
        raw = pl.Series([self.rng.randbytes(4 * n)], dtype=pl.Binary).bin.reinterpret(
            dtype=pl.Array(pl.UInt32, n), endianness="little").reshape((-1,))
        return (raw.cast(pl.Int64) % (hi - lo + 1)) + lo

    def chance(self, n: int, p: float) -> pl.Series:
        return self.ints(n, 0, 999_999) < round(p * 1_000_000)


def _compose(frame: pl.DataFrame, layouts: Sequence[Layout], keys: Sequence[str] = ()
             ) -> pl.DataFrame:
    """`keys` plus `text`: every other column of `frame` is a field of `layouts` (String, null
    for blank), placed at its layout offset; trailing blanks trimmed as transfers do."""
    fields = {f.name: f for lay in layouts for f in lay.fields}
    for name in frame.columns:
        if name in keys:
            continue
        if name not in fields:
            raise ValueError(f"no field {name!r} in {[lay.record for lay in layouts]}")
        widest = frame[name].str.len_chars().max()
        if widest is not None and widest > fields[name].width:  # type: ignore[operator]
            raise ValueError(f"{name} holds a value wider than its {fields[name].width} columns")
    placed = sorted((fields[n] for n in frame.columns if n not in keys), key=lambda f: f.offset)
    parts: list[pl.Expr] = []
    at = 0
    for f in placed:
        if f.offset > at:
            parts.append(pl.lit(" " * (f.offset - at)))
        parts.append(pl.col(f.name).fill_null("").str.pad_end(f.width))
        at = f.end
    text = pl.concat_str(parts).str.strip_chars_end(" ") if parts else pl.lit("")
    return frame.select(*keys, text.alias("text"))


def _num(value: pl.Expr, field: str, zero_fill: pl.Expr | bool = False) -> pl.Expr:
    """A Form 3926 line count: right-justified digits in the width of `field`, with leading
    blanks (or zeros where `zero_fill`)."""
    width = LINE_3926.field(field).width
    digits = value.cast(pl.String)
    return pl.when(zero_fill).then(digits.str.zfill(width)).otherwise(digits.str.pad_start(width))


def _zoned(field: str, value: int) -> str:
    """A signed adjustment amount, zone-punched in the width of its Form 3926 line field."""
    return zoned.encode(value, LINE_3926.field(field).width)


def _digit(value: pl.Expr) -> pl.Expr:
    return value.replace_strict(dict(enumerate(ALPHABET)), return_dtype=pl.String)


def _control(pos: pl.Expr) -> list[pl.Expr]:
    """Block (3 characters A-Z/0-9) and serial (00-99) of the document at deck position `pos`."""
    block = pos // SERIALS
    return [pl.concat_str(_digit(block // 36**2 % 36), _digit(block // 36 % 36),
                          _digit(block % 36)).alias("block"),
            (pos % SERIALS).cast(pl.String).str.zfill(PREFIX.field("serial").width)
            .alias("serial")]


def _section(number: pl.Expr) -> pl.Expr:
    return number.cast(pl.String).str.zfill(PREFIX.field("section").width).alias("section")


def _check_capacity(documents: int) -> None:
    if documents > SERIALS * 36**3:
        raise ValueError(f"{documents} documents do not fit the block/serial control numbers")


def _deck(body: pl.Series, week_ending: str, sequence: int = 1) -> str:
    week = dt.datetime.strptime(week_ending, "%m%d%Y").date()
    created = f"{week + dt.timedelta(days=2):%m%d%Y}"
    return wrap_deck(body.to_list(), week_ending=week_ending, created=created,
                     sequence=sequence)


def _phrase(rng: random.Random, width: int) -> str:
    text = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_FAULTS)}"
    return text[:width]


# --- reference and national list ---------------------------------------------------------------

def reference_ofp(n_ofps: int, seed: int) -> str:
    """OFP Consistency File text: `n_ofps` distinct OFPs, no organization ending in 000."""
    rng = random.Random(seed)
    seen: set[tuple[str, str, str]] = set()
    rows: list[dict[str, str]] = []
    title_width = OFP.field("program_title").width
    while len(rows) < n_ofps:
        key = (f"{rng.choice(_CAMPUSES)}{rng.randint(1, 999):03d}", f"{rng.randint(100, 999)}",
               f"{rng.randint(10000, 99999)}")
        if key in seen:
            continue
        seen.add(key)
        rows.append({
            "org_code": key[0], "function_code": key[1], "program_code": key[2],
            "qpc": f"{rng.randint(1, 60):03d}", "measured_code": "1" if rng.random() < 0.8
            else "2", "learning_curve_hours": f"{rng.randint(40, 400):04d}",
            "efficiency_standard": f"{rng.randint(500, 40000):05d}",
            "program_title": f"{rng.choice(_OPERATIONS)} {rng.choice(_WORDS)}"[:title_width]})
    frame = pl.DataFrame(rows, schema={f.name: pl.String for f in OFP.fields})
    return "".join(f"{t}\n" for t in _compose(frame, [OFP])["text"])


def national_codes(n_codes: int, seed: int) -> list[str]:
    """`n_codes` distinct national defect codes (000-799), sorted."""
    if not 3 <= n_codes <= 800:
        raise ValueError("between 3 and 800 national codes")
    return sorted(f"{c:03d}" for c in random.Random(seed).sample(range(800), n_codes))


def defect_list_deck(codes: Iterable[str], seed: int, week_ending: str = WEEK_ENDING) -> str:
    """A deck of Forms 3927, action A, establishing `codes`: 30 codes a page (document)."""
    rng = random.Random(seed)
    code_list = _codes(codes, minimum=1)
    pages = (len(code_list) + LINES_PER_3927 - 1) // LINES_PER_3927
    _check_capacity(pages)
    op_width = HEADER_3927.field("operation").width
    desc_width = LINE_3927.field("description").width
    headers = pl.DataFrame({
        "pos": range(pages), "sec": [1] * pages,
        "org_prefix": [rng.choice(_CAMPUSES) for _ in range(pages)],
        "function_prefix": [f"{rng.randint(10, 99)}" for _ in range(pages)],
        "program_prefix": [f"{rng.randint(1, 9999)}" for _ in range(pages)],
        "operation": [f"NATIONAL {rng.choice(_OPERATIONS)}"[:op_width] for _ in range(pages)]},
        schema_overrides={"pos": pl.Int64, "sec": pl.Int64})
    headers = headers.with_columns(pl.lit("000").alias("list_number"), pl.lit("A").alias("action"),
                                   pl.lit("01").alias("section"))
    lines = pl.DataFrame({
        "pos": [i // LINES_PER_3927 for i in range(len(code_list))],
        "sec": [i % LINES_PER_3927 + 2 for i in range(len(code_list))],
        "defect_code": code_list,
        "description": [_phrase(rng, desc_width) for _ in code_list]},
        schema_overrides={"pos": pl.Int64, "sec": pl.Int64})
    lines = lines.with_columns(_section(pl.col("sec")))
    prefix = [pl.lit(v01.PROGRAM).alias("program_number"),
              pl.lit(v01.FORMAT).alias("format_code"), *_control(pl.col("pos"))]
    body = pl.concat([
        _compose(headers.with_columns(prefix), [PREFIX, HEADER_3927], keys=("pos", "sec")),
        _compose(lines.with_columns(prefix), [PREFIX, LINE_3927], keys=("pos", "sec")),
    ]).sort("pos", "sec")["text"]
    return _deck(body, week_ending)


# --- the week deck -----------------------------------------------------------------------------

def _codes(codes: Iterable[str], minimum: int) -> list[str]:
    out = sorted(set(codes))
    bad = [c for c in out if len(c) != 3 or not c.isdigit()]
    if bad:
        raise ValueError(f"defect codes are 3 digits: {bad[:5]}")
    if len(out) < minimum:
        raise ValueError(f"at least {minimum} distinct defect codes are needed")
    return out


def _ofp_keys(ofps: str | Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """OFPs as (org, function, program): OFP Consistency File text, or the tuples."""
    if isinstance(ofps, str):
        names = ("org_code", "function_code", "program_code")
        fields = [OFP.field(n) for n in names]
        ofps = [tuple(line[f.offset:f.end].ljust(f.width) for f in fields)  # type: ignore[misc]
                for line in ofps.splitlines() if line.strip()]
    keys = list(dict.fromkeys(ofps))
    if not keys:
        raise ValueError("no OFPs given")
    return keys


def ofps_needed(n_lines: int) -> int:
    """A comfortable OFP count for `review_deck(n_lines, ...)` (200 defect lines per OFP)."""
    return n_lines // 300 + 20


def _tail(records: int) -> list[int]:
    """Line counts of documents (header + 1-line samples) that make exactly `records` records."""
    out = []
    while records:
        lines = min(records - 1, LINES_PER_3926)
        if records - (lines + 1) == 1:  # never leave a lone record: it cannot be a document
            lines -= 1
        out.append(lines)
        records -= lines + 1
    return out


def _pack(draw: _Draw, n_records: int) -> pl.DataFrame:
    """Transactions of 1-3 lines (columns `doc`, `size`) grouped into documents of a header and
    up to 11 lines, exactly `n_records` records in all (n_records >= 2)."""
    n = n_records  # every transaction is at least one record: enough to draw from
    r = draw.ints(n, 0, 99)
    txns = pl.DataFrame({
        "size": 1 + (r < 20).cast(pl.Int64) + (r < 6).cast(pl.Int64),
        "opens": draw.chance(n, 0.18).scatter(0, True),
    }).with_columns((pl.col("opens").cum_sum() - 1).alias("doc"))
    # A page holds 11 lines: a sample that would run past it is cut short (or dropped).
    txns = txns.with_columns(
        (LINES_PER_3926 - (pl.col("size").cum_sum() - pl.col("size")).over("doc"))
        .clip(upper_bound=pl.col("size")).alias("size")).filter(pl.col("size") > 0)
    docs = txns.group_by("doc").agg((pl.col("size").sum() + 1).alias("records")).sort("doc")
    kept = docs.filter(pl.col("records").cum_sum() <= n_records)
    left = n_records - kept["records"].sum()
    if left == 1:  # give the last whole document back to the tail
        left += kept["records"][-1]
        kept = kept.head(-1)
    txns = txns.filter(pl.col("doc") < kept.height).select("doc", "size")
    tail = [(kept.height + d, 1) for d, lines in enumerate(_tail(left)) for _ in range(lines)]
    return pl.concat([txns, pl.DataFrame(tail, schema=txns.schema, orient="row")])


def _review_lines(rng: random.Random, packed: pl.DataFrame, codes: list[str],
                  error_rate: float, n_ssns: int) -> pl.DataFrame:
    """One row per review line: doc, sec, txn, bad, and its fields as strings (null = blank)."""
    draw = _Draw(rng)
    n = packed.height
    pool = pl.Series([f"{rng.randint(1, 665):03d}{rng.randint(1, 99):02d}"
                      f"{rng.randint(1, 9999):04d}" for _ in range(n_ssns)])
    absent = sorted({f"{c:03d}" for c in range(800, 900)} - set(codes))
    bad_kind = draw.ints(n, 0, 4)
    if not absent:  # every area code is on the file: no 14 to make
        bad_kind = bad_kind.zip_with(bad_kind != 3, pl.Series([0] * n))
    txns = packed.with_columns(**{
        "coded": draw.chance(n, 0.12), "unit": draw.chance(n, 0.03),
        "ssn_full": pool.gather(draw.ints(n, 0, n_ssns - 1)),
        "sampled_n": draw.ints(n, 1, 25), "zero_fill": draw.chance(n, 0.1),
        "code0": draw.ints(n, 0, len(codes) - 1),
        "step": draw.ints(n, 1, max(1, (len(codes) - 1) // 2)),
        # zero_defective is still drawn so the seeded stream is unchanged, but a clean sample's
        # item 16 is left blank: a zero there is 13 (IRM 3.30.28.4.9.2(11)).
        "defective_r": draw.ints(n, 0, 1 << 20), "zero_defective": draw.chance(n, 0.3),
        "bad": draw.chance(n, error_rate), "bad_kind": bad_kind,
    }).with_row_index("txn").with_columns(
        (pl.col("coded") | (pl.col("size") > 1)).alias("coded"),
        (pl.col("size").cum_sum().over("doc") - pl.col("size") + 2).alias("first_section"))
    lines = txns.with_columns(pl.int_ranges(0, "size").alias("pos")).explode("pos")
    m = lines.height
    r = draw.ints(m, 0, 9)
    code_idx = lines.select((pl.col("code0") + pl.col("pos") * pl.col("step")) % len(codes))
    lines = lines.with_columns(
        (pl.col("first_section") + pl.col("pos")).alias("sec"),
        pl.Series("code_full", codes).gather(code_idx.to_series()),
        pl.when(r < 7).then(1).when(r < 9).then(2).otherwise(3).alias("defects_n"),
    ).with_columns(
        pl.when("coded").then("defects_n").otherwise(0).sum().over("txn").alias("defects_sum"))
    lines = lines.with_columns(
        (1 + pl.col("defective_r") % pl.min_horizontal("sampled_n", "defects_sum").clip(1))
        .alias("defective_n"))

    first, coded, unit = pl.col("pos") == 0, pl.col("coded"), pl.col("unit")
    zero = pl.col("zero_fill")
    fields = [
        pl.when(first & unit).then(pl.lit("#")).alias("unit_mark"),
        pl.when(first & ~unit).then("ssn_full").alias("ssn"),
        pl.when(first).then(_num(pl.col("sampled_n"), "sampled", zero)).alias("sampled"),
        pl.when(coded).then("code_full").alias("defect_code"),
        pl.when(coded).then(_num(pl.col("defects_n"), "defects", zero)).alias("defects"),
        pl.when(first & coded).then(_num(pl.col("defective_n"), "defective", zero))
        .alias("defective"),
    ]
    lines = lines.with_columns(fields)
    # One deliberately bad first line per bad transaction; each code rejects that sample only.
    bad = first & pl.col("bad")
    kind = pl.col("bad_kind")
    lines = lines.with_columns(
        pl.when(bad & (kind == 0)).then(  # 11: letter O for a zero
            (pl.col("sampled_n").cast(pl.String) + "O")
            .str.pad_start(LINE_3926.field("sampled").width))
        .otherwise("sampled").alias("sampled"),
        pl.when(bad & (kind == 1)).then(pl.col("ssn_full").str.slice(0, 8))  # 36: 8-digit SSN
        .otherwise("ssn").alias("ssn"),
        pl.when(bad & (kind == 2)).then(_num(pl.col("sampled_n") + 1, "defective"))  # 21
        .otherwise("defective").alias("defective"),
        pl.when(bad & (kind == 3)).then(  # 14: an area code the national file lacks
            pl.lit(absent[0] if absent else None, dtype=pl.String))
        .otherwise("defect_code").alias("defect_code"),
        pl.when(bad & (kind == 3)).then(pl.col("defects").fill_null(_num(pl.lit(1), "defects")))
        .when(bad & (kind == 4)).then(_num(pl.lit(0), "defects"))  # 18: zero defects
        .otherwise("defects").alias("defects"),
    )
    return lines.select("doc", "sec", "txn", "bad", "unit_mark", "ssn", "sampled",
                        "defect_code", "defects", "defective")


def _assign_ofps(rng: random.Random, lines: pl.DataFrame, n_ofps: int) -> pl.Series:
    """Each review document's OFP index: documents in deck order fill an OFP up to a share of
    the defect-code lines, never past REVIEW_CAP (rules.md 36: 200 per OFP in one deck)."""
    coded = lines.group_by("doc").agg(pl.col("defect_code").is_not_null().sum().alias("n")
                                       ).sort("doc")["n"].to_list()
    target = max(LINES_PER_3926, min(REVIEW_CAP, 2 * sum(coded) // n_ofps))
    slots: list[int] = []
    slot, used = 0, 0
    for c in coded:
        if used + c > target:
            slot, used = slot + 1, 0
        used += c
        slots.append(slot)
    if slot + 1 > n_ofps:
        raise ValueError(f"{len(slots)} documents need at least {slot + 1} OFPs "
                         f"(200 defect-code lines per OFP in one deck); {n_ofps} given")
    ofp_of_slot = pl.Series(rng.sample(range(n_ofps), slot + 1))
    return ofp_of_slot.gather(slots)


def _adjustments(rng: random.Random, lines: pl.DataFrame, doc_ofp: pl.Series,
                 sizes: list[int]) -> list[tuple[int, list[str]]]:
    """(OFP index, defect codes) per adjustment: distinct OFPs, codes its clean reviews posted."""
    clean = lines.filter(~pl.col("bad") & pl.col("defect_code").is_not_null())
    clean = clean.select(doc_ofp.gather(clean["doc"]).alias("ofp"), "defect_code")
    by_ofp = clean.group_by("ofp").agg(pl.col("defect_code").unique().sort()).filter(
        pl.col("defect_code").list.len() >= max(sizes)).sort("ofp")
    if by_ofp.height < len(sizes):
        raise ValueError("too few lines for the adjustment documents; give more lines")
    chosen = rng.sample(range(by_ofp.height), len(sizes))
    out = []
    for pick, size in zip(chosen, sizes, strict=True):
        ofp, codes = by_ofp.row(pick)
        out.append((ofp, rng.sample(codes, size)))
    return out


def _special_docs(rng: random.Random, keys: list[tuple[str, str, str]],
                  adjustments: list[tuple[int, list[str]]], n_standards: int,
                  positions: list[int], week_ending: str) -> list[pl.DataFrame]:
    """Adjustment (59706) and 3926-A (59707) documents at `positions`, composed."""
    headers: list[dict] = []
    lines: list[dict] = []
    for (ofp, codes), pos in zip(adjustments, positions, strict=False):
        org, function, program = keys[ofp]
        headers.append({"pos": pos, "program_number": v03.ADJUSTMENT, "org_code": org,
                        "function_code": function, "program_code": program,
                        "defect_list": "000", "quality_standard": None})
        defects = [rng.randint(1, 2) for _ in codes]
        sampled = rng.randint(1, 5)
        defective = rng.randint(0, min(sampled, sum(defects)))
        for i, (code, k) in enumerate(zip(codes, defects, strict=True)):
            lines.append({"pos": pos, "sec": i + 2, "defect_code": code,
                          "defects": _zoned("defects", k),
                          "sampled": _zoned("sampled", sampled) if i == 0 else None,
                          "defective": _zoned("defective", defective)
                          if i == 0 and defective else None})
    standard_keys = sorted({(org[:2] + "000", f, p) for org, f, p in keys})
    if n_standards > len(standard_keys):
        raise ValueError("more 3926-A forms than distinct NN000 OFPs")
    for key, pos in zip(rng.sample(standard_keys, n_standards), positions[len(adjustments):],
                        strict=True):
        headers.append({"pos": pos, "program_number": v03.STANDARD, "org_code": key[0],
                        "function_code": key[1], "program_code": key[2], "defect_list": None,
                        "quality_standard": f"{rng.randint(50, 1500):04d}"})
    head = pl.DataFrame(headers, schema={"pos": pl.Int64, "program_number": pl.String,
                                         "org_code": pl.String, "function_code": pl.String,
                                         "program_code": pl.String, "defect_list": pl.String,
                                         "quality_standard": pl.String})
    head = head.with_columns(pl.lit(1, pl.Int64).alias("sec"), pl.lit("01").alias("section"),
                             pl.lit(v03.FORMAT).alias("format_code"),
                             pl.lit(week_ending).alias("week_ending"), *_control(pl.col("pos")))
    body = pl.DataFrame(lines, schema={"pos": pl.Int64, "sec": pl.Int64,
                                       "defect_code": pl.String, "defects": pl.String,
                                       "sampled": pl.String, "defective": pl.String})
    body = body.with_columns(pl.lit(v03.ADJUSTMENT).alias("program_number"),
                             pl.lit(v03.FORMAT).alias("format_code"), *_control(pl.col("pos")),
                             _section(pl.col("sec")))
    return [_compose(head, [PREFIX, HEADER_3926], keys=("pos", "sec")),
            _compose(body, [PREFIX, LINE_3926], keys=("pos", "sec"))]


def review_records(n_lines: int, seed: int, ofps: str | Iterable[tuple[str, str, str]],
                   codes: Iterable[str], error_rate: float = 0.01,
                   week_ending: str = WEEK_ENDING, n_ssns: int | None = None) -> pl.Series:
    """The `n_lines` records of `review_deck`, in deck order, without HDR and TRL; reviews
    charge `n_ssns` employees (default one per 200 lines)."""
    if n_lines < MIN_LINES:
        raise ValueError(f"a week deck needs at least {MIN_LINES} lines")
    if not 0 <= error_rate <= 0.5:
        raise ValueError("error_rate is a fraction between 0 and 0.5")
    keys = _ofp_keys(ofps)
    code_list = _codes(codes, minimum=3)
    rng = random.Random(seed)
    adj_sizes = [rng.randint(1, 3) for _ in range(max(1, n_lines // 20_000))]
    n_standards = max(1, n_lines // 50_000)
    special = sum(adj_sizes) + len(adj_sizes) + n_standards
    packed = _pack(_Draw(rng), n_lines - special)
    lines = _review_lines(rng, packed, code_list, error_rate,
                          n_ssns=n_ssns or max(50, n_lines // 200))
    doc_ofp = _assign_ofps(rng, lines, len(keys))
    adjustments = _adjustments(rng, lines, doc_ofp, adj_sizes)

    n_docs = doc_ofp.len() + len(adj_sizes) + n_standards
    _check_capacity(n_docs)
    special_pos = rng.sample(range(n_docs), len(adj_sizes) + n_standards)
    taken = set(special_pos)
    review_pos = pl.Series([p for p in range(n_docs) if p not in taken], dtype=pl.Int64)

    key_cols = {name: pl.Series([k[i] for k in keys]).gather(doc_ofp)
                for i, name in enumerate(("org_code", "function_code", "program_code"))}
    docs = pl.DataFrame({"pos": review_pos, **key_cols}).with_columns(
        pl.lit(1, pl.Int64).alias("sec"), pl.lit(v03.REVIEW).alias("program_number"),
        pl.lit(v03.FORMAT).alias("format_code"), pl.lit("01").alias("section"),
        pl.lit(week_ending).alias("week_ending"), pl.lit("000").alias("defect_list"),
        *_control(pl.col("pos")))
    body = lines.with_columns(review_pos.gather(lines["doc"]).alias("pos")).with_columns(
        pl.lit(v03.REVIEW).alias("program_number"), pl.lit(v03.FORMAT).alias("format_code"),
        _section(pl.col("sec")),
        *_control(pl.col("pos"))).drop("doc", "txn", "bad")
    parts = [_compose(docs, [PREFIX, HEADER_3926], keys=("pos", "sec")),
             _compose(body, [PREFIX, LINE_3926], keys=("pos", "sec")),
             *_special_docs(rng, keys, adjustments, n_standards, special_pos, week_ending)]
    records = pl.concat(parts).sort("pos", "sec")["text"]
    assert records.len() == n_lines, (records.len(), n_lines)
    return records


def review_deck(n_lines: int, seed: int, ofps: str | Iterable[tuple[str, str, str]],
                codes: Iterable[str], error_rate: float = 0.01,
                week_ending: str = WEEK_ENDING, n_ssns: int | None = None) -> str:
    """A deck of `n_lines` Forms 3926 records between HDR and TRL (see the module docstring).

    `ofps` is OFP Consistency File text or (org, function, program) tuples; `codes` the defect
    codes on file (the reviews use only these, except the deliberate 14s). `error_rate` is the
    fraction of review transactions made bad on purpose. Raises ValueError when the OFPs cannot
    hold the defect lines (`ofps_needed`).
    """
    return _deck(review_records(n_lines, seed, ofps, codes, error_rate, week_ending, n_ssns),
                 week_ending)


def write_inputs(out: Path, n_lines: int, seed: int, error_rate: float = 0.01,
                 n_codes: int = 300, n_ofps: int | None = None,
                 week_ending: str = WEEK_ENDING) -> dict[str, Path]:
    """Write the OFP Consistency File, the national Defect Code deck and a week deck."""
    out.mkdir(parents=True, exist_ok=True)
    codes = national_codes(n_codes, seed)
    ofp_text = reference_ofp(n_ofps or ofps_needed(n_lines), seed)
    files = {"ofp": out / OFP_FILE, "national": out / NATIONAL_FILE, "week": out / WEEK_FILE}
    files["ofp"].write_text(ofp_text)
    files["national"].write_text(defect_list_deck(codes, seed, week_ending))
    files["week"].write_text(review_deck(n_lines, seed, ofp_text, codes, error_rate,
                                         week_ending))
    return files


def main(argv: list[str] | None = None) -> None:
    """Write ofp_consistency.txt, national.dat and week.dat into --out.

    Example: uv run python -m pipelines.generate --lines 1000000 --seed 7 --out /tmp/week
    """
    parser = argparse.ArgumentParser(prog="python -m pipelines.generate",
                                     description=main.__doc__)
    parser.add_argument("--lines", type=int, default=100_000,
                        help="records in the week deck between HDR and TRL")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--error-rate", type=float, default=0.01,
                        help="fraction of review transactions made bad on purpose")
    parser.add_argument("--codes", type=int, default=300, help="national defect codes")
    parser.add_argument("--ofps", type=int, default=None,
                        help="OFPs on the consistency file (default: enough for --lines)")
    parser.add_argument("--week-ending", default=WEEK_ENDING, help="MMDDYYYY, a Saturday")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    files = write_inputs(args.out, args.lines, args.seed, args.error_rate, args.codes,
                         args.ofps, args.week_ending)
    took = time.perf_counter() - start
    for path in files.values():
        print(f"{path}  {path.stat().st_size:,} bytes")
    print(f"built in {took:.2f} s")


if __name__ == "__main__":
    main()
