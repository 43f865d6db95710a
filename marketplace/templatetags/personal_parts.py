"""``{% load personal_parts %}{% personal "_site_nav.html" product=product %}``: a part of a page
that belongs to the person reading it (marketplace/shared_pages.py).

Drawn in place like an include, but from the context processors' values and the named values
only; while the page is rendered to be shared, a marker stands in its place and the named values
are kept with the page, to draw the part for each reader.

``{% personal "_site_nav.html" kept %}``: a part that may be kept per person and reused on their
next shared page until something it shows changes (marketplace/vendors/kept_parts.py). Only for
a part with no named values, drawn from what services announce through
services/personal_parts.py (balance, unread count, shop, roles, the person's own row).
"""

from django import template
from django.template.base import token_kwargs

from marketplace.shared_pages import recorder_of

register = template.Library()


class PersonalNode(template.Node):
    def __init__(self, template_name, values, kept=False):
        self.template_name = template_name
        self.values = values
        self.kept = kept

    def render(self, context):
        name = self.template_name.resolve(context)
        values = {key: value.resolve(context) for key, value in self.values.items()}
        recorder = recorder_of(context)
        if recorder is not None:
            return recorder.hole(name, values, kept=self.kept)
        index = getattr(context, "_processors_index", None)
        processed = context.dicts[index] if index is not None else {}
        fragment = context.template.engine.get_template(name)
        return fragment.render(context.new({**processed, **values}))


@register.tag
def personal(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes a template name, then name=value pairs")
    remaining = bits[2:]
    kept = remaining == ["kept"]
    if kept:
        return PersonalNode(parser.compile_filter(bits[1]), {}, kept=True)
    values = token_kwargs(remaining, parser, support_legacy=False)
    if remaining:
        raise template.TemplateSyntaxError(
            f"{bits[0]}: only name=value pairs, or the word kept alone, may follow the template name"
        )
    return PersonalNode(parser.compile_filter(bits[1]), values)
