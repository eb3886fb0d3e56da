"""`algoitny-etl describe`: the data model (item types, keys, attributes, TTL, indexes, access
patterns) as Markdown, generated from the specs. docs/data-model.md is its output."""

from __future__ import annotations

import sys

from pipelines import basics, options
from reports.data_model import markdown

DESCRIPTION = "print the data model (item types, keys, attributes, TTL, indexes, access patterns) as Markdown"


OUTPUT = options.Flags("output", lambda group: group.add_argument(
    "--output", help="write it to this file instead of standard output"))


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl describe", DESCRIPTION, argv, (OUTPUT,), beam=False)
    except options.UsageError as error:
        print(f"describe: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    text = markdown()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return basics.EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
