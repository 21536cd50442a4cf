"""Source catalogue and file resolution (cache -> mirror -> official download)."""

from needsmap.sources.catalogue import Catalogue, Source, load_catalogue
from needsmap.sources.resolve import ChecksumError, Resolver, SourceUnavailable

__all__ = ["Catalogue", "ChecksumError", "Resolver", "Source", "SourceUnavailable", "load_catalogue"]
