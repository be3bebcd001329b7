"""Enums in rules and on the wire: a kjar enum class (tests/data/Size.class) and a DRL `declare enum`.
Jackson, JAXB and XStream all carry an enum value as its constant's name."""
import os

import pytest

from .brmkit import FORMATS, Command, batch_body, bean, deploy, post, results, types_of

DATA = os.path.join(os.path.dirname(__file__), "..", "data")

DRL = """package org.acme
global java.util.List list
rule "large" when $t : Tshirt(size == Size.L) then
    modify($t) { setOwner($t.getOwner() + " (" + $t.getSize() + ", " + $t.getSize().name() + ")") }
end
rule "count" when $t : Tshirt(size.ordinal() > 0, owner == "m") then
    insert(Size.valueOf("S"));
    insert(new Tshirt("new", Size.values()[0]));
end
"""


def _class(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


@pytest.fixture
def shirts(client):
    deploy(client, "shirts", {"org/acme/rules.drl": DRL, "org/acme/Size.class": _class("Size.class"),
                              "org/acme/Tshirt.class": _class("Tshirt.class")})
    return client


def test_a_kjar_enum_is_defined_with_its_constants_in_order(shirts):
    size = types_of(shirts, "shirts").get("org.acme.Size")
    assert [c.name() for c in size.values()] == ["S", "M", "L"]
    assert [c.ordinal() for c in size.values()] == [0, 1, 2]


@pytest.mark.parametrize("fmt", FORMATS)
def test_enum_fields_travel_as_names_and_match_enum_constants(shirts, fmt):
    types = types_of(shirts, "shirts")
    size = types.get("org.acme.Size")
    commands = [Command("insert", object=bean(shirts, "shirts", "org.acme.Tshirt", owner="ann", size=size.of("L")),
                        out_identifier="t"),
                Command("insert", object=bean(shirts, "shirts", "org.acme.Tshirt", owner="m", size=size.of("M"))),
                Command("fire-all-rules", out_identifier="fired"),
                Command("get-objects", class_name="org.acme.Tshirt", out_identifier="shirts")]
    body = batch_body(fmt, None, commands, types)
    assert ("L" in body) and ("org.acme.Size" not in body)     # the constant's name, no nested object
    sr, text = post(shirts, "shirts", fmt, body, status=200)
    if fmt == "json":
        assert '"size" : "L"' in text
    else:
        assert "<size>L</size>" in text
    r = sr.result
    assert r.results["fired"] == 2
    # (XStream's get-objects converter carries no class filter: the inserted Size.S comes back too)
    objects = r.results["shirts"]
    assert len(objects) == (4 if fmt == "xstream" else 3)
    owners = sorted((t.owner, t.size.name()) for t in objects if t.java_name() == "org.acme.Tshirt")
    assert owners == [("ann (L, L)", "L"), ("m", "M"), ("new", "S")]
    assert r.results["t"].size is size.of("L")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_constant_is_a_client_error(shirts, fmt):
    types = types_of(shirts, "shirts")
    body = batch_body(fmt, None, [Command("insert", object=bean(shirts, "shirts", "org.acme.Tshirt", owner="x",
                                                               size=types.get("org.acme.Size").of("L")))], types)
    # KIE answers an unreadable batch with its 500 FAILURE envelope; nothing reaches the session
    sr, text = post(shirts, "shirts", fmt, body.replace(">L<", ">XL<").replace('"L"', '"XL"'), status=500)
    assert sr.type == "FAILURE" and sr.msg.startswith("Error calling container shirts")
    assert "No enum constant org.acme.Size.XL" in sr.msg and "Traceback" not in text
    r = results(shirts, "shirts", fmt, [Command("get-objects", out_identifier="all")])
    assert r.results["all"] == []


DECLARED = """package org.acme
global java.util.List list
declare enum Planet
    MERCURY(3.303e+23, 2.4397e6), EARTH(5.976e+24, 6.37814e6);
    mass : double
    radius : double
end
declare Probe
    name : String
    target : Planet
end
rule "heavy" when $p : Probe($t : target, target.mass > 1e24) then
    list.add($p.getName() + " to " + $t + " r=" + $t.getRadius());
end
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_declared_enum_in_a_batch(client, fmt):
    deploy(client, "planets", {"org/acme/rules.drl": DECLARED})
    types = types_of(client, "planets")
    planet = types.get("org.acme.Planet")
    assert planet.of("EARTH").mass == 5.976e24
    r = results(client, "planets", fmt, [
        Command("set-global", identifier="list", object=[], out_identifier="list"),
        Command("insert", object=bean(client, "planets", "org.acme.Probe", name="p1", target=planet.of("EARTH"))),
        Command("insert", object=bean(client, "planets", "org.acme.Probe", name="p2", target=planet.of("MERCURY"))),
        Command("fire-all-rules")])
    assert r.results["list"] == ["p1 to EARTH r=6378140.0"]
