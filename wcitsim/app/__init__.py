"""The teaching page (Solara): ``wcitsim teach`` serves :mod:`wcitsim.app.page`."""
