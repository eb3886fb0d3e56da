"""On-demand prices (us-east-1, standard table class) at the time of writing, for the cost in
migrate's report; --price-per-million-writes and --price-per-gb-month override them."""

DEFAULT_PRICE_PER_MILLION_WRITES = 0.625
DEFAULT_PRICE_PER_GB_MONTH = 0.25
