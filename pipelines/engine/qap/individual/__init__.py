"""Individual data: Forms 3081 and 6489, employee cum job records, the weekly IPR, the SAR and
the Weekly Data Not Posted report (rules.md, "Individual data, IPR and SAR"; IRM 3.30.28.3,
3.30.28.4.5). Plain functions over polars frames, no printing: `run.calculate` computes one week
and `run`'s docstring lists every Parquet output's columns; `step.run_step` is what the weekly
run calls (records in, records out with their fate, state tables, the frames each week prints).
The reports are laid out by `pipelines.reports.individual_week`.

Modules, in the order the step runs them:

* `periods` -- weeks, fiscal quarters, split weeks, rating-period weeks, RSD.
* `reference` -- Employee Master File and OFP Consistency File as the step reads them.
* `time_reports` -- Forms 3081 checked and placed in a period and quarter.
* `review_data` -- individual review transactions matched to the 3081s.
* `cum_jobs` -- `post_week`: the week into the cum job records; current/prior grade.
* `ipr_adjustments` -- Forms 6489 applied, one message code each.
* `ipr`, `sar`, `not_posted` -- the report frames (`measures` computes their figures).
* the checks are rules in `validators/` (ipr_3081, ipr_6489, not_posted) and every code is in
  `validators/codes.py`.
* `step` -- the weekly run's one call: weeks, store tables, register fate of every record.
"""
