"""Central-bank exchange rates: feed parsers, the importer and the rate that applies on a day.

- `feeds`: the BNR (`nbrfxrates*.xml`) and ECB (`eurofxref*.xml`) formats, parsed into
  `Quote`s, pure.
- `importer`: reads a feed from a file or URL and stores its quotes, idempotently.
- `rates`: `rate_on(from, to, on)`, the rate of the latest publication on or before a day,
  direct, inverse or crossed through the bank's base currency.
"""
