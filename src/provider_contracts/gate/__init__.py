"""The gate: whether staging may deploy, judged from verify reports and waivers.

Owns: reading reports back, waivers, the verdict and its rendering.

May import: reports, verify and every room below them.
"""
