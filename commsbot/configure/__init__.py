"""Setting commsbot up: `commsbot init` writes a commented configuration, `commsbot config
check` validates one without starting anything."""
