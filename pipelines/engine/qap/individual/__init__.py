"""Individual data: Forms 3081 and 6489, employee cum job records, the weekly IPR, the SAR and
the Weekly Data Not Posted report (rules.md, "Individual data, IPR and SAR"; IRM 3.30.28.3,
3.30.28.4.5). Plain functions over polars frames; `run.run_individual` runs one week and its
docstring lists every Parquet output's columns; `step.run_step` is what the weekly run calls
(records in, records out with their fate, state tables, reports written to the run folder).

Modules, in the order the step runs them:

* `periods` -- weeks, fiscal quarters, split weeks, rating-period weeks, RSD.
* `reference` -- Employee Master File and OFP Consistency File as the step reads them.
* `time_reports` -- Forms 3081 checked and placed in a period and quarter.
* `review_data` -- individual review transactions matched to the 3081s.
* `cum_jobs` -- `post_week`: the week into the cum job records; current/prior grade.
* `ipr_adjustments` -- Forms 6489 applied, one message code each.
* `ipr`, `sar`, `not_posted` -- the report frames (`measures` computes their figures).
* `codes` -- every message and reason code; `print_columns` -- report column specs and the
  fast detail-line builder.
* `step` -- the weekly run's one call: weeks, store tables, register fate of every record.
"""
