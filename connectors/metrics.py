"""Names of the Beam Metrics counters the pipelines report and the run summary reads."""

NAMESPACE = "algoitny_etl"


def rows_read(table: str) -> str:
    return f"rows_read.{table}"


def items_mapped(tp: str) -> str:
    return f"items.{tp}"


def items_expired(tp: str) -> str:
    return f"expired.{tp}"


def dead_letters(table: str) -> str:
    return f"dead_letters.{table}"


def items_written(tp: str) -> str:
    return f"written.{tp}"


def items_deleted(tp: str) -> str:
    return f"deleted.{tp}"


READ_RECONNECTS = "read.reconnects"
SYNC_EVENTS_READ = "sync.events_read"
SYNC_CHANGES_APPLIED = "sync.changes_applied"
WRITE_REQUESTS = "write.requests"
WRITE_UNPROCESSED_RESENT = "write.unprocessed_resent"


WRITE_RETRIES = "write.retries"
WRITE_THROTTLES = "write.throttles"
WRITE_CONSUMED_UNITS = "write.consumed_write_units"
WRITE_UNITS = "write.write_units"
WRITE_BYTES = "write.bytes"
WRITE_DEAD_LETTERS = "write.dead_letters"
