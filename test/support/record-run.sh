#!/bin/sh
# A fast job program for the reliability tests (a shell starts in about a millisecond, so thousands
# of jobs run in seconds). Each run appends its job name as one line to $RUNS_FILE: an O_APPEND
# write this short is atomic, so concurrent runs never interleave and duplicates can be counted.
#   RUNS_FILE      the shared file of runs (required)
#   SLEEP_SECONDS  run this long after recording the run
#   EXIT_CODE      exit code (default 0)
printf '%s\n' "$RADIX_JOB_NAME" >> "$RUNS_FILE"
if [ -n "$SLEEP_SECONDS" ]; then sleep "$SLEEP_SECONDS"; fi
exit "${EXIT_CODE:-0}"
