#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_grafana: examples/grafana/tailgate.json is a dashboard Grafana
# imports as it is (valid JSON, a title and uid, panels with targets, the
# data source a variable rather than one installation's uid), and every
# PromQL expression in it (panel targets and template queries) names only
# metrics that metrics.c emits. It shows what the operator needs:
# verdict rates by stage and generation, the live generation per attach
# point, rollouts and breaches.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"
TG_NAME=grafana
command -v jq >/dev/null || tg_skip "jq is missing (make deps)"
cd "$top" || exit 1
G=examples/grafana/tailgate.json

tg_check "the dashboard is valid JSON" jq -e . "$G" >/dev/null
tg_check "it has a title and a uid" jq -e '(.title | length > 0) and (.uid | length > 0)' "$G" >/dev/null
tg_check "it is not an export with __inputs to fill in" jq -e 'has("__inputs") | not' "$G" >/dev/null
tg_check "panels have ids, grid positions and targets" \
	jq -e '[.panels[] | select(.type != "row")] | length >= 6 and all(has("id") and has("gridPos") and (.targets | length > 0))' "$G" >/dev/null
tg_check "panel ids are unique" jq -e '[.panels[].id] | length == (unique | length)' "$G" >/dev/null
tg_check "the data source is the \$datasource variable everywhere" \
	jq -e '[.. | objects | select(has("datasource")) | .datasource | select(type == "object" and .type == "prometheus") | .uid] | all(. == "${datasource}")' "$G" >/dev/null
tg_check "a datasource variable of type prometheus" \
	jq -e 'any(.templating.list[]; .name == "datasource" and .type == "datasource" and .query == "prometheus")' "$G" >/dev/null

# Every expression, and the metric names in it.
exprs=$(jq -r '[.panels[].targets[]?.expr, (.templating.list[] | select(.type == "query") | .definition)] | .[]' "$G")
tg_assert_ge "$(wc -l <<<"$exprs")" 10 "the dashboard has expressions"
used=$(grep -oE '\btailgate_[a-z_]+' <<<"$exprs" | sort -u)
emitted=$(grep -ho '"tailgate_[a-z_]*' orchestrator/metrics.c | tr -d '"' | sort -u)
tg_check "metrics.c emits metrics" test -n "$emitted"
for m in $used; do
	tg_check "the dashboard's $m is a metric metrics.c emits" grep -qx "$m" <<<"$emitted"
done
# Names that are not metrics: PromQL functions, label names, variables.
words=$(sed -E 's/"[^"]*"//g; s/\$[a-z_]+//g; s/\[[^]]*\]//g' <<<"$exprs" | grep -oE '\b[a-z_][a-z0-9_]*\b' | sort -u)
known="by sum max rate increase label_values instance interface hook role verdict stage generation slot outcome gate state health dispatcher"
for w in $words; do
	case " $known " in *" $w "*) continue ;; esac
	[[ $w == tailgate_* ]] && continue
	tg_check "'$w' in an expression is a known function or label" false
done

# What it shows.
has_expr() { grep -q -- "$1" <<<"$exprs"; }
tg_check "verdict rates by stage and generation" has_expr 'sum by (interface, stage, generation, verdict) (rate(tailgate_stage_verdicts_total'
tg_check "live generation per attach point" has_expr 'tailgate_live_generation'
tg_check "rollouts by outcome" has_expr 'sum by (outcome) (increase(tailgate_rollouts_total'
tg_check "breaches by gate" has_expr 'sum by (gate) (increase(tailgate_breaches_total'
# Labels the expressions use are labels metrics.c writes.
for l in $(grep -oE '\b(by|on) \([a-z_, ]+\)' <<<"$exprs" | sed -E 's/.*\(//; s/\)//; s/,/ /g' | tr ' ' '\n' | sort -u); do
	[[ $l == instance ]] && continue	# added by Prometheus
	tg_check "label '$l' is written by metrics.c" grep -q "\"$l\"" orchestrator/metrics.c
done

tg_test_end
