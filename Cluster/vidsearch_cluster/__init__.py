"""Distributed ingest for vidsearch on a Ray cluster.

The head lists what is left to encode (``vidsearch index --dry-run``), shares it out by
duration, runs one Ray task per share that calls the unchanged ``vidsearch index`` on its node
into a node-local shard, and merges the finished shards into the main index
(``vidsearch merge``). See Cluster/README.md.
"""
