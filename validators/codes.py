"""Every error and reason code of every run family in one table: run, meaning, how an operator
resolves it, and (individual data) the text the reports print.

Meanings and resolutions are this project's wording of IRM 3.30.28.4.9.1-4 and `rules.md`; the
individual data reasons (T.. Form 3081, A.. Form 6489, N.. Data Not Posted, I.. the step) and
their printed wording are this project's (the IRM gives none). The checks that emit each code
live in `validators/` (pce_03_41, pce_01_43, adjustments, ipr_3081, ipr_6489, not_posted); tests
prove table and checks agree. `qap explain`, the summary and docs/error-codes.md read this table
(`markdown()` writes that file: `python -m validators.codes docs/error-codes.md`).
"""

from __future__ import annotations

from dataclasses import dataclass

RUN_3926 = "PCE-03-41"
RUN_3927 = "PCE-01-43"
RUN_3081, RUN_6489 = "IPR-3081", "IPR-6489"  # `run` of a Form 3081/6489 on the error register
RUN_NOT_POSTED = "DATA NOT POSTED"  # reviews listed on Weekly Data Not Posted (never a register)
RUN_INDIVIDUAL = "INDIVIDUAL DATA"  # the step could not take a Form 3081/6489 at all
RUN_SAMPLING = "SAMPLING"  # sample selection (IRM 3.30.28.2): validators/sampling.py
RUN_INV = "INV-10-02"  # RO inventory (shared/spec/inventory.md section 5)
RUN_DECK = "DECK"  # notes on a deck's HDR (validators/hdr_notes.py): the deck posts


@dataclass(frozen=True)
class ErrorCode:
    code: str
    run: str
    meaning: str
    resolution: str
    issued: bool = True
    needs_cum_file: bool = False
    printed: str = ""  # what the individual data reports print for the code (upper case)
    severity: str = "R"  # R record rejected; INV-10-02 conditions: E, W or I (inventory.md 5)


_WITHDRAW = "Withdraw the form that matches the register, correct it and re-input it next cycle."
_ADJ_NEGATIVE = ("Check whether the original action was right; if it was wrong, prepare a new "
                 "Adjustment Form 3926 with the correct amounts and re-input it.")

_3926 = [
    ("01", "Retired code; never issued.", "None.", False),
    ("02", "Retired code; never issued.", "None.", False),
    ("03", "Organization code on the header is not all digits.", _WITHDRAW, True),
    ("04", "Function code on the header is not all digits.", _WITHDRAW, True),
    ("05", "Program code on the header is not all digits.", _WITHDRAW, True),
    ("06", "The header's OFP is not on the OFP Consistency File.",
     "Withdraw the form. If its entries are right, re-input it after the OFP is added to the "
     "OFP Consistency File; if not, correct it and re-input it without an SSN.", True),
    ("07", "Quality standard is neither blank nor four digits.",
     "Re-input the Form 3926-A with all four positions of the quality standard filled "
     "(NNnn, zeros where needed).", True),
    ("08", "A quality standard is present but the organization code does not end in 000.",
     "Enter the first two organization digits followed by 000 on the Form 3926-A.", True),
    ("09", "Sampling data were sent together with a change to a quality standard.",
     "Send quality standard changes on a Form 3926-A with no lines, and review data on a "
     "Form 3926 with a blank quality standard.", True),
    ("10", "A second quality standard for the same OFP and week ending; the first one stands.",
     "Only one quality standard change per OFP and week; re-input next week if still needed.",
     True),
    ("11", "Number sampled (item 11) is neither blank nor digits, or is zero.",
     "Prepare a new form with digits in item 11 (never a zero) and re-input it.", True),
    ("12", "An SSN is present on a transaction whose number sampled is blank.",
     "Enter the number sampled for the employee, or remove the SSN for a unit/group charge.",
     True),
    ("13", "Number of defective records (item 16) is neither blank nor digits, or is zero.",
     "Prepare a new form with digits in item 16 (blank, not zero, when none) and re-input it.",
     True),
    ("14", "Defect code is not on the Defect Code File (list 000).",
     "Correct the defect code, or establish it first with a Form 3927 action A, then re-input.",
     True),
    ("15", "Defect code is neither blank nor three digits.", _WITHDRAW, True),
    ("16", "Defect code is blank but a number of defects is present.",
     "Enter the defect code the defects belong to, or remove the number of defects.", True),
    ("17", "Number of defects is blank but a defect code is present.",
     "Enter the number of defects for the code (at least 1).", True),
    ("18", "Number of defects is not digits or is not greater than zero.",
     "Enter a number of defects of 1 or more; leave it blank when there are none.", True),
    ("19", "The same defect code twice in one transaction or adjustment, or a second "
     "adjustment document for the same OFP and week ending.",
     "Combine the amounts: one line per defect code, one adjustment form per OFP and week.",
     True),
    ("20", "Defective records exceed the total number of defects of the transaction.", _WITHDRAW,
     True),
    ("21", "Defective records exceed the number sampled.", _WITHDRAW, True),
    ("22", "Adjustment: number sampled is not blank and not four digits or blanks followed by "
     "a zone-punched sign character.",
     "Re-input with the last position zone-punched (A-I,{ increase; J-R,} decrease).", True),
    ("23", "Adjustment: defective records is not blank and not four digits or blanks followed "
     "by a zone-punched sign character.",
     "Re-input with the last position zone-punched (A-I,{ increase; J-R,} decrease).", True),
    ("24", "Form 3926-A defect list is neither blank nor 999, or a delete (999) names an OFP "
     "with no quality standard on file.",
     "Blank defect list to insert or update, 999 to delete an existing standard.", True),
    ("25", "Adjustment: number of defects is not blank and not four digits or blanks followed "
     "by a zone-punched sign character.",
     "Re-input with the last position zone-punched (A-I,{ increase; J-R,} decrease).", True),
    ("26", "Adjustment for an OFP with no Cumulative Data File row in that quarter.",
     "Check the OFP and the week ending; an adjustment can only correct figures that posted.",
     True, True),
    ("27", "Adjustment would make the cumulative number sampled negative.", _ADJ_NEGATIVE, True,
     True),
    ("28", "Adjustment would make cumulative defective documents negative.", _ADJ_NEGATIVE, True,
     True),
    ("29", "Adjustment would make the cumulative total of defects negative.", _ADJ_NEGATIVE, True,
     True),
    ("30", "Adjustment would leave cumulative defective documents above the cumulative number "
     "sampled.", _WITHDRAW, True, True),
    ("31", "Adjustment would leave cumulative defective documents above the cumulative total "
     "of defects.", _WITHDRAW, True, True),
    ("32", "Adjustment names a defect code with no cumulative row for this OFP.",
     "Check the defect code against the Cumulative Data File listing for the OFP.", True, True),
    ("33", "Adjustment would make a defect code's cumulative number of defects negative.",
     _ADJ_NEGATIVE, True, True),
    ("34", "SSN or # present on an adjustment line.",
     "Adjustments correct the Cumulative Data File only: remove the SSN and re-input. Use a "
     "Form 6489 to correct individual data.", True),
    ("35", "Defective records are blank but the number of defects is greater than zero.",
     "Enter the number of defective records of the sample.", True),
    ("36", "Insufficient data to process the record (missing or invalid week ending, wrong "
     "defect list, unknown program or section, repeated section, line without header or "
     "transaction, # with an SSN, SSN not 9 digits, over 10 defect codes on a sample, over "
     "200 defect codes for one OFP, adjustment with no lines, 3926-A without a standard).",
     "Find the source document by its control number, supply what is missing and re-input.",
     True),
]

_3927 = [
    ("01", "Retired code; never issued.", "None.", False),
    ("02", "Action code is not A, C or D.", "Re-input with action A, C or D.", True),
    ("03", "Defect code is not three digits.", "Re-input with a three-digit defect code.", True),
    ("04", "Action A for a defect code already on the Defect Code File.",
     "Use action C to change its description, or choose an unused code.", True),
    ("05", "Action C or D for a defect code that was not on the file when the run began.",
     "Establish the code with action A first, or correct the code.", True),
    ("06", "Action C or D for a defect code deleted earlier in this run.",
     "Check the order of the forms; re-establish the code with action A if it is still needed.",
     True),
    ("07", "Action A or C with a blank defect description.",
     "Enter the description (up to 100 positions) and re-input.", True),
    ("09", "Insufficient data: list number not 000, blank organization, function or program, "
     "blank operation name on an action A, or a line with no header.",
     "Complete the header items of the Form 3927 and re-input the page.", True),
    ("10", "The same defect code twice on one document; the later lines are rejected.",
     "Re-input the later line only if it was meant for another code.", True),
]

# Individual data reasons: (code, printed text, resolution). The printed text is also the
# meaning `qap explain` gives; the resolution is one per family unless a code needs its own.
_FIX_3081 = ("correct the Form 3081 (`qap corrections` writes it out) and send it again with "
             "`qap reprocess`; it is listed on Weekly Data Not Posted.")
_FIX_6489 = ("the Form 6489 took no action (message 4) and is on the IPR adjustment report; "
             "correct it and send it again with `qap reprocess`.")
_FIX_REVIEW = ("not a register entry: the review posted to the Cumulative Data File and is "
               "listed on Weekly Data Not Posted; correct the individual figures with a Form "
               "6489.")
_3081 = [
    ("T01", "SSN NOT 9 DIGITS", _FIX_3081),
    ("T02", "SSN NOT ON EMPLOYEE MASTER", _FIX_3081),
    ("T03", "WEEK ENDING NOT THIS WEEK",
     "the Form 3081's week ending (columns 25-32) must be its deck's HDR week ending (the "
     "Saturday), or the quarter's last day when a quarter ends inside that week; correct the "
     "date, or send the form in a deck headed with its own week."),
    ("T04", "OFP NOT ON OFP FILE", _FIX_3081),
    ("T05", "HOURS NOT DIGITS", _FIX_3081),
    ("T06", "VOLUME NOT BLANK OR DIGITS", _FIX_3081),
    ("T07", "GRADE OR STEP NOT 2 DIGITS", _FIX_3081),
    ("T08", "TIME CODE NOT 1, 2 OR 3", _FIX_3081),
    ("T09", "FORMAT CODE NOT 073 OR COLUMNS 9-15 NOT BLANK", _FIX_3081),
]
_6489 = [
    ("A01", "ADJUSTMENT CODE NOT 1 2 3 4 9 A B C OR D", _FIX_6489),
    ("A02", "SSN NOT 9 DIGITS", _FIX_6489),
    ("A03", "OFP NOT ON OFP CONSISTENCY FILE", _FIX_6489),
    ("A04", "GRADE NOT 2 DIGITS", _FIX_6489),
    ("A05", "RECORD CODE NOT 1 OR 2", _FIX_6489),
    ("A06", "SIGNED FIGURE NOT DIGITS AND SIGN", _FIX_6489),
    ("A07", "QUARTER ENDING NOT THE QUARTER THE CODE ADJUSTS", _FIX_6489),
    ("A08", "NO FIGURES TO SUBSTITUTE OR ADD", _FIX_6489),
    ("A09", "NO CUM JOB RECORD TO ADJUST", _FIX_6489),
    ("A10", "CUM JOB RECORD ALREADY EXISTS", _FIX_6489),
    ("A11", "RECORD CODE DISAGREES WITH CURRENT/PRIOR GRADE", _FIX_6489),
    ("A12", "A FIGURE WOULD GO NEGATIVE", _FIX_6489),
    ("A13", "ERRORS WOULD EXCEED DOCUMENTS REVIEWED", _FIX_6489),
    ("A14", "SSN NOT ON EMPLOYEE MASTER", _FIX_6489),
    ("A15", "FORMAT CODE NOT 060 OR COLUMNS 9-15 NOT BLANK", _FIX_6489),
    ("A16", "M/C PCA, M/C TEPS, TIME OR CLASS CODE NOT A CODE", _FIX_6489),
    ("A17", "STEP NOT 2 DIGITS", _FIX_6489),
    ("A18", "WEEK ENDING NOT A DATE", _FIX_6489),
]
_NOT_POSTED = [
    ("N01", "NO 3081 SAME SSN, OFP AND WEEK", _FIX_REVIEW),
    ("N02", "REVIEW DATED OUTSIDE THIS WEEK", _FIX_REVIEW),
]
_STEP = [
    ("I01", "NO EMPLOYEE MASTER FILE",
     "there was no Employee Master File: put employee_master.txt in the reference folder, "
     "then re-input the forms (`qap corrections`, then `qap reprocess`)."),
]

_RESEND = ("Correct the record and send it again in a deck with `qap sample select "
           "--corrections`, which closes this entry.")
_ASK = ("Not an error on the record: Quality Review asks the employee's manager, and the "
        "manager sends a request (or a corrected one) in the next requests deck.")

# Sample selection. S01-S14, S22 and S24 reject the record to the open error register; S20,
# S21, S23 and S25 are findings listed on the week summary, the record is used.
_SAMPLING = [
    ("S01", "SSN is not nine digits (request or batch).", _RESEND, True),
    ("S02", "SSN is not on the Employee Master File.",
     "Check the SSN against the Employee Master File; if the employee is new, resend the "
     "record after the Employee Master File has them.", True),
    ("S03", "The batch's OFP is not digits or not on the OFP Consistency File.",
     "Correct the organization, function or program (columns 21-33) and resend the batch.",
     True),
    ("S04", "Requested weekly sample size (columns 46-49) is not digits.", _RESEND, True),
    ("S05", "Number of items in the batch (columns 46-50) is not digits, or is zero.", _RESEND,
     True),
    ("S06", "A date is not a real date MMDDYYYY (request: week it applies from; batch: date "
     "completed).", _RESEND, True),
    ("S07", "Grade is not two digits.", _RESEND, True),
    ("S08", "The request's QPC is not a QPC of the OFP Consistency File.",
     "Take the QPC from the Operations Quarterly Numerical Performance Standards report and "
     "resend the request.", True),
    ("S09", "The request's function/program is not an OFP of its QPC on the OFP Consistency "
     "File.", "Name a function and program of one of the QPC's OFPs and resend the request.",
     True),
    ("S10", "Section Chief approval flag (column 58) is not Y, N or blank.", _RESEND, True),
    ("S11", "Record type (columns 1-3) is not SRQ (sample request) or CWB (completed-work "
     "batch).", _RESEND, True),
    ("S12", "The batch's date completed is not in the week of its deck's HDR.",
     "Send the batch in a deck headed with the week it was completed in.", True),
    ("S13", "The same batch (SSN and batch identifier) was already sent; the later one is "
     "rejected.", "Give the batch its own identifier if it is another batch; else nothing.",
     True),
    ("S14", "A day's work group (the employee's batches of one day and QPC, or a High Quality "
     "Work OFP's batches of one day) holds more than 100,000 items, more than the largest "
     "table of random numbers can number: none of its batches could be sampled.",
     "Check the number of items (columns 46-50) of the group's batches (the register lists "
     "each); correct the wrong count and send them again with `qap sample select "
     "--corrections`. They are then used, and pulled from only if the week's sample still "
     "asks for items that day (a request never grows to catch up).", True),
    ("S20", "A request for a QPC the employee did not work this week (no batch of its OFPs): "
     "nothing could be pulled.", _ASK, True),
    ("S21", "A QPC the employee worked with no sample request: its batches were not sampled.",
     _ASK, True),
    ("S22", "The sample size changes during the quarter without the Section Chief's approval "
     "(IRM 3.30.28.2.2.1(4)); the size in force stands.",
     "Resend the request with Y in column 58 once the Section Chief has approved it.", True),
    ("S23", "Fewer than four pulls are possible for the employee and QPC this week "
     "(IRM 3.30.28.2.1(9)): work was completed on too few days, or the weekly sample itself is "
     "under four.", _ASK, True),
    ("S24", "The request grows to make up for under-sampling in earlier weeks of the quarter "
     "(IRM 3.30.28.2.2.1(11)); the size in force stands.",
     "Do not raise the size to catch up; resend the request at the size the work needs.",
     True),
    ("S25", "Fewer than four pulls are possible this week for a High Quality Work OFP.",
     "Not an error on a record: pull the OFP's work on every day it is completed.", True),
]

# Notes on a deck's HDR: accepted (deck control passes) but probably mistaken; the summary of
# the weekly run notes them and the deck posts.
_RERUN = ("If the HDR is wrong, roll the run back (`qap rollback RUN`), have the deck sent again "
          "with the right HDR and run it; else nothing.")
_DECK = [
    ("H01", "The HDR week ending (columns 6-13) is after the run date: the deck reports a week "
     "that has not ended. The deck posts (the legacy system did not refuse it).",
     "Check the HDR week ending and the run date (--run-date). " + _RERUN, True),
    ("H02", "The HDR creation date (columns 14-21) is before its week ending (columns 6-13): "
     "the deck was made before the week it reports had ended. The deck posts.",
     "Check both HDR dates with the sender. " + _RERUN, True),
    ("H03", "The HDR campus code (columns 4-5) is not two letters or digits. The deck posts: "
     "record-layouts.md gives the campus as 2 characters and lists no codes.",
     "Check the campus code with the sender; its next decks should carry the campus's "
     "two-character code. " + _RERUN, True),
]

CODES: dict[tuple[str, str], ErrorCode] = {}
for run, rows in ((RUN_3926, _3926), (RUN_3927, _3927), (RUN_SAMPLING, _SAMPLING),
                  (RUN_DECK, _DECK)):
    for code, meaning, resolution, issued_, *cum in rows:
        CODES[(run, code)] = ErrorCode(code, run, meaning, resolution, issued_,
                                       bool(cum and cum[0]))
for run, rows in ((RUN_3081, _3081), (RUN_6489, _6489), (RUN_NOT_POSTED, _NOT_POSTED),
                  (RUN_INDIVIDUAL, _STEP)):
    for code, printed, resolution in rows:
        CODES[(run, code)] = ErrorCode(code, run, printed, resolution, printed=printed)


def _printed(*runs: str) -> dict[str, str]:
    return {c.code: c.printed for c in CODES.values() if c.run in runs}


# The individual data reasons as the reports print them (views of CODES, not second tables).
ADJUSTMENT_REASONS = _printed(RUN_6489)  # Form 6489 error reasons (message code 4)
NOT_POSTED_REASONS = _printed(RUN_NOT_POSTED, RUN_3081)  # why a record is on Data Not Posted
STEP_REASONS = _printed(RUN_INDIVIDUAL)  # why the step could not take a form at all
RECORD_REASONS = _printed(RUN_INDIVIDUAL, RUN_6489, RUN_3081)  # a Form 3081/6489's register codes
INDIVIDUAL_RUNS = (RUN_3081, RUN_6489, RUN_NOT_POSTED, RUN_INDIVIDUAL)

# Form 6489 message codes, as printed on the Individual Performance History Adjustment Report
# (what was done with the form, not an error code; ERROR carries the reasons above).
ADDED, DELETED, ADJUSTED, ERROR = "1", "2", "3", "4"
MESSAGES = {
    ADDED: "ADDED",
    DELETED: "DELETED",
    ADJUSTED: "ADJUSTED",
    ERROR: "ERROR, NO ACTION TAKEN",
}

# Run INV-10-02, the RO inventory (shared/spec/inventory.md 5.1-5.2). R rows reject the record
# (open error register); E and W rows open or carry an exceptions register entry; I rows print.
_FIX_RECORD = "Correct the record in the ICS/ENTITY extract and send it again; or withdraw it."
_INV = [
    ("01", "R", "Record type (columns 1-3) is not ROR, CAS or FCS.", _FIX_RECORD),
    ("02", "R", "An assignment number (ROR 4-11 or 75-82, CAS 14-21) is not 8 digits.",
     "Send the 8-digit assignment number: area, territory, group, employee."),
    ("03", "R", "Roster grade is not 05, 07, 09, 11, 12 or 13 (blank only on a GM hold file).",
     "Correct the grade in columns 52-53 of the ROR record."),
    ("04", "R", "Position type (F T S H) or duty status (A D M L X) is not in its table.",
     "Correct column 54 or 55 of the ROR record."),
    ("05", "R", "A date is neither blank nor a real MMDDYYYY date, or a required date (ROR "
     "56-63, CAS 27-34) is blank.", "Send the date as MMDDYYYY, or blank where none."),
    ("06", "R", "A second ROR for one assignment number, or a second CAS for one case and "
     "holder; the later ones are rejected.", "Send one record per RO and per case and holder."),
    ("07", "R", "The case's holder is not on this deck's roster.",
     "Send the holder's ROR record in the same deck, or correct the holder (CAS 14-21)."),
    ("08", "R", "Case grade is not 05, 07, 09, 11, 12 or 13.",
     "Correct the case grade in columns 22-23 of the CAS record."),
    ("09", "R", "Case kind is not B, D, O, F, C or X.", "Correct column 24 of the CAS record."),
    ("10", "R", "A one-character coded field is outside its table (CAS 25, 26, 35, 62, 71, "
     "72-77, 78, 95, 96, 107-116; ROR 99).", "Correct the coded field; blank where none."),
    ("11", "R", "Inventory adjustment (ROR 72-74) is neither blank nor 000-100.",
     "Send the approved ENTITY adjustment as a percent 000-100, or blank."),
    ("12", "R", "Dates out of order: assigned after the as-of date; left before assigned or "
     "after the as-of date; a hold-file date on a case whose holder is not a GM hold file.",
     "Check the dates against the deck's as-of date (HDR 6-13) and correct them."),
    ("13", "R", "A subelement letter outside its factor's letters, or subelements for a factor "
     "that is not documented.", "Correct CAS 117-132 against the documented factors 107-110."),
    ("14", "R", "FCS record: scope not 6 digits, period end not a date, or counts not digits.",
     "Correct the forecast record (FCS 4-27)."),
    ("20", "W", "Active RO: covered inventory above the adjusted maximum of the grade's range.",
     "Bring the inventory back inside the range within 10 work days (IRM 1.4.50.10.2(10))."),
    ("21", "E", "Over range past the 10th work day of the spell with no written relief dated "
     "on or after the spell start.", "Relieve the RO in writing of the prompt-contact "
     "requirements and send the letter's date (ROR 83-90); file it in the EPF."),
    ("22", "W", "In range again with a relief letter on file and no back-in-range notice dated "
     "on or after it.", "Give the RO the written back-in-range notice and send its date "
     "(ROR 91-98)."),
    ("23", "W", "Active RO: covered inventory below the adjusted minimum of the range.",
     "Assign work from the hold file, the queue, other ROs or groups (IRM (6))."),
    ("24", "W", "Active GS-13 in range but above the band top (38): not near the bottom.",
     "Keep a GS-13's inventory at or near the bottom of 34-50 (IRM (7))."),
    ("25", "W", "Active GS-13: GS-13 share of covered cases below 50 % or above 70 %.",
     "Rebalance toward about 60 % GS-13 cases (IRM (7))."),
    ("26", "W", "Active GS-13: fewer GS-13 cases than the minimum (floor of the adjusted "
     "minimum x 0.60; 20 unadjusted).", "Assign GS-13 work, or review the RO's grade mix "
     "(TIGTA 2010-30-029)."),
    ("27", "E", "Trainee with an inventory adjustment above 0.",
     "Remove the ENTITY adjustment: trainees are not adjusted (IRM (5))."),
    ("28", "E", "Trainee whose coach is in another group (first six digits differ).",
     "Have the coach request an assignment number in the trainee's group (IRM (4))."),
    ("30", "W", "Group: covered inventory of its active ROs above the sum of their maxima.",
     "Consider the hold file, detailing ROs in, or redrawing boundaries (IRM (11) a-c)."),
    ("31", "W", "Case in the GM hold file more than 45 calendar days.",
     "Assign the case or return it to the queue (IRM (11)a)."),
    ("40", "W", "More than 5 new assignments in the work week that no listed reason exempts.",
     "Record the reason (CAS 35 or ROR 99) or spread the assignments (IRM (2))."),
    ("41", "I", "More than 5 new assignments, every one beyond 5 exempt by a listed reason.",
     "None; printed so large batches are seen (IRM (2) note)."),
    ("60", "E", "Case proposed for the queue while its holder is not over range.",
     "Withdraw the proposal: returns to the queue are for ROs still above range (IRM (12))."),
    ("61", "E", "Queue blocked (a): accelerated issuance.", "Keep the case (IRM (12)a)."),
    ("62", "E", "Queue blocked (b): restricted from the queue.", "Keep the case (IRM (12)b)."),
    ("63", "E", "Queue blocked (c): no NFTL determination.",
     "Make the NFTL determination (a history note if not filed) first (IRM (12)c)."),
    ("64", "E", "Queue blocked (d): CSED fewer than 195 days away.", "Keep the case "
     "(IRM (12)d)."),
    ("65", "E", "Queue blocked (e): levy, summons, Letter 1058 or appeals pending.",
     "Keep the case until the action ends (IRM (12)e)."),
    ("66", "E", "Queue blocked (f): trust fund case of a business still in business.",
     "Keep the case (IRM (12)f)."),
    ("67", "E", "Queue blocked (g): trust fund, under one year left on the ASED, no trust fund "
     "determination.", "Make the trust fund determination first (IRM (12)g)."),
    ("68", "E", "Queue blocked (h): taxpayer contact in the last 180 days.",
     "Keep the case (IRM (12)h)."),
    ("80", "E", "Reviewed GS-13 case: fewer than 3 CAG factors confirmed; grade not warranted.",
     "Re-grade the case or document the factors (TIGTA App. V)."),
    ("81", "I", "GS-13 case graded on fewer than 3 documented factors, reason documented.",
     "None."),
    ("82", "E", "Manually graded GS-13 case: fewer than 3 factors documented, no reason.",
     "Document the factors (pick list) or the reason in the ICS history."),
    ("83", "E", "A documented CAG factor without a documented subelement (grade changed on or "
     "after 02/15/2011).", "Document the subelement with the subfactor pick list."),
    ("84", "W", "Case graded below 13 meeting 3 or more GS-13 factors: a re-grade candidate.",
     "Consider re-grading the case to GS-13."),
    ("85", "I", "Case graded below 13 meeting exactly 2 GS-13 factors: a screening candidate.",
     "None; screen it (TIGTA recommendation 4)."),
    ("86", "I", "GS-13 case held by an RO below GS-13.", "Consider reassigning it to a GS-13."),
    ("90", "W", "GS-13 cases held by GS-13 ROs support fewer GS-13 ROs than the roster has.",
     "Review GS-13 staffing against the casework (TIGTA Figure 2)."),
]
for code, severity, meaning, resolution in _INV:
    CODES[(RUN_INV, code)] = ErrorCode(code, RUN_INV, meaning, resolution, severity=severity)


# Sub-reasons: the codes that stand for several faults (3926's 36 and 09, 3927's 09) say which
# one on the register, as a short text (at most SUB_REASON_WIDTH characters, so that it fits
# the printed lines). Each rule of validators/pce_03_41.py and pce_01_43.py for such a code names
# its key here; a test proves every key is used and every such rule has one.
SUB_REASON_WIDTH = 26
SUB_REASONS: dict[tuple[str, str], dict[str, str]] = {
    (RUN_3926, "36"): {
        "program": "PROGRAM OR FORMAT UNKNOWN",
        "week_ending": "WEEK END NOT SAT/QTR END",
        "week_year": "YEAR NOT 1900-2099",
        "control": "BLOCK OR SERIAL NOT VALID",
        "defect_list": "DEFECT LIST NOT 000",
        "header_repeated": "SECTION 01 REPEATED",
        "no_lines": "ADJUSTMENT WITH NO LINES",
        "no_standard": "3926-A WITHOUT A STANDARD",
        "no_header": "LINE WITH NO HEADER",
        "section": "SECTION NOT 02-12",
        "not_its_header": "PROGRAM/FORMAT UNLIKE HDR",
        "section_repeated": "SECTION REPEATED",
        "unit_mark": "COLUMN 16 NOT BLANK OR #",
        "unit_with_ssn": "# WITH AN SSN",
        "ssn": "SSN NOT 9 DIGITS",
        "no_transaction": "NO TRANSACTION ABOVE LINE",
        "no_data": "LINE WITH NO DATA",
        "codes_per_sample": "OVER 10 CODES ON A SAMPLE",
        "codes_per_ofp": "OVER 200 CODES FOR THE OFP",
    },
    (RUN_3926, "09"): {
        "standard_with_lines": "STANDARD WITH REVIEW LINES",
        "lines_under_standard": "REVIEW LINES UNDER 3926-A",
    },
    (RUN_3927, "09"): {
        "list_number": "LIST NUMBER NOT 000",
        "org": "ORGANIZATION BLANK",
        "function": "FUNCTION BLANK",
        "program": "PROGRAM BLANK",
        "operation": "OPERATION NAME BLANK",
        "format": "FORMAT CODE NOT 223",
        "header_repeated": "HEADER REPEATED",
        "no_header": "LINE WITH NO HEADER",
        "section": "SECTION NOT 02-31",
        "section_repeated": "SECTION REPEATED",
        "control": "BLOCK OR SERIAL NOT VALID",
    },
}


def sub_reason(run: str, code: str, key: str) -> str:
    """The short text of one sub-reason (KeyError: not in the table, a bug)."""
    return SUB_REASONS[(run, code)][key]


# What a user may name a run by, before `:` in a code (`3927:05`) or after `--run`: the form,
# or the run itself; nothing names both Form 3926 and 3927 runs.
RUN_NAMES = {"": (RUN_3926, RUN_3927), "3926": (RUN_3926,), "3927": (RUN_3927,),
             RUN_3926: (RUN_3926,), RUN_3927: (RUN_3927,), RUN_INV: (RUN_INV,)}


def runs_named(name: str) -> tuple[str, ...] | None:
    """The runs `name` names (any case), or None when it names none."""
    return RUN_NAMES.get(name.upper())


def lookup(run: str, code: str) -> ErrorCode:
    return CODES[(run, code)]


def issued(run: str) -> list[str]:
    return sorted(c.code for c in CODES.values() if c.run == run and c.issued)


def individual(code: str) -> ErrorCode | None:
    """The individual data reason `code` (T01, A12, N02, I01), whatever its run."""
    return next((c for c in CODES.values() if c.run in INDIVIDUAL_RUNS and c.code == code), None)


def describe(run: str, code: str) -> ErrorCode | None:
    """The entry for `code` as a register or a run's counts name it (run, code); an I.. code
    of run IPR-3081/IPR-6489 is the individual data step's."""
    return CODES.get((run, code)) or (individual(code) if run in INDIVIDUAL_RUNS else None)


_SECTIONS = (
    (RUN_3926, "Form 3926/3926-A (run 03, error register PCE-03-41)"),
    (RUN_3927, "Form 3927 (run 01, error register PCE-01-43)"),
    (RUN_3081, "Form 3081 (individual data, register IPR-3081; Weekly Data Not Posted)"),
    (RUN_6489, "Form 6489 (individual data, register IPR-6489; IPR adjustment report)"),
    (RUN_NOT_POSTED, "Review data not posted to individual figures (Weekly Data Not Posted)"),
    (RUN_INDIVIDUAL, "The individual data step (register IPR-3081/IPR-6489)"),
    (RUN_SAMPLING, "Sample selection (register SAMPLING; S20, S21, S23, S25 are findings)"),
    (RUN_INV, "RO inventory run INV-10-02 (R rejects a record; E, W open or carry an exception; "
              "I prints)"),
    (RUN_DECK, "Notes on a deck's HDR (the weekly run's summary; the deck posts)"),
)


def markdown() -> str:
    """docs/error-codes.md: every code of the table, by run, with its meaning and fix."""
    out = ["# Error and reason codes", "",
           "Generated from `validators/codes.py` (`python -m validators.codes "
           "docs/error-codes.md`); do not edit by hand. `qap explain CODE` prints one entry.",
           ""]
    for run, title in _SECTIONS:
        out += [f"## {run}: {title}", "", "| Code | Meaning | How to resolve |",
                "|---|---|---|"]
        for c in sorted((c for c in CODES.values() if c.run == run), key=lambda c: c.code):
            meaning = c.meaning + ("" if c.issued else " (not issued)")
            if c.needs_cum_file:
                meaning += " (checked against the Cumulative Data File)"
            if c.run == RUN_INV:
                meaning = f"{c.severity}: {meaning}"
            if (c.run, c.code) in SUB_REASONS:
                meaning += " The register says which: " + "; ".join(
                    SUB_REASONS[(c.run, c.code)].values()) + "."
            cells = (c.code, meaning, c.resolution)
            out.append("| " + " | ".join(s.replace("|", "\\|") for s in cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(markdown())
    else:
        sys.stdout.write(markdown())
