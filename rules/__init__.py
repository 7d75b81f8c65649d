"""The rule pack, carried by the package as `guangxi_subsidy.data.rules` (see guangxi_subsidy/data)."""
