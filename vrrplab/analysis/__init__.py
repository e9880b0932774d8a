"""From a run's records to a verdict: metrics and results.json (results), the timing
windows (windows, timing), the checks, and the report. Pure but for reading the run's
files and drawing the plot."""
