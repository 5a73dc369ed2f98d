"""Platform adapters: each turns platform events into use-case calls and updates into messages."""
