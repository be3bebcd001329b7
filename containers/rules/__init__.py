"""The DRL rule runtime: parser, knowledge base compiler and sessions with Drools 7 semantics.

    from containers.rules import build_kbase, DrlError
    kbase = build_kbase([("rules.drl", text)], types)     # types: the container's TypeRegistry
    session = kbase.new_session()
    handle = session.insert(obj)                         # FactHandle: .id, .external_form
    session.update(handle); session.delete(handle)
    session.set_global("list", []); session.fire_all_rules(max=-1, agenda_filter=None)
    session.query("name", *args)                         # rows: dicts of bindings
    session.set_focus("group"); session.clear_agenda(); session.clear_agenda_group(g)
    session.clear_activation_group(g); session.clear_ruleflow_group(g); session.halt()
    session.listeners.append(obj)                        # after_match_fired(rule, objects), object_inserted(h)...
"""
from containers.rules.kbase import KieBase, build_kbase
from containers.rules.model import DrlError
from containers.rules.session import ConsequenceError, FactHandle, RuleSession

__all__ = ["build_kbase", "KieBase", "RuleSession", "FactHandle", "DrlError", "ConsequenceError"]
