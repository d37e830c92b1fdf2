#!/bin/sh
# A command-target evaluator that needs no CPU: it sleeps a fixed time
# (seconds in the file $2, else 0.3) and reports a time computed from the
# knobs, so the tuner has something to find. Used by e2e_slurm and
# tools/bench-slurm.
s=0.3
[ -n "${2:-}" ] && [ -r "$2" ] && s=$(cat "$2")
sleep "$s"
t=$(sed -n 's/^#define TILE \([0-9]*\).*/\1/p' "$1")
u=$(sed -n 's/^#define UNROLL \([0-9]*\).*/\1/p' "$1")
echo "{\"correct\":true,\"time_ns\":$((100000 / (t * u + 1) + 1000)),\"samples\":1}"
