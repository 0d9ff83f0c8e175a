"""The only template tags a contract template may use: loops, conditions and comments.

Everything that loads other templates, libraries or URLs, or reads the database or files
(`include`, `extends`, `load`, `url`, `ssi`, `debug`, `csrf_token` …) is simply not there, so a
template that uses it fails to compile with a message naming the tag.
"""

from __future__ import annotations

from django import template
from django.template import defaulttags

register = template.Library()

register.tag("for", defaulttags.do_for)
register.tag("if", defaulttags.do_if)
register.tag("comment", defaulttags.comment)
register.tag("firstof", defaulttags.firstof)
register.tag("cycle", defaulttags.cycle)
register.tag("spaceless", defaulttags.spaceless)
