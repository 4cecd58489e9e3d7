"""Every code the individual data step issues, in one table each: Form 6489 message codes and
error reasons, and the reasons a record is listed on the Weekly Data Not Posted report.

The message codes are IRM 3.30.28.4.5 / rules.md; the reason codes and their wording are this
project's (the IRM gives none). The check that emits each reason lives beside the data it reads:
`time_reports.CHECKS` (T*), `review_data` (N*), `ipr_adjustments` (A*), `step` (I*: the weekly
run could not run the step for a record at all). A test proves every code here is emitted by some
check and triggered by some fixture line.
"""

from __future__ import annotations

# Form 6489 message codes, as printed on the Individual Performance History Adjustment Report.
ADDED, DELETED, ADJUSTED, ERROR = "1", "2", "3", "4"
MESSAGES = {
    ADDED: "ADDED",
    DELETED: "DELETED",
    ADJUSTED: "ADJUSTED",
    ERROR: "ERROR, NO ACTION TAKEN",
}

# Form 6489 error reasons (message code 4). Every reason found on a form is kept; the report
# prints the codes and the text of the first.
ADJUSTMENT_REASONS = {
    "A01": "ADJUSTMENT CODE NOT 1 2 3 4 9 A B C OR D",
    "A02": "SSN NOT 9 DIGITS",
    "A03": "OFP NOT ON OFP CONSISTENCY FILE",
    "A04": "GRADE NOT 2 DIGITS",
    "A05": "RECORD CODE NOT 1 OR 2",
    "A06": "SIGNED FIGURE NOT DIGITS AND SIGN",
    "A07": "QUARTER ENDING NOT THE QUARTER THE CODE ADJUSTS",
    "A08": "NO FIGURES TO SUBSTITUTE OR ADD",
    "A09": "NO CUM JOB RECORD TO ADJUST",
    "A10": "CUM JOB RECORD ALREADY EXISTS",
    "A11": "RECORD CODE DISAGREES WITH CURRENT/PRIOR GRADE",
    "A12": "A FIGURE WOULD GO NEGATIVE",
    "A13": "ERRORS WOULD EXCEED DOCUMENTS REVIEWED",
    "A14": "SSN NOT ON EMPLOYEE MASTER",
    "A15": "FORMAT CODE NOT 060 OR COLUMNS 9-15 NOT BLANK",
    "A16": "M/C PCA, M/C TEPS, TIME OR CLASS CODE NOT A CODE",
    "A17": "STEP NOT 2 DIGITS",
    "A18": "WEEK ENDING NOT A DATE",
}

# Why a record of individual data did not post (Weekly Data Not Posted report): N* are review
# transactions (no matching Form 3081), T* are Forms 3081 that failed a check.
NOT_POSTED_REASONS = {
    "N01": "NO 3081 SAME SSN, OFP AND WEEK",
    "N02": "REVIEW DATED OUTSIDE THIS WEEK",
    "T01": "SSN NOT 9 DIGITS",
    "T02": "SSN NOT ON EMPLOYEE MASTER",
    "T03": "WEEK ENDING NOT THIS WEEK",
    "T04": "OFP NOT ON OFP FILE",
    "T05": "HOURS NOT DIGITS",
    "T06": "VOLUME NOT BLANK OR DIGITS",
    "T07": "GRADE OR STEP NOT 2 DIGITS",
    "T08": "TIME CODE NOT 1, 2 OR 3",
    "T09": "FORMAT CODE NOT 073 OR COLUMNS 9-15 NOT BLANK",
}

# Why the weekly run's individual data step could not take a Form 3081 or 6489 at all; the record
# goes to the open error register with this code (and is listed on Weekly Data Not Posted).
STEP_REASONS = {
    "I01": "NO EMPLOYEE MASTER FILE",
}

# Every code a Form 3081 / 6489 record of the weekly run can be rejected with, and its text.
RECORD_REASONS = {**STEP_REASONS, **ADJUSTMENT_REASONS,
                  **{k: v for k, v in NOT_POSTED_REASONS.items() if k.startswith("T")}}
