"""The run journal: storage, resume policy, and the pipeline's listener."""
