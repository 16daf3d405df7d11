"""Why one member fails an eligibility rule, in words they can act on.

The nominations and roll-check pages show this to a member who is not eligible, so it names the
clause they fail, what the register holds for them, and what the rule asks for — enough to see
whether the register is wrong (and challenge it) or the rule simply excludes them.
"""

from __future__ import annotations

from governance.eligibility.tree import (
    And,
    Attribute,
    Expression,
    Not,
    Or,
    Subject,
    quote,
    render,
)
from governance.eligibility.values import MemberLike, read, truth
from governance.i18n import N_, _

_FIELD_LABELS = {
    "membership_number": N_("membership number"),
    "name": N_("name"),
    "email": N_("email address"),
    "organisation": N_("organisation"),
    "region": N_("region"),
    "category": N_("category"),
    "status": N_("membership status"),
    "joined": N_("joining date"),
}


def explain(node: Expression, member: MemberLike) -> str | None:
    """None when the member is eligible; otherwise the clause they fail and their own values."""
    if truth(node, member) is True:
        return None
    return _failure(node, member)


def _failure(node: Expression, member: MemberLike) -> str:
    if isinstance(node, And):
        # The first clause that does not hold is the one to fix; later ones may hold or not.
        failing = next(child for child in node.operands if truth(child, member) is not True)
        return _failure(failing, member)
    if isinstance(node, Or):
        reasons = [_failure(child, member) for child in node.operands]
        return _("you meet none of the alternatives: %(reasons)s") % {
            "reasons": _("; or ").join(f"({reason})" for reason in reasons)
        }
    facts = "; ".join(_fact(subject, member) for subject in _subjects(node))
    return _("%(facts)s; this election needs %(condition)s") % {
        "facts": facts,
        "condition": render(node),
    }


def _subjects(node: Expression) -> list[Subject]:
    """The fields and attributes a clause reads, each once, in the order written."""
    if isinstance(node, And | Or):
        found = [subject for child in node.operands for subject in _subjects(child)]
    elif isinstance(node, Not):
        found = _subjects(node.operand)
    else:
        found = [node.subject]
    return list(dict.fromkeys(found))


def _fact(subject: Subject, member: MemberLike) -> str:
    label = _label(subject)
    value = read(member, subject)
    if value is None:
        return _("the register has no %(field)s for you") % {"field": label}
    if value == "":
        return _("your %(field)s is blank in the register") % {"field": label}
    shown = quote(value) if isinstance(value, str) else value.isoformat()
    return _("your %(field)s is %(value)s") % {"field": label, "value": shown}


def _label(subject: Subject) -> str:
    if isinstance(subject, Attribute):
        return quote(subject.key)
    return _(_FIELD_LABELS[subject.name])
