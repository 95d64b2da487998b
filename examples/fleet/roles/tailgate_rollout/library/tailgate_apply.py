#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)

DOCUMENTATION = r"""
module: tailgate_apply
short_description: Roll a tailgate plan out on one host and judge the result
description:
  - Runs C(tailgate apply --json PLAN) on the host (tailgate does its own
    interface canaries, analysis and waves there) and judges the one JSON
    document it prints when it ends.
  - C(changed) only when something live changed on the host (outcome
    C(promoted)); a plan already live everywhere it names is C(unchanged),
    exit 0, and reports C(changed=false).
  - Fails on any non-zero exit, and on any outcome but C(promoted) or
    C(unchanged) (a plan that pauses at a C(pause) step is not done). A
    rollback by the plan's gates fails with the breach (gate, interface,
    value, threshold) in C(msg).
  - C(moved) lists the attach points this run moved onto the new generation,
    each with the generation that served there before: what a fleet-wide
    rollback puts back (see tailgate_rollback). It is empty unless the host
    succeeded.
  - In check mode, runs C(tailgate status --json PLAN) instead and reports
    C(changed) when the plan is not live everywhere it names.
options:
  plan: {description: The plan file on the host., type: str, required: true}
  bin: {description: The tailgate binary (a name looked up on PATH, or a path)., type: str, default: tailgate}
  pin_root: {description: TAILGATE_PIN_ROOT for tailgate (optional)., type: str}
  state_dir: {description: TAILGATE_STATE_DIR for tailgate (optional)., type: str}
  force: {description: Roll the plan out again as a new generation even where it is live., type: bool, default: false}
"""

RETURN = r"""
outcome: {description: "promoted, unchanged, rolled_back, paused, aborted or error", type: str}
rc: {description: tailgate's exit code, type: int}
generation: {description: The generation this run created (null when unchanged)., type: int}
interfaces: {description: "Per attach point: ifname, hook, canary, state, generation, previous_generation, changed.", type: list}
moved: {description: "Attach points moved onto the new generation: ifname, hook, generation, previous_generation.", type: list}
breach: {description: "The gate that failed: gate, ifname, value, threshold (null if none).", type: dict}
started: {description: Time (epoch seconds) of tailgate's first event on the host., type: float}
finished: {description: Time of its last event (the end of the rollout)., type: float}
tailgate_warnings: {description: What tailgate warned about., type: list}
events: {description: "tailgate's events (flip, analysis, breach, revert, end); only with -v.", type: list}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.tailgate_cli import COMMON_ARGS, Tailgate, exit_name, last_problem

DONE = ("promoted", "unchanged")


def describe_failure(rc, doc, stderr):
    outcome = doc.get("outcome") or "error"
    breach = doc.get("breach") or None
    message = doc.get("message") or ""
    if breach:
        why = "gate %s breached on %s (value %s, threshold %s)" % (
            breach.get("gate"), breach.get("ifname") or "-", breach.get("value"),
            breach.get("threshold"))
        if outcome == "paused":
            return ("paused (on_failure: pause) with nothing rolled back: %s: %s; "
                    "run 'tailgate promote' or 'tailgate abort' on this host" % (why, message))
        return "%s: %s: %s" % (outcome.replace("_", " "), why, message)
    if rc == 0 and outcome == "paused":
        return ("paused at a pause step of the plan: %s; run 'tailgate promote' "
                "(or 'tailgate abort') on this host" % message)
    detail = message or last_problem(doc, stderr)
    return "%s (outcome %s, exit %d: %s)" % (detail or "tailgate apply failed", outcome, rc,
                                              exit_name(rc))


def moved_points(doc):
    gen = doc.get("generation")
    return [dict(ifname=i.get("ifname"), hook=i.get("hook"), generation=gen,
                 previous_generation=i.get("previous_generation", doc.get("previous_generation")))
            for i in doc.get("interfaces") or []
            if i.get("changed") and i.get("state") == "live"]


def check_mode(module, tg):
    rc, doc = tg.status(module.params["plan"])
    if rc not in (0, 1):
        module.fail_json(msg="tailgate status %s: %s" % (module.params["plan"],
                                                          last_problem(doc) or exit_name(rc)),
                         rc=rc)
    live = bool(doc.get("plan_live"))
    module.exit_json(changed=not live, plan_live=live, outcome="unchanged" if live else "would_apply",
                     rc=rc, moved=[])


def main():
    spec = dict(COMMON_ARGS, plan=dict(type="str", required=True),
                force=dict(type="bool", default=False))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    tg = Tailgate(module)
    if module.check_mode:
        check_mode(module, tg)
    args = ["apply"] + (["--force"] if module.params["force"] else []) + [module.params["plan"]]
    rc, doc, stderr = tg.run(args)
    if doc is None:
        module.fail_json(msg="tailgate apply printed no JSON document (exit %d: %s): %s"
                         % (rc, exit_name(rc), stderr.strip()), rc=rc, stderr=stderr,
                         changed=rc not in (1, 2, 5), moved=[])
    outcome = doc.get("outcome")
    ok = rc == 0 and outcome in DONE
    events = doc.get("events") or []
    result = dict(
        changed=bool(doc.get("changed")),
        rc=rc,
        outcome=outcome,
        plan=doc.get("plan"),
        plan_sha256=doc.get("plan_sha256"),
        generation=doc.get("generation"),
        previous_generation=doc.get("previous_generation"),
        interfaces=doc.get("interfaces") or [],
        breach=doc.get("breach"),
        message=doc.get("message") or "",
        moved=moved_points(doc) if ok else [],
        started=events[0].get("time") if events else None,
        finished=events[-1].get("time") if events else None,
        tailgate_warnings=doc.get("warnings") or [],
    )
    # The events are many lines on a failure's screen: -v shows them.
    if module._verbosity >= 1:
        result["events"] = events
    if not ok:
        module.fail_json(msg=describe_failure(rc, doc, stderr), **result)
    result["msg"] = doc.get("message") or "%s: generation %s" % (outcome, doc.get("generation"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
