#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_prometheus: the metrics of a small live fleet (tginp0 and an
# interface named tginp"x\y, under ping traffic) after three rollouts (a
# counter, counter + blocklist, and a drop_all that its gate rolls back)
# are valid Prometheus text: `promtool check metrics` (parse and lint)
# and prometheus_client's parser accept both `stats --prometheus` and the
# file `--output` writes atomically; names follow node_exporter's
# conventions (counters end in _total, base units); the hostile name's
# labels are escaped and read back exactly; the numbers agree with the
# datapath (verdicts add up to packets, live generation as status says,
# the rejected generation and the breach are there); and sampling every
# attach point with rates waits one interval, not one per attach point.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin prometheus
command -v promtool >/dev/null || tg_skip "promtool is missing (Debian package prometheus; make deps)"
/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null ||
	tg_skip "python3-prometheus-client is missing (make deps)"
BPF=$top/build/bpf
HOSTILE='tginp"x\y'

tg_host tginph0 tginp0 198.19.244.1/24 198.19.244.2
tg_on_exit "ip link del 'tginp\"x\\y'"
tg_host tginph1 "$HOSTILE" 198.19.245.1/24 198.19.245.2
for i in 0 1; do
	ip netns exec "tginph$i" ping -q -i 0.02 -w 300 "198.19.24$((4 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $! 2>/dev/null"
done

# plan NAME STAGE... : canary tginp0, fleet the hostile one.
plan() {
	local name=$1 s
	shift
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [tginp0]\n  fleet: ["tginp\\"x\\\\y"]\npipeline:\n' "$name"
		for s in "$@"; do
			printf '  - name: %s\n    object: %s/%s.bpf.o\n    program: %s\n' "$s" "$BPF" "$s" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: 1s, interval: 500ms}\n  - promote: {batch: 1}\ngates:\n  min_packets: 10\n'
	} >"$TG_TMP/$name.yaml"
}
plan v1 counter
plan v2 counter blocklist
plan bad counter drop_all
"$TG" -q apply "$TG_TMP/v1.yaml"
tg_assert_eq "$?" 0 "v1 promoted"
"$TG" -q apply "$TG_TMP/v2.yaml"
tg_assert_eq "$?" 0 "v2 promoted"
"$TG" -q apply "$TG_TMP/bad.yaml" 2>/dev/null
tg_assert_eq "$?" 3 "drop_all rolled back by its gate"
sleep 1

M=$TG_TMP/stdout.prom
"$TG" stats --prometheus >"$M"
tg_assert_eq "$?" 0 "stats --prometheus"
mkdir -p "$TG_TMP/textfile"
F=$TG_TMP/textfile/tailgate.prom
"$TG" stats --prometheus --output "$F"
tg_assert_eq "$?" 0 "stats --prometheus --output FILE"
tg_assert_eq "$(stat -c %a "$F")" 644 "the file is 0644 (node_exporter reads it)"
tg_assert_eq "$(ls -A "$TG_TMP/textfile")" tailgate.prom "no temporary file left beside it"
"$TG" stats --prometheus --output "$F"
tg_assert_eq "$?" 0 "stats --output replaces an existing file"
"$TG" stats --prometheus --output "$TG_TMP/no-such-dir/x.prom" 2>"$TG_TMP/err"
tg_assert_eq "$?" 1 "stats --output into a missing directory fails"
tg_check "... saying which file" grep -q "no-such-dir/x.prom" "$TG_TMP/err"

for f in "$M" "$F"; do
	out=$(promtool check metrics <"$f" 2>&1)
	tg_assert_eq "$?" 0 "promtool check metrics accepts ${f##*/}"
	tg_assert_eq "$out" "" "promtool has no lint finding for ${f##*/}"
	tg_check "prometheus_client parses ${f##*/}" /usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
fams = list(parse(open(sys.argv[1], encoding="utf-8").read()))
assert len(fams) >= 10, len(fams)' "$f"
done

# Conventions: every counter is *_total; base units only; snake_case.
tg_check "every counter is named *_total" bash -c "! awk '\$1 == \"#\" && \$2 == \"TYPE\" && \$4 == \"counter\" && \$3 !~ /_total\$/' '$M' | grep -q ."
tg_check "no non-base units in names" bash -c "! grep -E '^# TYPE [a-z_]*(milli|micro|nano|kilo|mega|_ms_|_ms |_percent|_kb|_mb)' '$M'"
tg_check "every family has HELP and TYPE" bash -c "[ \$(grep -c '^# HELP' '$M') -eq \$(grep -c '^# TYPE' '$M') ]"
tg_check "bytes are *_bytes_total" grep -q '^# TYPE tailgate_stage_bytes_total counter' "$M"
tg_check "metric names are tailgate_ and snake_case" bash -c "! grep -v '^#' '$M' | grep -vE '^tailgate_[a-z_]+(\{|\s)' | grep -q ."

# The hostile name: escaped in the text, exact once parsed.
tg_check 'the label is escaped as interface="tginp\"x\\y"' grep -qF 'interface="tginp\"x\\y"' "$M"
/usr/bin/python3 - "$M" "$HOSTILE" >"$TG_TMP/py.out" 2>&1 <<'EOF'
import sys, collections
from prometheus_client.parser import text_string_to_metric_families as parse
path, hostile = sys.argv[1], sys.argv[2]
fams = {f.name: f for f in parse(open(path, encoding="utf-8").read())}
def samples(name):
    fam = fams[name[:-len("_total")] if name.endswith("_total") else name]
    return [s for s in fam.samples if s.name == name]
# The parser drops _total from a counter family's name, not its samples'.
live = {s.labels["interface"]: s.value for s in samples("tailgate_live_generation")}
assert set(live) == {"tginp0", hostile}, live
assert live["tginp0"] == live[hostile] > 0, live
# Verdicts add up to packets, row by row (the datapath's invariant).
pk = {}
for s in fams["tailgate_stage_packets"].samples:
    if s.name == "tailgate_stage_packets_total" and s.labels["role"] != "dispatcher":
        pk[tuple(sorted(s.labels.items()))] = s.value
vs = collections.Counter()
for s in fams["tailgate_stage_verdicts"].samples:
    if s.name != "tailgate_stage_verdicts_total" or s.labels["role"] == "dispatcher":
        continue
    l = dict(s.labels); del l["verdict"]
    vs[tuple(sorted(l.items()))] += s.value
assert pk and set(pk) == set(vs), (len(pk), len(vs))
for k in pk:
    assert pk[k] == vs[k], (k, pk[k], vs[k])
roles = {s.labels["role"] for s in fams["tailgate_stage_packets"].samples}
assert {"live", "rejected", "dispatcher"} <= roles, roles
stages = {(s.labels["interface"], s.labels["stage"], s.labels["role"]) for s in fams["tailgate_stage_packets"].samples}
assert (hostile, "blocklist", "live") in stages, stages
assert (hostile, "drop_all", "rejected") in stages, stages
assert any(s.value > 0 for s in samples("tailgate_stage_packets_total") if s.labels["interface"] == hostile)
outcomes = {s.labels["outcome"]: s.value for s in fams["tailgate_rollouts"].samples}
assert outcomes["promoted"] >= 2 and outcomes["rolled_back"] >= 1, outcomes
gates = {s.labels["gate"]: s.value for s in fams["tailgate_breaches"].samples}
assert gates.get("max_drop_ratio", 0) >= 1, gates
state = {s.labels["state"]: s.value for s in fams["tailgate_rollout_state"].samples}
assert state == {"running": 0, "paused": 0}, state
print("ok")
EOF
tg_assert_eq "$(cat "$TG_TMP/py.out")" ok "parsed metrics agree with the datapath ($(tail -n 1 "$TG_TMP/py.out"))"
gen=$("$TG" --json status | jq -r '.attach_points[] | select(.ifname == "tginp0") | .live_generation')
tg_check "live generation as status says ($gen)" grep -q "^tailgate_live_generation{interface=\"tginp0\",hook=\"xdp\"} $gen\$" "$M"

# One interval for all attach points (with four of them: two hooks each).
"$TG" -q apply "$(sed 's/hook: xdp/hook: tc-ingress/; s/name: v1/name: v1tc/' "$TG_TMP/v1.yaml" >"$TG_TMP/v1tc.yaml"; echo "$TG_TMP/v1tc.yaml")"
tg_assert_eq "$?" 0 "v1 on tc-ingress too"
n=$("$TG" --json stats --interval 0 | jq '.attach_points | length')
tg_assert_eq "$n" 4 "four attach points"
start=$(date +%s%N)
"$TG" stats --interval 1s >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
tg_check "stats --interval 1s over 4 attach points takes one interval (${ms} ms)" test "$ms" -lt 1900

tg_test_end
