#!/bin/sh
# Regenerates every figure of docs/performance.md in one run and writes
# them, as markdown tables with the machine, commit, date and Go version,
# to docs/performance-figures.md: cph-bench on SQLite and on PostgreSQL
# (fleets of 1,000, 100,000 and 1,000,000 phones; the fan-out of 100
# batches, spread and grouped, at 100,000 and 1,000,000 phones, with its
# engine baseline), each three times (medians, with their range), and the
# Go benchmarks of the hot paths. It takes about 30 minutes on a 2-CPU machine.
#
#   bench/figures.sh                  the full run
#   QUICK=1 bench/figures.sh          a smoke run (small fleets, 1 s loads, two runs)
#   PG_URL= bench/figures.sh          SQLite only
#   OUT=/tmp/f.md bench/figures.sh --log-level warn    another file; cph-bench flags (they override)
#
# PG_URL is a postgres:// URL of a database on the PostgreSQL server to
# use; cph-bench creates a new database there for each run (and for each
# engine baseline) and drops it after, so the user needs CREATEDB.
# SIZES, FANOUT_AT, DURATION, REPEAT and BENCHTIME override the sizes,
# the fan-out's sizes, the list measurements' duration, the runs per
# database and the Go benchmarks' -benchtime.
set -eu
cd "$(dirname "$0")/.."

PG_URL=${PG_URL-postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable}
OUT=${OUT:-docs/performance-figures.md}
if [ "${QUICK:-}" = 1 ]; then
	SIZES=${SIZES:-1k,10k} FANOUT_AT=${FANOUT_AT:-10k} DURATION=${DURATION:-1s} REPEAT=${REPEAT:-2} BENCHTIME=${BENCHTIME:-1x}
	set -- --token-duration 1s --idle-duration 1s --go-bench-short "$@"
else
	SIZES=${SIZES:-1k,100k,1M} FANOUT_AT=${FANOUT_AT:-100k,1M} DURATION=${DURATION:-5s} REPEAT=${REPEAT:-3} BENCHTIME=${BENCHTIME:-2s}
fi
if [ -n "$PG_URL" ]; then
	set -- --database "$PG_URL" "$@"
fi

# Flags given to the script come last: they override these.
exec go run ./cmd/cph-bench --database sqlite \
	--sizes "$SIZES" --fanout-at "$FANOUT_AT" --fanout-layout both --fanout-requests 100 \
	--duration "$DURATION" --repeat "$REPEAT" \
	--go-bench ./engine,./iam,./controlplane,./console/browsertest --go-bench-time "$BENCHTIME" \
	--markdown "$OUT" "$@"
