"""The class role play: students play delegations in a browser, the model plays the rest."""
