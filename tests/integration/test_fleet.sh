#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_fleet: examples/fleet/rollout.yml run by ansible-playbook (Debian's
# ansible-core, local connection) against three "hosts" on this machine,
# each with its own two interfaces (veth into its own namespaces, live
# ping traffic), pin root and state directory:
#   canary1 (tgftc0/1, group canary), fleet1 (tgfta0/1), fleet2 (tgftb0/1,
#   whose clients also send IPv6), waves of 1 (the default).
# Results are read from the JSON callback (ANSIBLE_STDOUT_CALLBACK=json),
# each host's tailgate history and, for slot 0, stock bpftool.
#   0. a first install (counter-v3) failing in wave 2: canary1 and fleet1,
#      which it reached, are detached again (no attach point, no XDP);
#   1. counter-v1 is promoted on all three, in order: canary first, then
#      wave 1, then wave 2;
#   2. a re-run reports changed=0 on every host, and changes no slot;
#   3. a bad version (drop_all) fails on canary1 (its breach in the
#      message), the fleet hosts never run apply, and every slot 0 is as
#      before (bpftool map lookup pinned .../slots key 0 0 0 0);
#   4. counter-v3 (drops IPv6) passes canary1 and fleet1, fails on fleet2 in
#      the second wave; canary1 and fleet1 go back to their previous
#      generation (slot 0 ids == before, the generation from status); the
#      rollback module run again flips nothing (guarded, not a toggle);
#   5. the same with waves of 2 (-e tailgate_serial=2): fleet1, promoted in
#      the batch where fleet2 fails, is rolled back too;
#   6. check mode (--check) says which hosts would change and changes none;
#   7. an unreachable fleet host: at preflight it stops the run before
#      anything moved; without preflight, the hosts moved before its wave
#      are rolled back;
#   8. the Kubernetes manifests of examples/fleet/kubernetes parse.
# TG_KEEP=DIR keeps the run's files (playbook JSON, plans, state dirs) there.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin fleet
[[ -n ${TG_KEEP:-} ]] && tg_on_exit "rm -rf $TG_KEEP; cp -r $TG_TMP $TG_KEEP"
PLAYBOOK=/usr/bin/ansible-playbook
[[ -x $PLAYBOOK ]] || tg_skip "$PLAYBOOK is missing (Debian's ansible-core; make deps)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || tg_skip "/usr/bin/python3 has no yaml module"
command -v jq >/dev/null || tg_fail "jq is missing; run make deps"
IPV6=$top/build/tests/bpf/drop_ipv6.bpf.o
[[ -f $IPV6 ]] || tg_fail "$IPV6 is not built; run make"

HOSTS=(canary1 fleet1 fleet2)
declare -A TAG=([canary1]=c [fleet1]=a [fleet2]=b) NET=([canary1]=48 [fleet1]=50 [fleet2]=52)
pin_root() { echo "$TAILGATE_PIN_ROOT-$1"; }
state_dir() { echo "$TG_TMP/$1/state"; }
on() { local h=$1; shift; TAILGATE_PIN_ROOT=$(pin_root "$h") TAILGATE_STATE_DIR=$(state_dir "$h") "$@"; }

for h in "${HOSTS[@]}"; do
	mkdir -p "$(state_dir "$h")"
	chmod 0700 "$TG_TMP/$h" "$(state_dir "$h")"
	tg_on_exit "rm -rf '$(pin_root "$h")'"
	tg_on_exit "TAILGATE_PIN_ROOT='$(pin_root "$h")' TAILGATE_STATE_DIR='$(state_dir "$h")' '$TG' detach --all"
	for i in 0 1; do
		n=$((${NET[$h]} + i))
		ns=tgft${TAG[$h]}$i-ns
		if [[ $h == fleet2 ]]; then
			tg_host "$ns" "tgft${TAG[$h]}$i" "198.19.$n.1/24" "198.19.$n.2" \
				"2001:2:0:f0$n::1/64" "2001:2:0:f0$n::2"
		else
			# IPv4-only clients: not one IPv6 packet (no router
			# solicitation, no MLD) for drop_ipv6 to drop.
			tg_host "$ns" "tgft${TAG[$h]}$i" "198.19.$n.1/24" "198.19.$n.2"
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1
		fi
		ip netns exec "$ns" ping -q -i 0.005 -w 900 "198.19.$n.1" >/dev/null 2>&1 &
		tg_on_exit "kill $!"
		if [[ $h == fleet2 ]]; then
			ip netns exec "$ns" ping -6 -q -i 0.01 -w 900 "2001:2:0:f0$n::1" >/dev/null 2>&1 &
			tg_on_exit "kill $!"
		fi
	done
done

# plan HOST VERSION STAGE...: the host's plan file of one version.
plan() {
	local h=$1 v=$2 s obj
	shift 2
	{
		printf 'name: %s\nhook: xdp\n' "$v"
		printf 'interfaces:\n  canary: [tgft%s0]\n  fleet: [tgft%s1]\n' "${TAG[$h]}" "${TAG[$h]}"
		printf 'pipeline:\n'
		for s in "$@"; do
			obj=$top/build/bpf/$s.bpf.o
			[[ -f $obj ]] || obj=$top/build/tests/bpf/$s.bpf.o
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$s" "$obj" "$s"
		done
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: 2s, interval: 500ms}\n'
		printf '  - promote: {batch: 1, analyze: 1s}\n'
		# min_rate_ratio low: on a busy machine the pings' own rate dips
		# (the rate gate has its own tests); the drops are what is judged.
		printf 'gates:\n  min_packets: 50\n  max_drop_ratio: 0.01\n  max_tail_misses: 0\n'
		printf '  min_rate_ratio: 0.1\n'
		printf 'on_failure: rollback\n'
	} >"$TG_TMP/$h/$v.yaml"
}
for h in "${HOSTS[@]}"; do
	plan "$h" v1 counter
	plan "$h" bad counter drop_all
	plan "$h" v3 counter drop_ipv6
done

# inventory FILE [EXTRA FLEET HOST LINE]
inventory() {
	{
		printf '[canary]\ncanary1\n\n[fleet]\nfleet1\nfleet2\n%s\n\n' "${2:-}"
		printf '[all:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n'
		printf 'tailgate_bin=%s\n' "$TG"
		printf 'tailgate_plan=%s/{{ inventory_hostname }}/{{ tgf_version }}.yaml\n' "$TG_TMP"
		printf 'tailgate_state_dir=%s/{{ inventory_hostname }}/state\n' "$TG_TMP"
		printf 'tailgate_pin_root=%s-{{ inventory_hostname }}\n' "$TAILGATE_PIN_ROOT"
	} >"$1"
}
inventory "$TG_TMP/inventory.ini"
export ANSIBLE_STDOUT_CALLBACK=json ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_NOCOLOR=1
export ANSIBLE_LOCAL_TEMP=$TG_TMP/ansible-local ANSIBLE_REMOTE_TEMP=$TG_TMP/ansible-remote

# play NAME VERSION [ARGS...]: run the playbook; its JSON in $TG_TMP/NAME.json.
# Without this test's own TAILGATE_* in the environment: each host's come
# from the inventory.
play() {
	local name=$1 v=$2
	shift 2
	env -u TAILGATE_PIN_ROOT -u TAILGATE_STATE_DIR timeout 300 "$PLAYBOOK" \
		-i "$TG_TMP/inventory.ini" "$top/examples/fleet/rollout.yml" -e "tgf_version=$v" "$@" \
		>"$TG_TMP/$name.json" 2>"$TG_TMP/$name.err"
}
# apply_field RUN HOST FIELD: a field of HOST's tailgate apply result (empty if it never ran)
apply_field() {
	jq -r --arg h "$2" --arg f "$3" '[.plays[].tasks[] | select(.task.name | contains("tailgate apply"))
		| .hosts[$h] // empty | .[$f]] | last // empty' "$TG_TMP/$1.json"
}
stat_of() { jq -r --arg h "$2" --arg f "$3" '.stats[$h][$f] // 0' "$TG_TMP/$1.json"; }
slot0() { tg_slot_prog_id "$(pin_root "$1")/tgft${TAG[$1]}$2/xdp" 0; }
slots() { local h; for h in "${HOSTS[@]}"; do printf '%s=%s,%s ' "$h" "$(slot0 "$h" 0)" "$(slot0 "$h" 1)"; done; }
live_gens() { on "$1" "$TG" status --json | jq -r '[.attach_points[].live_generation] | map(tostring) | join(",")'; }
newest_rollout() { on "$1" "$TG" history --json | jq -c '[.entries[] | select(.type == "rollout")] | first'; }

echo "# 0. a first install failing in wave 2: the hosts it reached are detached again"
play first v3
tg_assert_ne "$?" 0 "first install of v3: ansible-playbook fails"
tg_assert_eq "$(apply_field first fleet2 outcome)" rolled_back "first install: fleet2 rolled back by its gates"
for h in canary1 fleet1; do
	tg_assert_eq "$(apply_field first "$h" outcome)" promoted "first install: $h promoted first"
	tg_assert_eq "$(on "$h" "$TG" status --json | jq -c '.attach_points')" "[]" \
		"first install: $h has no attach point left (detached, as before the run)"
	tg_check "first install: $h has no slots pin left" bash -c "! ls '$(pin_root "$h")'/*/xdp/slots 2>/dev/null | grep -q ."
	tg_check "first install: no XDP program on ${h}'s interfaces" \
		bash -c "! ip link show tgft${TAG[$h]}0 | grep -q xdp && ! ip link show tgft${TAG[$h]}1 | grep -q xdp"
done

echo "# 1. counter-v1, promoted host by host"
play v1 v1
tg_assert_eq "$?" 0 "v1: ansible-playbook exit 0"
declare -A GEN
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(apply_field v1 "$h" outcome)" promoted "v1: $h promoted"
	tg_assert_eq "$(stat_of v1 "$h" changed)" 1 "v1: $h changed=1 (the apply task only)"
	tg_assert_eq "$(stat_of v1 "$h" failures)" 0 "v1: $h failures=0"
	GEN[$h]=$(apply_field v1 "$h" generation)
	tg_assert_eq "$(live_gens "$h")" "${GEN[$h]},${GEN[$h]}" "v1: both interfaces of $h on generation ${GEN[$h]}"
done
order=$(jq -r '[.plays[] | select(.tasks | any(.task.name | contains("tailgate apply")))
	| .tasks[] | select(.task.name | contains("tailgate apply")) | .hosts | keys[]] | join(" ")' "$TG_TMP/v1.json")
tg_assert_eq "$order" "canary1 fleet1 fleet2" "v1: applied one host per play batch: canary1, then fleet1, then fleet2"
tg_check "v1: canary1 finished before fleet1 started, fleet1 before fleet2 (tailgate's event times)" \
	awk -v a="$(apply_field v1 canary1 finished)" -v b="$(apply_field v1 fleet1 started)" \
	-v c="$(apply_field v1 fleet1 finished)" -v d="$(apply_field v1 fleet2 started)" \
	'BEGIN { exit !(a > 0 && a < b && b < c && c < d) }'
tg_check "v1: each host's history agrees (canary1 ended <= fleet1 started, fleet1 ended <= fleet2 started)" \
	awk -v a="$(newest_rollout canary1 | jq .ended)" -v b="$(newest_rollout fleet1 | jq .started)" \
	-v c="$(newest_rollout fleet1 | jq .ended)" -v d="$(newest_rollout fleet2 | jq .started)" \
	'BEGIN { exit !(a > 0 && a <= b && c <= d) }'
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(newest_rollout "$h" | jq -r '.outcome + " " + .plan')" "promoted v1" "v1: $h history: promoted v1"
done
v1_slots=$(slots)
tg_check "v1: every interface has a program in slot 0 ($v1_slots)" \
	grep -qE '^(canary1|fleet1|fleet2)=[0-9]+,[0-9]+ (.*=[0-9]+,[0-9]+ ){2}$' <<<"$v1_slots"

echo "# 2. a re-run of the promoted plan changes nothing"
play rerun v1
tg_assert_eq "$?" 0 "re-run: exit 0"
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(stat_of rerun "$h" changed)" 0 "re-run: $h changed=0"
	tg_assert_eq "$(stat_of rerun "$h" failures)" 0 "re-run: $h failures=0"
	tg_assert_eq "$(apply_field rerun "$h" outcome)" unchanged "re-run: $h outcome unchanged"
done
tg_assert_eq "$(slots)" "$v1_slots" "re-run: no slot 0 changed"

echo "# 3. a bad version, caught on the canary host"
play bad bad
rc=$?
tg_assert_ne "$rc" 0 "bad: ansible-playbook fails"
tg_assert_eq "$(stat_of bad canary1 failures)" 1 "bad: canary1 failed"
tg_assert_eq "$(apply_field bad canary1 outcome)" rolled_back "bad: canary1's tailgate rolled it back (outcome rolled_back)"
tg_assert_eq "$(apply_field bad canary1 rc)" 3 "bad: canary1's tailgate exit 3"
msg=$(jq -r '[.plays[].tasks[].hosts.canary1.msg // empty] | last' "$TG_TMP/bad.json")
gate=$(apply_field bad canary1 breach | jq -r .gate)
tg_check "bad: the failure names the breach (${gate:-no gate} on tgftc0)" \
	grep -q "gate ${gate:-none} breached on tgftc0" <<<"$msg"
for h in fleet1 fleet2; do
	tg_assert_eq "$(apply_field bad "$h" rc)" "" "bad: $h never ran tailgate apply"
	tg_assert_eq "$(stat_of bad "$h" changed)" 0 "bad: $h changed=0"
done
tg_assert_eq "$(slots)" "$v1_slots" "bad: slot 0 of every interface of every host as before (bpftool)"
tg_assert_eq "$(newest_rollout canary1 | jq -r '.outcome + " " + .plan')" "rolled_back bad" "bad: canary1's history: rolled back"

echo "# 4. counter-v3: passes canary1 and wave 1, fails on fleet2 in wave 2"
play v3 v3
tg_assert_ne "$?" 0 "v3: ansible-playbook fails"
tg_assert_eq "$(apply_field v3 canary1 outcome)" promoted "v3: canary1 promoted (IPv4 only)"
tg_assert_eq "$(apply_field v3 fleet1 outcome)" promoted "v3: fleet1 promoted in wave 1"
tg_assert_eq "$(apply_field v3 fleet2 outcome)" rolled_back "v3: fleet2 rolled back by its gates in wave 2"
tg_assert_eq "$(apply_field v3 fleet2 breach | jq -r .gate)" max_drop_ratio "v3: fleet2 breached max_drop_ratio (its IPv6 traffic)"
tg_assert_eq "$(stat_of v3 fleet2 failures)" 1 "v3: fleet2 failed"
rb=$(jq -c '[.plays[].tasks[] | select(.task.name | contains("fleet-wide rollback")) | .hosts[].results[]?
	| select(.skipped | not) | {item, changed, failed: (.failed // false)}]' "$TG_TMP/v3.json")
tg_assert_eq "$rb" '[{"item":"fleet1","changed":true,"failed":false},{"item":"canary1","changed":true,"failed":false}]' \
	"v3: the rescue rolled back fleet1, then canary1 (newest first), nothing else"
tg_assert_eq "$(slots)" "$v1_slots" "v3: every host's slot 0 ids == before (canary1, fleet1 back; fleet2 never moved)"
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(live_gens "$h")" "${GEN[$h]},${GEN[$h]}" "v3: $h serves its previous generation ${GEN[$h]} on both interfaces"
done
for h in canary1 fleet1; do
	tg_check "v3: $h history has the rollback to generation ${GEN[$h]}" \
		grep -q "rolled back to generation ${GEN[$h]} " <<<"$(on "$h" "$TG" history)"
done

echo "# 4b. the fleet rollback is guarded: run again, it flips nothing back"
export ANSIBLE_LIBRARY=$top/examples/fleet/roles/tailgate_rollout/library
export ANSIBLE_MODULE_UTILS=$top/examples/fleet/roles/tailgate_rollout/module_utils
g3=$(apply_field v3 canary1 generation)
rollback_again() { # PREVIOUS: tailgate_rollback on canary1 as the rescue ran it, with PREVIOUS
	env -u TAILGATE_PIN_ROOT -u TAILGATE_STATE_DIR ANSIBLE_STDOUT_CALLBACK=minimal \
		/usr/bin/ansible canary1 -i "$TG_TMP/inventory.ini" -e tgf_version=v3 -m tailgate_rollback \
		-a "{\"bin\": \"$TG\", \"pin_root\": \"$(pin_root canary1)\", \"state_dir\": \"$(state_dir canary1)\",
		     \"moved\": [{\"ifname\": \"tgftc0\", \"hook\": \"xdp\", \"generation\": $g3, \"previous_generation\": $1}]}"
}
out=$(rollback_again "${GEN[canary1]}")
tg_assert_eq "$?" 0 "rollback again: ok"
tg_check "rollback again: SUCCESS, not changed, already back" grep -q 'SUCCESS.*"changed": false' <<<"$(tr -d '\n' <<<"$out")"
tg_check "rollback again: says it already serves its previous generation" grep -q 'already serves its previous generation' <<<"$out"
out=$(rollback_again 999)
tg_assert_ne "$?" 0 "rollback with a previous generation that is not the other bank's: refused"
tg_check "... saying why" grep -q 'neither the one this run put there' <<<"$out"
tg_assert_eq "$(slots)" "$v1_slots" "rollback again: no slot 0 changed"

echo "# 5. waves of 2: fleet1, promoted in the batch where fleet2 fails, goes back too"
play serial2 v3 -e tailgate_serial=2
tg_assert_ne "$?" 0 "serial 2: ansible-playbook fails"
batch=$(jq -r '[.plays[].tasks[] | select(.task.name | contains("tailgate apply")) | .hosts | keys | join("+")] | join(" ")' \
	"$TG_TMP/serial2.json")
tg_assert_eq "$batch" "canary1 fleet1+fleet2" "serial 2: canary1, then fleet1 and fleet2 in one batch"
tg_assert_eq "$(apply_field serial2 fleet1 outcome)" promoted "serial 2: fleet1 promoted"
tg_assert_eq "$(apply_field serial2 fleet2 outcome)" rolled_back "serial 2: fleet2 rolled back"
tg_assert_eq "$(slots)" "$v1_slots" "serial 2: every slot 0 == before"

echo "# 6. check mode changes nothing"
play check v3 --check
tg_assert_eq "$?" 0 "check: exit 0"
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(stat_of check "$h" changed)" 1 "check: $h would change"
done
tg_assert_eq "$(slots)" "$v1_slots" "check: no slot 0 changed"

echo "# 7. an unreachable fleet host"
inventory "$TG_TMP/inventory.ini" "fleet3 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 ansible_ssh_common_args='-o ConnectTimeout=2 -o StrictHostKeyChecking=no'"
play unreach-pre v3
tg_assert_ne "$?" 0 "unreachable at preflight: the run fails"
tg_assert_eq "$(stat_of unreach-pre fleet3 unreachable)" 1 "unreachable at preflight: fleet3 unreachable"
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(apply_field unreach-pre "$h" rc)" "" "unreachable at preflight: $h never ran apply"
done
tg_assert_eq "$(slots)" "$v1_slots" "unreachable at preflight: no slot 0 changed"
# v1 runs everywhere but fleet3: without preflight, fleet3 is reached in wave 3.
for h in "${HOSTS[@]}"; do plan "$h" v4 counter; done
sed -i 's/^name: v4/name: v4\ndatapath: fused/' "$TG_TMP"/*/v4.yaml
play unreach v4 -e tailgate_preflight=false
tg_assert_ne "$?" 0 "unreachable in wave 3: the run fails"
for h in "${HOSTS[@]}"; do
	tg_assert_eq "$(apply_field unreach "$h" outcome)" promoted "unreachable in wave 3: $h was promoted first"
done
tg_assert_eq "$(stat_of unreach fleet3 failures)" 1 "unreachable in wave 3: fleet3 failed (rescued, not dropped)"
tg_assert_eq "$(slots)" "$v1_slots" "unreachable in wave 3: canary1, fleet1 and fleet2 back on their slot 0 ids"
inventory "$TG_TMP/inventory.ini"

echo "# 8. the Kubernetes manifests parse"
for f in "$top"/examples/fleet/kubernetes/*.yaml; do
	tg_check "${f#"$top"/}: valid YAML with a kind" /usr/bin/python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
assert docs and all("kind" in d and "apiVersion" in d for d in docs), "no manifest"
' "$f"
done
ds=$top/examples/fleet/kubernetes/daemonset.yaml
tg_check "daemonset: readiness probe tailgate status --ready, host bpffs and state dir, caps, hostNetwork" /usr/bin/python3 -c '
import sys, yaml
ds = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"][0]
c = ds["spec"]["template"]["spec"]["containers"][0]
cmd = c["readinessProbe"]["exec"]["command"]
assert "status" in cmd and "--ready" in cmd, cmd
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
assert mounts["/sys/fs/bpf"]["mountPropagation"] in ("HostToContainer", "Bidirectional")
assert "/var/lib/tailgate" in mounts
pod = ds["spec"]["template"]["spec"]
assert pod["hostNetwork"] is True
vols = {v["name"]: v for v in pod["volumes"]}
assert vols[mounts["/sys/fs/bpf"]["name"]]["hostPath"]["path"] == "/sys/fs/bpf"
assert vols[mounts["/var/lib/tailgate"]["name"]]["hostPath"]["path"] == "/var/lib/tailgate"
# Kubernetes allows Bidirectional propagation in privileged containers only.
for k in pod.get("initContainers", []) + pod["containers"]:
    for m in k.get("volumeMounts", []):
        if m.get("mountPropagation") == "Bidirectional":
            assert k.get("securityContext", {}).get("privileged") is True, k["name"]
caps = c["securityContext"]["capabilities"]["add"]
assert {"BPF", "NET_ADMIN", "SYS_ADMIN"} <= set(caps) or c["securityContext"].get("privileged"), caps
' "$ds"

tg_test_end
