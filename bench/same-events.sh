#!/bin/bash
# Do two xensim jars give byte-identical events.jsonl for the same runs? (a performance change
# must not move a single event). Usage: bench/same-events.sh A.jar B.jar
# Prints one line per run: "same <sha256 prefix> <events>" or "DIFF ..."; exit 1 on any difference.
set -u
[ $# -eq 2 ] || { echo "usage: bench/same-events.sh A.jar B.jar" >&2; exit 2; }
A=$1; B=$2; here=$(cd "$(dirname "$0")/.." && pwd); tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; fail=0
while read -r args; do
  [ -z "$args" ] && continue
  java -jar "$A" run $args --no-progress --out "$tmp/a" >/dev/null 2>&1
  java -jar "$B" run $args --no-progress --out "$tmp/b" >/dev/null 2>&1
  ha=$(sha256sum "$tmp/a/events.jsonl" 2>/dev/null | cut -c1-16); hb=$(sha256sum "$tmp/b/events.jsonl" 2>/dev/null | cut -c1-16)
  n=$(wc -l < "$tmp/a/events.jsonl" 2>/dev/null || echo 0)
  if [ -n "$ha" ] && [ "$ha" = "$hb" ]; then echo "same $ha $n  $args"; else echo "DIFF ${ha:-none} ${hb:-none}  $args"; fail=1; fi
  rm -rf "$tmp/a" "$tmp/b"
done <<RUNS
--seed 1
--seed 2 --guests 20
--seed 3 --strategy naive-reset
--seed 4 --strategy disconnect
--seed 7 --scenario $here/scenarios/backend-crash.conf
--seed 8 --scenario $here/scenarios/xenstored-restart.conf
--seed 9 --scenario $here/scenarios/domain-destroy.conf
--seed 10 --scenario $here/scenarios/evtchn-faults.conf
--seed 11 --scenario $here/scenarios/grant-map-eagain.conf
--seed 12 --xenstored ocaml
--seed 13 --xenstored c-4.17 --edk2 2022.11
--seed 14 --schedule pct:3 --guests 2
--seed 15 --firmware-io async --guests 3
RUNS
exit $fail
