"""Count the broken real answers a version of the contracts rejects.

Takes every real 200 answer of the repository (cassettes and tests/data/real), breaks
each in every way `tests/support/mutations.py` knows that applies to it (a wrong total, a
negative count, a tool call that cannot be run, content after the finish, a second
message_start...) and validates the result against the contracts in `--contracts`
(default: this repository's) with the installed provider_contracts. Prints, per way of
breaking, how many broken answers were rejected (any violation at all), and the total.

    python scripts/rules_mutations.py [--contracts PATH]

To compare with an older version, run it with that version's package and contracts:
`PYTHONPATH=OLD/src python scripts/rules_mutations.py --contracts OLD/contracts`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from provider_contracts.contract.registry import Registry  # noqa: E402
from provider_contracts.contract.validation import validate_response  # noqa: E402
from support.mutations import MUTATIONS, real_bodies  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=Path, default=REPO / "contracts")
    args = parser.parse_args()
    registry = Registry.load(args.contracts)
    real = list(real_bodies(REPO))
    total = rejected = 0
    for mutation in MUTATIONS:
        tried = caught = 0
        for body in real:
            if not mutation.applies(body) or (text := mutation.apply(body)) is None:
                continue
            tried += 1
            result = validate_response(registry.endpoint(body.endpoint_id), 200, text)
            caught += not result.ok
        total, rejected = total + tried, rejected + caught
        print(f"{caught:4d} / {tried:<4d} {mutation.name}")
    print(f"{rejected:4d} / {total:<4d} rejected, of broken variants of {len(real)} real answers")


if __name__ == "__main__":
    main()
