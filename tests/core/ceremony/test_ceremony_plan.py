"""Ceremony plans are strict: every mistake names its line and key."""

from __future__ import annotations

import hashlib
import re

import pytest

from pkiadmin.core.ceremony.people import Role
from pkiadmin.core.ceremony.plan_check import PlanError
from pkiadmin.core.ceremony.root import plan as ceremony_plan
from tests.ceremony_helpers import DATA

TEXT = (DATA / "ceremony-plan.toml").read_text()


def test_template_is_a_valid_plan_and_its_hash_is_of_the_file() -> None:
    plan = ceremony_plan.parse(ceremony_plan.template())
    assert plan.ceremony_id == "EXAMPLE-ROOT-2026"
    assert plan.administrator.name == "Alice Administrator"
    assert [p.name for p in plan.by_role(Role.CUSTODIAN)] == [
        "Carol Custodian",
        "Dave Custodian",
        "Erin Custodian",
    ]
    assert plan.custodians.describe() == "2 of 3 custodians"
    assert plan.sha256 == hashlib.sha256(ceremony_plan.template().encode()).digest()
    summary = "\n".join(plan.summary_lines())
    assert "Plan SHA-256:  " + " ".join(re.findall("....", plan.sha256.hex().upper())) in summary


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("cps_reference =", "cps_ref =", "line 9, [ceremony] cps_ref is not a known key"),
        (
            "validity_days = 7305",
            'validity_days = "long"',
            "[root] validity_days must be a whole number, not str",
        ),
        (
            "threshold = 2 ",
            "threshold = 4 ",
            "[custodians] threshold is 4, but M must be between 1 and N = 3",
        ),
        ("threshold = 2 ", "threshold = 1 ", "gives each one the whole secret"),
        ('role = "internal-witness"', 'role = "witness"', "needs an internal-witness"),
        ('role = "witness"\n', 'role = "auditor"\n', "needs at least one witness"),
        ('role = "administrator"', 'role = "boss"', "'boss' is not a role"),
        (
            'country = "GB"',
            'country = "UK"',
            "[root] Country (C) 'UK' is not an ISO 3166-1 alpha-2 code",
        ),
        (
            'name = "Dave Custodian"',
            'name = "Carol Custodian"',
            "lists Carol Custodian more than once",
        ),
        ("[output]", "[outputs]", "[outputs] is not a known section"),
        (
            'id = "EXAMPLE-ROOT-2026"',
            'id = "has spaces in it"',
            "[ceremony] id must be letters, digits",
        ),
    ],
)
def test_mistakes_are_named(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(PlanError, match=re.escape(message)):
        ceremony_plan.parse(TEXT.replace(old, new, 1), "plan.toml")


def test_syntax_errors_are_reported() -> None:
    with pytest.raises(PlanError, match=r"plan.toml: not valid TOML \(.*line 1"):
        ceremony_plan.parse("this is = = not toml", "plan.toml")


def test_groups() -> None:
    text = TEXT.replace(
        "threshold = 2                            # M of the N custodians above",
        'group_threshold = 2\n[[custodians.groups]]\nname = "London"\nthreshold = 1\nmembers = ["Carol Custodian"]\n'
        '[[custodians.groups]]\nname = "Berlin"\nthreshold = 2\nmembers = ["Dave Custodian", "Erin Custodian"]\n',
    )
    plan = ceremony_plan.parse(text)
    assert plan.custodians.describe() == "2 of 2 groups (London: 1 of 1, Berlin: 2 of 2)"
    stranger = text.replace('members = ["Carol Custodian"]', 'members = ["Mallory"]')
    with pytest.raises(PlanError, match="names 'Mallory', who is not a custodian"):
        ceremony_plan.parse(stranger)
