"""The worked cases and example profiles, carried by the package as `guangxi_subsidy.data.cases`."""
