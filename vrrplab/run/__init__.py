"""A run: the runner that sequences a scenario over the lab, and the processes that watch
it (the client's prober, the capture, the scheduling-latency sampler). Its output is the
run directory: raw records that the analysis reads."""
