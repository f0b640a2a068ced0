"""The Discord adapter: discord.py gateway client (client.py), slash commands (commands.py),
payload -> event translation (translate.py), message/form -> embeds/views/modals (render.py),
custom-id state (ids.py) and the outbox's ChatPort (port.py)."""
