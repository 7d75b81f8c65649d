"""Policy as code for the innovation and entrepreneurship subsidies of Guangxi."""

__version__ = "0.1.0"
