"""``{% load modkit %}{% module_slot "products.actions" %}``: the parts other modules put in a page.

A page of module ``products`` offers a slot by naming it in ``ProductsModule.page_slots``; a
module that depends on products fills it with ``page_parts = {"products.actions": "<template>"}``.
The host site offers slots in its own templates the same way, named ``"site.<slot>"`` and listed
in ``MODKIT_SITE_SLOTS`` (``modkit.declarations.site_slots``): a home page whose sections come from
the modules that own their data, each gone with its module.
Each serving module's template is drawn here, in the modules' start order, with the page's context.
"""

from django import template
from django.utils.safestring import mark_safe

from modkit.current import active

register = template.Library()


@register.simple_tag(takes_context=True)
def module_slot(context, name: str) -> str:
    runtime = active()
    engine = context.template.engine
    drawn = []
    for module_name in runtime.modules.initialization_order():
        if not runtime.modules.is_ready(module_name):
            continue
        part = type(runtime.modules.get(module_name)).page_parts.get(name)
        if part:
            with context.push(slot=name):
                drawn.append(engine.get_template(part).render(context))
    return mark_safe("".join(drawn))
