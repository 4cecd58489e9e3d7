"""The years a date may take, in an HDR and on the command line (docs/decisions.md, "HDR
dates near the ends of the calendar"): a week's periods, quarter and fiscal year reach a year
either side of its week ending, and a run date makes run ids and report headings. Its own
module so that the CLI reads it without loading the deck machinery (and polars)."""

FIRST_YEAR, LAST_YEAR = 1900, 2099
