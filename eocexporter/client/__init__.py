"""Client of the Eocortex REST API: authentication, transport, tolerant parsing."""
