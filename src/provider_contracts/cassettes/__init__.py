"""Cassettes: recorded interactions on disk (vcrpy's format, stored to read well in a diff).

Owns: the cassette model, reading and writing cassettes (atomically), the vcrpy
serializer `contracts`, scrubbing secrets out of an interaction before it is kept, the one
key masker (`mask`: the key in use and every known format, in every encoding), and
finding secrets in files (`scan`).

May import: contract, project, errors, files.
"""

from .cassette import deserialize, serialize

__all__ = ["deserialize", "serialize"]  # the vcrpy serializer: register this package
