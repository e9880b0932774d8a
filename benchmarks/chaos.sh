#!/usr/bin/env bash
# The long chaos run (root): N runs of failover-basic killed at random instants
# with random signals (SIGINT, SIGTERM, SIGKILL), then a normal run; the host
# must be exactly as before. CI runs the same test with 20.
#   benchmarks/chaos.sh [RUNS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export VRRPLAB_CHAOS_RUNS="${1:-200}"
[ -n "${2:-}" ] && export VRRPLAB_CHAOS_SEED="$2"
exec .venv/bin/python -m pytest tests/lab/test_robustness.py -k chaos -q
