"""A call library: many recordings coached as one batch, and a summary across them.

``inputs`` turns files, folders and manifests into calls; ``identity`` names
each call by its audio and settings so a finished call is never redone;
``work`` is the per-call ``replay --fast`` a worker runs; ``local_pool`` and
``ray_cluster`` (the only Ray importer) run that work; ``runner`` is the driver
that alone writes the output directory; ``summary`` builds the library view.
"""
