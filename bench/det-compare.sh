#!/bin/bash
# usage: det.sh jarA jarB  -> compares events.jsonl sha256 for a set of runs
A=$1; B=$2; fail=0
while read -r args; do
  for j in $A $B; do rm -rf /tmp/q/d-$(basename $j); java -jar $j run $args --no-progress --out /tmp/q/d-$(basename $j) >/dev/null 2>&1; done
  ha=$(sha256sum /tmp/q/d-$(basename $A)/events.jsonl 2>/dev/null | cut -c1-16); hb=$(sha256sum /tmp/q/d-$(basename $B)/events.jsonl 2>/dev/null | cut -c1-16)
  n=$(wc -l < /tmp/q/d-$(basename $A)/events.jsonl 2>/dev/null)
  if [ -n "$ha" ] && [ "$ha" = "$hb" ]; then echo "same $ha $n  $args"; else echo "DIFF $ha $hb  $args"; fail=1; fi
done <<'RUNS'
--seed 1
--seed 2 --guests 20
--seed 3 --strategy naive-reset
--seed 4 --strategy disconnect
--seed 7 --scenario /work/wt/fast/scenarios/backend-crash.conf
--seed 8 --scenario /work/wt/fast/scenarios/xenstored-restart.conf
--seed 9 --scenario /work/wt/fast/scenarios/domain-destroy.conf
--seed 10 --scenario /work/wt/fast/scenarios/evtchn-faults.conf
--seed 11 --scenario /work/wt/fast/scenarios/grant-map-eagain.conf
--seed 12 --xenstored ocaml
--seed 13 --xenstored c-4.17 --edk2 2022.11
--seed 14 --schedule pct:3 --guests 2
--seed 15 --firmware-io async --guests 3
RUNS
exit $fail
