#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)

DOCUMENTATION = r"""
module: tailgate_rollback
short_description: Put the attach points a fleet rollout moved back on their previous generation
description:
  - Takes the C(moved) list tailgate_apply returned on this host (attach
    points, the generation the run put there and the one that served
    before) and puts each back, one write of slot 0 each.
  - Guarded, so it is safe to run twice: an attach point is flipped
    (C(tailgate rollback --json --hook HOOK IFACE...)) only while it still
    serves the generation the run put there AND its other bank holds exactly
    the previous generation; one already back is left alone (ok); one that
    serves anything else was changed since (by hand, by another run) and is
    refused, untouched. C(tailgate rollback) is a flip between two banks, so
    an unguarded second call would put the new generation back into service.
  - An attach point the run installed (no previous generation) is detached
    (C(tailgate detach)), which is where it was, unless I(detach_new) is
    false or the interface has attach points on other hooks.
  - When the attach points to flip are every attach point of the host (one
    plan per host, the usual case), that is one C(tailgate rollback --all
    --json); otherwise one C(tailgate rollback --json --hook HOOK IFACE...)
    per hook, so attach points the run did not move are never flipped.
  - After the flips, reads C(tailgate status --json) again and fails unless
    every moved attach point serves its previous generation.
options:
  moved: {description: "The moved list of tailgate_apply: ifname, hook, generation, previous_generation.", type: list, elements: dict, required: true}
  detach_new: {description: Detach attach points the run installed., type: bool, default: true}
  busy_retries: {description: Retries (one a second) while another tailgate holds the host's lock., type: int, default: 30}
  bin: {description: The tailgate binary., type: str, default: tailgate}
  pin_root: {description: TAILGATE_PIN_ROOT for tailgate (optional)., type: str}
  state_dir: {description: TAILGATE_STATE_DIR for tailgate (optional)., type: str}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.tailgate_cli import COMMON_ARGS, Tailgate, exit_name, last_problem


def attach_points(doc):
    return {(a.get("ifname"), a.get("hook")): a for a in doc.get("attach_points") or []}


def other_bank_generation(ap):
    for bank in ap.get("banks") or []:
        if not bank.get("live") and bank.get("stages"):
            return bank.get("generation")
    return 0


def decide(point, aps, detach_new):
    """(action, message) for one moved attach point, from tailgate status."""
    key = (point["ifname"], point["hook"])
    new, prev = point.get("generation"), point.get("previous_generation") or 0
    name = "%s/%s" % key
    ap = aps.get(key)
    if ap is None:
        if not prev:
            return "already_back", "%s: no attach point left, as before the run" % name
        return "refused", "%s: no attach point any more (interface gone?); nothing done" % name
    live = ap.get("live_generation")
    if live == prev and prev:
        return "already_back", "%s: already serves its previous generation %s" % (name, prev)
    if live != new:
        return "refused", ("%s: serves generation %s, neither the one this run put there (%s) nor "
                           "the previous one (%s): changed since; left alone" % (name, live, new, prev))
    if not prev:
        if not detach_new:
            return "refused", "%s: the run installed tailgate there (no previous generation) and detach_new is off" % name
        others = [h for (i, h) in aps if i == point["ifname"] and h != point["hook"]]
        if others:
            return "refused", ("%s: the run installed tailgate there, but detaching would also remove "
                               "hook(s) %s of the interface; detach it by hand" % (name, ", ".join(others)))
        return "detach", "%s: generation %s -> none (detached, as before the run)" % (name, new)
    other = other_bank_generation(ap)
    if other != prev:
        return "refused", ("%s: its other bank holds generation %s, not the previous %s: a "
                           "rollback would not restore it; left alone" % (name, other, prev))
    return "rollback", "%s: generation %s -> %s" % (name, new, prev)


def run_flips(module, tg, plans, aps):
    """Run the rollbacks and detaches; return a message per failed command."""
    p = module.params
    problems = []
    todo = [d for d in plans if d["action"] == "rollback"]
    commands = []
    if todo and set((d["ifname"], d["hook"]) for d in todo) == set(aps):
        commands.append(["rollback", "--all"])
    else:
        for hook in sorted(set(d["hook"] for d in todo)):
            commands.append(["rollback", "--hook", hook] + [d["ifname"] for d in todo if d["hook"] == hook])
    for d in plans:
        if d["action"] == "detach":
            commands.append(["detach", d["ifname"]])
    for cmd in commands:
        rc, doc, err = tg.run(cmd, busy_retries=p["busy_retries"])
        if rc != 0:
            problems.append("tailgate %s: exit %d (%s): %s" % (" ".join(cmd), rc, exit_name(rc),
                                                            last_problem(doc, err)))
    return problems


def main():
    spec = dict(COMMON_ARGS,
                moved=dict(type="list", elements="dict", required=True),
                detach_new=dict(type="bool", default=True),
                busy_retries=dict(type="int", default=30))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    tg = Tailgate(module)
    moved = module.params["moved"]
    if not moved:
        module.exit_json(changed=False, msg="nothing was moved on this host", points=[])
    rc, doc = tg.status()
    if rc == 4 or doc.get("rollout"):
        module.fail_json(msg="a rollout is %s on this host: nothing rolled back; "
                         "'tailgate abort' or 'tailgate recover' there"
                         % ((doc.get("rollout") or {}).get("status") or "interrupted"), points=[])
    aps = attach_points(doc)
    plans = []
    for point in moved:
        action, msg = decide(point, aps, module.params["detach_new"])
        plans.append(dict(point, action=action, message=msg))
    refused = [d["message"] for d in plans if d["action"] == "refused"]
    acting = [d for d in plans if d["action"] in ("rollback", "detach")]
    if module.check_mode or not acting:
        if refused:
            module.fail_json(msg="; ".join(refused), points=plans, changed=False)
        module.exit_json(changed=bool(acting), points=plans,
                         msg="; ".join(d["message"] for d in plans))
    problems = run_flips(module, tg, plans, aps)
    # The kernel is the truth: every acted-on point must now serve its previous generation.
    rc, after = tg.status()
    aps = attach_points(after)
    for d in acting:
        ap = aps.get((d["ifname"], d["hook"]))
        live = ap.get("live_generation") if ap else None
        d["live_generation"] = live
        want = d.get("previous_generation") or None
        if (want is None and ap is not None) or (want is not None and live != want):
            problems.append("%s/%s: serves generation %s after the rollback, not %s"
                            % (d["ifname"], d["hook"], live, want or "none"))
            d["action"] = "failed"
    msg = "; ".join(d["message"] for d in plans if d["action"] != "refused")
    if refused or problems:
        module.fail_json(changed=True, points=plans, msg="; ".join(refused + problems) +
                         ((" (done: %s)" % msg) if msg else ""))
    module.exit_json(changed=True, points=plans, msg=msg)


if __name__ == "__main__":
    main()
