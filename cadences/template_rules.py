"""Which variables and tags a cadence step's template may use, checked when it is saved.

Templates render from plain strings (cadences.messages.context), so nothing else can leak;
this check tells the manager at once, naming the variable or tag, instead of the message
quietly rendering an empty string. It walks the compiled template: every variable of
`{{ }}`, of filter arguments, of `{% if %}`, `{% for %}`, `{% with %}`, `{% firstof %}` and
`{% cycle %}`; names bound by `for` and `with` are allowed inside them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template import Engine, TemplateSyntaxError, defaulttags
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import CycleNode, FirstOfNode, ForNode, IfNode, WithNode

from leads.template_context import LEAD_FIELDS

TOP_LEVEL = frozenset(
    {
        "greeting_name", "owner_name", "owner_first_name", "inquiry_label", "quote", "quote_short", "submitted_on",
        "company_name", "contact_phone", "booking_url", "reference", "unsubscribe_url",
    }
)  # fmt: skip
# What an acknowledgment's translated version may use (leads/acknowledgments.py _context).
ACKNOWLEDGMENT_TOP_LEVEL = frozenset(
    {
        "greeting_name", "promise", "inquiry_label", "message_quote", "company_name", "contact_phone", "booking_url",
        "rep_name", "reference", "inquiry.type_label", "inquiry.product_interest", "inquiry.message",
    }
)  # fmt: skip
LEAD_PATHS = frozenset(f"lead.{field}" for field in LEAD_FIELDS)
ALLOWED_NODES = (
    TextNode, VariableNode, IfNode, ForNode, WithNode, FirstOfNode, CycleNode, defaulttags.CommentNode,
    defaulttags.SpacelessNode, defaulttags.AutoEscapeControlNode, defaulttags.NowNode, defaulttags.TemplateTagNode,
    defaulttags.VerbatimNode, defaulttags.FilterNode, defaulttags.ResetCycleNode,
)  # fmt: skip


def allowed_variable(path: str, bound: frozenset[str], top_level: frozenset[str] = TOP_LEVEL) -> bool:
    head = path.split(".")[0]
    if head in bound or head == "forloop":
        return True
    if path.startswith("lead.extra.") and path.count(".") == 2:
        return True
    return path in top_level or path in LEAD_PATHS


def _expression_variables(expression) -> list[str]:
    if isinstance(expression, FilterExpression):
        found = _expression_variables(expression.var)
        for _, arguments in expression.filters:
            for is_variable, argument in arguments:
                if is_variable:
                    found += _expression_variables(argument)
        return found
    if isinstance(expression, Variable) and expression.lookups:
        return [".".join(expression.lookups)]
    if hasattr(expression, "value") and isinstance(expression.value, FilterExpression):  # an {% if %} operand
        return _expression_variables(expression.value)
    first, second = getattr(expression, "first", None), getattr(expression, "second", None)
    return (_expression_variables(first) if first else []) + (_expression_variables(second) if second else [])


def _node_expressions(node: Node) -> tuple[list, frozenset[str]]:
    """The expressions a node evaluates, and the names it binds for its children."""
    if isinstance(node, VariableNode):
        return [node.filter_expression], frozenset()
    if isinstance(node, IfNode):
        return [condition for condition, _ in node.conditions_nodelists if condition is not None], frozenset()
    if isinstance(node, ForNode):
        return [node.sequence], frozenset(node.loopvars)
    if isinstance(node, WithNode):
        return list(node.extra_context.values()), frozenset(node.extra_context)
    if isinstance(node, FirstOfNode):
        return list(node.vars), frozenset()
    if isinstance(node, CycleNode):
        return list(node.cyclevars), frozenset([node.variable_name] if node.variable_name else [])
    return [], frozenset()


def _problems(nodes, bound: frozenset[str], top_level: frozenset[str]) -> list[str]:
    problems = []
    for node in nodes:
        if not isinstance(node, ALLOWED_NODES):
            tag = node.token.contents.split()[0] if getattr(node, "token", None) else type(node).__name__
            problems.append(f"the tag {{% {tag} %}} is not allowed in a step template")
            continue
        expressions, binds = _node_expressions(node)
        for expression in expressions:
            problems += [
                f"unknown variable {path!r}"
                for path in _expression_variables(expression)
                if not allowed_variable(path, bound, top_level)
            ]
        for attribute in node.child_nodelists:  # an {% if %}'s "nodelist" holds all its branches
            problems += _problems(getattr(node, attribute, None) or [], bound | binds, top_level)
    return problems


def check_template(source: str, top_level: frozenset[str] = TOP_LEVEL) -> None:
    """Raise ValidationError for a syntax error, an unknown variable or a forbidden tag
    (`top_level`: the variables besides lead.<field>; acknowledgments have their own)."""
    try:
        template = Engine.get_default().from_string(source)
    except TemplateSyntaxError as error:
        raise ValidationError(f"Template error: {error}") from error
    problems = list(dict.fromkeys(_problems(template.nodelist, frozenset(), top_level)))
    if problems:
        allowed = ", ".join(sorted(top_level)) + ", lead." + ", lead.".join(LEAD_FIELDS) + ", lead.extra.<key>"
        raise ValidationError(f"Template error: {'; '.join(problems)}. Use only: {allowed}.")
