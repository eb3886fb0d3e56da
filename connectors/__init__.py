"""How the tool talks to each system, one package per system.

Each package is split the way Beam's own connectors are (`relational_db_api.py` beside
`relational_db.py`): plain modules that know nothing of Beam (configuration, clients, the
queries and requests themselves), and one `beam_io.py` that wraps them in DoFns and
composites. A DoFn builds its client in `setup()` from a factory it is given, so a test can
hand it another one.

- `mysql/`: engines, key ranges, streaming reads, counts, look-ups, pre-flight checks.
- `dynamodb/`: the signed HTTP transport, the batch writer and its retry policy, scans,
  batch gets, table administration.
- `files/`: JSON-lines files on any Beam filesystem (local, s3://, gs://) and local progress.
"""
