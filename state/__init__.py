"""The tool's own state, kept in the target table so that a scheduled or distributed run needs
no other store (no Beam here): migration runs (what `migrate --resume` continues) in
migration_runs.py, sync's checkpoints and lease in sync_checkpoints.py. The items' keys and
shapes are schema/state_items.py; the table is reached through the DynamoDB connector."""
