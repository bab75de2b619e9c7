# ingest module
