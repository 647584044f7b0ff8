"""Tools for developers, never imported by the running skill: the Echo simulator (terminal
and /try), envelope builders, the dialog helper, a local PKI, the interaction-model check and
the skill package."""
