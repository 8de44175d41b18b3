"""The gate: whether staging may deploy, judged from verify reports and waivers.

Owns: reading reports back (`report`), waivers (`waivers`), the verdict (`verdict`) and
its rendering (`render`).

May import: reports, verify and every room below them.
"""
