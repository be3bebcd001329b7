"""Every task state operation over HTTP in JSON, JAXB and XSTREAM: in the states it is allowed in, for
owners, potential owners and admins, and where it is refused (status match / permission), with
KIE Server's status codes and bodies.

Cast: yoda and john are potential owners, yoda claims; mary is only in group HR; Administrator is
the default business administrator (and wbadmin through the Administrators group)."""
import pytest

from marshallers import marshal

from .conftest import FMT, FORMATS

PERM = "User '[UserImpl:'{u}']' does not have permissions to execute operation '{op}' on task id {id}"
STATUS = "User '[UserImpl:'{u}']' was unable to execute operation '{op}' on task id {id} due to a no 'current status' match"


def in_state(env, state, skippable=True):
    """A task in `state`: potential owners yoda and john (none for Created), yoda owning it once claimed."""
    svc = env.svc
    if state == "Created":
        return env.task(actors=(), skippable=skippable)
    tid = env.task(actors=("yoda", "john"), skippable=skippable)
    if state == "Ready":
        return tid
    svc.claim("demo", tid, "yoda")
    if state == "Reserved":
        return tid
    if state == "Suspended":
        svc.suspend("demo", tid, "yoda")
        return tid
    svc.start("demo", tid, "yoda")
    if state == "InProgress":
        return tid
    if state == "Completed":
        svc.complete("demo", tid, "yoda", {})
    elif state == "Failed":
        svc.fail("demo", tid, "yoda", {})
    elif state == "Exited":
        svc.exit("demo", tid, "Administrator")
    elif state == "Obsolete":
        svc.skip("demo", tid, "yoda")
    return tid


# (operation, op name in messages, state, user, params, expected HTTP status, new status, new owner)
# owner "=" means unchanged
ALLOWED = [
    ("claimed", "Claim", "Ready", "john", None, "Reserved", "john"),
    ("claimed", "Claim", "Ready", "Administrator", None, "Reserved", "Administrator"),
    ("started", "Start", "Ready", "john", None, "InProgress", "john"),
    ("started", "Start", "Ready", "wbadmin", None, "InProgress", "wbadmin"),
    ("started", "Start", "Reserved", "yoda", None, "InProgress", "yoda"),
    ("stopped", "Stop", "InProgress", "yoda", None, "Reserved", "yoda"),
    ("stopped", "Stop", "InProgress", "Administrator", None, "Reserved", "yoda"),
    ("released", "Release", "Reserved", "yoda", None, "Ready", None),
    ("released", "Release", "InProgress", "yoda", None, "Ready", None),
    ("released", "Release", "Reserved", "Administrator", None, "Ready", None),
    ("suspended", "Suspend", "Ready", "john", None, "Suspended", None),
    ("suspended", "Suspend", "Reserved", "yoda", None, "Suspended", "yoda"),
    ("suspended", "Suspend", "InProgress", "yoda", None, "Suspended", "yoda"),
    ("suspended", "Suspend", "Reserved", "Administrator", None, "Suspended", "yoda"),
    ("resumed", "Resume", "Suspended", "yoda", None, "Reserved", "yoda"),
    ("resumed", "Resume", "Suspended", "Administrator", None, "Reserved", "yoda"),
    ("resumed", "Resume", "Suspended", "john", None, "Reserved", "yoda"),   # john is a potential owner
    ("skipped", "Skip", "Created", "yoda", None, "Obsolete", None),         # yoda created it (Initiator)
    ("skipped", "Skip", "Created", "Administrator", None, "Obsolete", None),
    ("skipped", "Skip", "Ready", "john", None, "Obsolete", None),
    ("skipped", "Skip", "Reserved", "yoda", None, "Obsolete", "yoda"),
    ("skipped", "Skip", "InProgress", "Administrator", None, "Obsolete", "yoda"),
    ("delegated", "Delegate", "Ready", "john", {"targetUser": "mary"}, "Reserved", "mary"),
    ("delegated", "Delegate", "Reserved", "yoda", {"targetUser": "mary"}, "Reserved", "mary"),
    ("delegated", "Delegate", "InProgress", "yoda", {"targetUser": "john"}, "Reserved", "john"),
    ("delegated", "Delegate", "Reserved", "Administrator", {"targetUser": "mary"}, "Reserved", "mary"),
    ("forwarded", "Forward", "Ready", "john", {"targetUser": "mary"}, "Ready", None),
    ("forwarded", "Forward", "Reserved", "yoda", {"targetUser": "mary"}, "Ready", None),
    ("forwarded", "Forward", "InProgress", "yoda", {"targetUser": "mary"}, "Ready", None),
    ("completed", "Complete", "InProgress", "yoda", None, "Completed", "yoda"),
    ("completed", "Complete", "InProgress", "Administrator", None, "Completed", "yoda"),
    ("completed", "Complete", "Ready", "john", {"auto-progress": "true"}, "Completed", "john"),
    ("completed", "Complete", "Reserved", "yoda", {"auto-progress": "true"}, "Completed", "yoda"),
    ("failed", "Fail", "InProgress", "yoda", None, "Failed", "yoda"),
    ("failed", "Fail", "InProgress", "Administrator", None, "Failed", "yoda"),
    ("activated", "Activate", "Created", "Administrator", None, "Ready", None),
    ("nominated", "Nominate", "Created", "Administrator", {"potOwner": "john"}, "Reserved", "john"),
    ("nominated", "Nominate", "Created", "Administrator", {"potOwner": ["john", "mary"]}, "Ready", None),
    ("exited", "Exit", "Created", "Administrator", None, "Exited", None),
    ("exited", "Exit", "Ready", "Administrator", None, "Exited", None),
    ("exited", "Exit", "Reserved", "wbadmin", None, "Exited", "yoda"),
    ("exited", "Exit", "InProgress", "Administrator", None, "Exited", "yoda"),
    ("exited", "Exit", "Suspended", "Administrator", None, "Exited", "yoda"),
]

# (operation, op name, state, user, params, HTTP status, message kind: perm | status | notfound)
REFUSED = [
    ("claimed", "Claim", "Ready", "mary", None, 403, "perm"),
    ("claimed", "Claim", "Reserved", "john", None, 403, "status"),
    ("claimed", "Claim", "Reserved", "yoda", None, 403, "status"),
    ("started", "Start", "Ready", "mary", None, 404, "notfound"),
    ("started", "Start", "Reserved", "john", None, 404, "notfound"),
    ("started", "Start", "Reserved", "Administrator", None, 404, "notfound"),   # Reserved: the owner only
    ("started", "Start", "InProgress", "yoda", None, 404, "notfound"),
    ("stopped", "Stop", "InProgress", "john", None, 404, "notfound"),
    ("stopped", "Stop", "Reserved", "yoda", None, 404, "notfound"),
    ("released", "Release", "Reserved", "john", None, 403, "perm"),
    ("released", "Release", "Ready", "yoda", None, 403, "status"),
    ("released", "Release", "Completed", "yoda", None, 403, "status"),
    ("suspended", "Suspend", "Ready", "mary", None, 404, "notfound"),
    ("suspended", "Suspend", "Reserved", "john", None, 404, "notfound"),
    ("suspended", "Suspend", "Completed", "yoda", None, 404, "notfound"),
    ("resumed", "Resume", "Suspended", "mary", None, 404, "notfound"),
    ("resumed", "Resume", "Ready", "john", None, 404, "notfound"),
    ("skipped", "Skip", "Reserved", "john", None, 404, "notfound"),
    ("skipped", "Skip", "Created", "mary", None, 404, "notfound"),
    ("skipped", "Skip", "Completed", "yoda", None, 404, "notfound"),
    ("delegated", "Delegate", "Ready", "mary", {"targetUser": "mary"}, 403, "perm"),
    ("delegated", "Delegate", "Reserved", "john", {"targetUser": "mary"}, 403, "perm"),
    ("delegated", "Delegate", "Completed", "yoda", {"targetUser": "mary"}, 403, "status"),
    ("forwarded", "Forward", "Ready", "mary", {"targetUser": "nobody"}, 403, "perm"),
    ("forwarded", "Forward", "Reserved", "john", {"targetUser": "mary"}, 403, "perm"),
    ("forwarded", "Forward", "Exited", "yoda", {"targetUser": "mary"}, 403, "status"),
    ("completed", "Complete", "InProgress", "john", None, 403, "perm"),
    ("completed", "Complete", "Reserved", "yoda", None, 403, "status"),
    ("completed", "Complete", "Completed", "yoda", None, 403, "status"),
    ("completed", "Complete", "Ready", "mary", {"auto-progress": "true"}, 403, "claimperm"),
    ("failed", "Fail", "InProgress", "john", None, 404, "notfound"),
    ("failed", "Fail", "Reserved", "yoda", None, 404, "notfound"),
    ("activated", "Activate", "Created", "yoda", None, 404, "notfound"),
    ("activated", "Activate", "Ready", "Administrator", None, 404, "notfound"),
    ("nominated", "Nominate", "Created", "yoda", {"potOwner": "john"}, 403, "perm"),
    ("nominated", "Nominate", "Ready", "Administrator", {"potOwner": "john"}, 403, "status"),
    ("exited", "Exit", "Reserved", "yoda", None, 404, "notfound"),
    ("exited", "Exit", "Completed", "Administrator", None, 404, "notfound"),
    ("exited", "Exit", "Obsolete", "Administrator", None, 404, "notfound"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("op,name,state,user,params,new_status,new_owner", ALLOWED,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in ALLOWED])
def test_allowed(env, fmt, op, name, state, user, params, new_status, new_owner):
    tid = in_state(env, state)
    body = marshal({"out": 1}, FMT[fmt]) if op == "completed" else None
    r = env.state(tid, op, user, fmt, body=body, params=params)
    assert r.status_code == 201, r.text
    assert r.text == ""
    assert env.status(tid) == new_status
    assert env.owner(tid) == new_owner
    ev = env.events(tid)
    expected = {"claimed": "CLAIMED", "started": "STARTED", "stopped": "STOPPED", "released": "RELEASED",
                "suspended": "SUSPENDED", "resumed": "RESUMED", "skipped": "SKIPPED", "delegated": "DELEGATED",
                "forwarded": "FORWARDED", "completed": "COMPLETED", "failed": "FAILED",
                "activated": "ACTIVATED", "nominated": "NOMINATED", "exited": "EXITED"}[op]
    assert ev[-1] == (expected, user)
    # the audit row follows the task
    from kieserver.store.tasks import AuditTask
    a = AuditTask.get(AuditTask.taskid == tid)
    assert (a.status, a.actualowner) == (new_status, new_owner or "")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("op,name,state,user,params,code,kind", REFUSED,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in REFUSED])
def test_refused(env, fmt, op, name, state, user, params, code, kind):
    tid = in_state(env, state)
    before = (env.status(tid), env.owner(tid), len(env.events(tid)))
    r = env.state(tid, op, user, fmt, params=params)
    assert r.status_code == code, r.text
    assert r.headers["content-type"].startswith("text/plain")
    msg = {"perm": PERM, "status": STATUS, "claimperm": PERM,
           "notfound": 'Could not find task instance with id "{id}"'}[kind]
    name = "Claim" if kind == "claimperm" else name
    assert r.text == '"' + msg.format(u=user, op=name, id=tid) + '\n"'
    # nothing changed: the transaction was rolled back
    assert (env.status(tid), env.owner(tid), len(env.events(tid))) == before


def test_skip_needs_skippable(env):
    tid = in_state(env, "Ready", skippable=False)
    r = env.state(tid, "skipped", "john")
    assert r.status_code == 404 and env.status(tid) == "Ready"
    tid = in_state(env, "Reserved", skippable=False)
    r = env.state(tid, "skipped", "Administrator")
    assert r.status_code == 404 and env.status(tid) == "Reserved"


def test_unknown_task_container_and_state(env):
    r = env.state(999999, "claimed", "yoda")
    assert (r.status_code, r.text) == (404, '"Could not find task instance with id "999,999"\n"')
    tid = in_state(env, "Ready")
    r = env.state(tid, "claimed", "john", container="nope")
    assert r.status_code == 500
    assert r.text == ("\"Unexpected error during processing: Container 'nope' is not instantiated or cannot find "
                      "container for alias 'nope'\n\"")
    # a task of another container is not found there
    r = env.state(tid, "claimed", "john", container="other")
    assert (r.status_code, r.text) == (404, f'"Could not find task instance with id "{tid}"\n"')
    # the alias finds the task's container
    r = env.state(tid, "claimed", "john", container="demo-alias")
    assert r.status_code == 201 and env.owner(tid) == "john"
    r = env.state(tid, "bogus", "john")
    assert r.status_code == 404
    r = env.state("abc", "claimed", "john")
    assert r.status_code == 404


def test_people_effects(env):
    svc = env.svc
    # forward: the forwarding user leaves the potential owners, the target joins
    tid = in_state(env, "Reserved")
    assert env.state(tid, "forwarded", "yoda", params={"targetUser": "mary"}).status_code == 201
    t = env.get_task(tid, with_assignments=True)
    assert (t.status, t.actual_owner, t.potential_owners) == ("Ready", "", ["john", "mary"])
    assert svc.task_events(tid).items[-1].message == "Forward to [john,mary]"
    # delegate: the target becomes owner and potential owner, the delegator stays potential owner
    tid = in_state(env, "Reserved")
    assert env.state(tid, "delegated", "yoda", params={"targetUser": "mary"}).status_code == 201
    t = env.get_task(tid, with_assignments=True)
    assert (t.status, t.actual_owner, t.potential_owners) == ("Reserved", "mary", ["yoda", "john", "mary"])
    # yoda no longer sees it among its tasks (mary owns it)
    ids = [s.id for s in svc.pot_owner_tasks("yoda").items]
    assert tid not in ids and tid in [s.id for s in svc.pot_owner_tasks("mary").items]
    # nominate replaces the potential owners
    tid = in_state(env, "Created")
    assert env.state(tid, "nominated", "Administrator", params={"potOwner": ["john", "mary"]}).status_code == 201
    assert env.get_task(tid, with_assignments=True).potential_owners == ["john", "mary"]


def test_forward_with_group_assignment_and_group_target(env):
    tid = env.task(actors=("yoda",), groups=("HR",))
    r = env.state(tid, "forwarded", "yoda", params={"targetUser": "john"})
    assert r.status_code == 403
    assert r.text == '"Task forward operation not allowed for task with group assignment\n"'
    env.svc._entity("engineering", "Group")
    tid = in_state(env, "Ready")
    r = env.state(tid, "forwarded", "john", params={"targetUser": "engineering"})
    assert r.status_code == 403
    assert r.text == (f"\"User '[UserImpl:'john']' was unable to execute operation 'Forward' on task id {tid} "
                      f"due to 'target entity cannot be group'\n\"")
    assert env.status(tid) == "Ready" and env.get_task(tid, with_assignments=True).potential_owners == ["yoda", "john"]


def test_groups_and_excluded_owners(env):
    # a group task: members of the group may claim, others may not
    tid = env.task(actors=(), groups=("engineering",))
    assert env.status(tid) == "Ready"
    r = env.state(tid, "claimed", "yoda")
    assert r.status_code == 403 and "does not have permissions to execute operation 'Claim'" in r.text
    assert env.state(tid, "claimed", "john").status_code == 201
    # extra memberships from the `groups:` section (mary is in PM there)
    tid = env.task(actors=(), groups=("PM",))
    assert env.state(tid, "claimed", "mary").status_code == 201
    # excluded owners are never potential owners, even through a group
    tid = env.task(actors=(), groups=("HR",), excluded_owners=["john"])
    assert env.state(tid, "claimed", "john").status_code == 403
    assert env.state(tid, "claimed", "mary").status_code == 201
    assert tid not in [s.id for s in env.svc.pot_owner_tasks("john").items]


def test_single_user_reserved_group_ready_created(env):
    assert (env.status(env.task(actors=("yoda",))), env.owner(env.task(actors=("yoda",)))) == ("Reserved", "yoda")
    assert env.status(env.task(actors=(), groups=("HR",))) == "Ready"
    assert env.status(env.task(actors=("yoda", "john"))) == "Ready"
    tid = env.task(actors=())
    assert env.status(tid) == "Created"
    assert env.events(tid) == [("ADDED", "yoda")]
    tid = env.task(actors=("yoda",))
    assert env.events(tid) == [("ADDED", "yoda"), ("ACTIVATED", "yoda")]


def test_business_admins_default_and_custom(env):
    tid = env.task(actors=("yoda",), business_admins=["mary"], business_admin_groups=["PM"])
    t = env.get_task(tid, with_assignments=True)
    assert t.business_admins == ["Administrator", "Administrators", "mary", "PM"]
    assert env.state(tid, "exited", "mary").status_code == 201


def test_suspend_until_and_resume_due(env):
    import datetime as dt
    tid = in_state(env, "Reserved")
    r = env.state(tid, "suspended", "yoda", body='{"suspendUntil": "PT3S"}')
    assert r.status_code == 201 and env.status(tid) == "Suspended"
    assert env.svc.resume_due() == 0
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    assert env.svc.resume_due(later) >= 1
    assert (env.status(tid), env.owner(tid)) == ("Reserved", "yoda")
    assert env.events(tid)[-1] == ("RESUMED", "Administrator")


def test_bulk_claim(env):
    a, b = in_state(env, "Ready"), in_state(env, "Reserved")
    r = env.req("POST", "/containers/demo/tasks/states/claimed", "john", params={"taskId": [str(a), str(b)]})
    assert r.status_code == 200 and r.text == ""
    assert env.owner(a) == "john" and env.owner(b) == "yoda"   # refused ones are skipped


def test_complete_merges_saved_outputs(env):
    tid = in_state(env, "InProgress")
    env.svc.save_output("demo", tid, "yoda", {"a": 1, "b": "x"})
    r = env.state(tid, "completed", "yoda", body='{"b": "y", "c": true}')
    assert r.status_code == 201
    assert env.svc.output_content("demo", tid) == {"a": 1, "b": "y", "c": True}
    types = [e for e, _ in env.events(tid)]
    assert types[-2:] == ["UPDATED", "COMPLETED"]
