"""The pure core: incidents, drafts, updates, the lifecycle and the approval policy. No I/O."""
